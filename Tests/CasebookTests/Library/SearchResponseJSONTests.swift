import Foundation
import Testing

@testable import Casebook

/// The socket API writes search responses by hand (`SearchResponse.jsonText`); Foundation's
/// `JSONEncoder` and `JSONDecoder` are the reference: the text must decode to the same response
/// and parse to the same JSON tree as the encoder's output.
@Suite struct SearchResponseJSONTests {
    static func responses() -> [SearchResponse] {
        var random = SplitMix64(seed: 11)
        func text(_ i: Int) -> String {
            ["plain", "quote \" and \\ backslash", "line\nbreak\ttab \u{01}\u{1F}", "é 😀 слово", "", "a/b"][i % 6]
        }
        var responses: [SearchResponse] = []
        for case_ in 0..<40 {
            var results: [SearchResult] = []
            for rank in stride(from: 1, through: case_ % 5, by: 1) {
                let full = (case_ + rank) % 2 == 0
                let precedent = Precedent(
                    id: full ? PrecedentID("p-\(case_)-\(rank) \(text(rank))") : nil, tenant: TenantID(text(case_ + 1)),
                    category: full ? text(rank + 2) : nil, decisionEventId: full ? "evt-\(rank)" : nil,
                    context: full
                        ? ["reason": .string(text(case_)), "attempts": .number(Double(rank)), "weight": .number(0.1 * Double(rank)),
                           "nested": ["flag": true, "none": nil, "list": [1, "two", 3.5e-9]], "B": 1, "a10": 2, "a9": 3]
                        : [:],
                    text: full ? text(case_ + rank) : nil, outcome: full ? "rescheduled" : nil,
                    wasSuccessful: full ? rank % 2 == 0 : nil, tags: full ? ["tag \(rank)", text(rank)] : [],
                    createdAt: full ? Date(timeIntervalSince1970: 1_700_000_000.125 + Double(case_ * 86_400)) : nil,
                    vector: case_ % 7 == 0 ? (0..<4).map { _ in random.unit() } : nil)
                let explanation = case_ % 3 == 0
                    ? SearchExplanation(
                        features: [ExplainedFeature(namespace: "ctx", token: "reason=\(text(rank))", contribution: 0.25 / Double(rank))],
                        namespaces: [NamespaceSimilarity(namespace: "word", similarity: 1, contribution: 1e-7)],
                        collisions: -0.0)
                    : nil
                results.append(SearchResult(
                    rank: rank, id: PrecedentID("p-\(case_)-\(rank) \(text(rank))"),
                    score: [Float(1), 0.5, abs(random.unit()), 1e-6, -3.25][rank % 5],
                    similarity: case_ % 4 == 1 ? abs(random.unit()) : nil,
                    precedent: case_ % 5 == 4 ? nil : precedent, explanation: explanation))
            }
            responses.append(SearchResponse(
                queryId: "q-\(case_)", exact: case_ % 2 == 0, probed: case_ * 3, tookMs: [9.5, 0.001234, 12, 1e-9][case_ % 4],
                reranked: case_ % 4 == 1, results: results))
        }
        return responses
    }

    @Test func handWrittenJSONDecodesToTheSameResponse() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        for response in Self.responses() {
            let text = response.jsonText
            let decoded = try JSONDecoder().decode(SearchResponse.self, from: Data(text.utf8))
            #expect(decoded == response, "\(text)")
            let reference = String(decoding: try encoder.encode(response), as: UTF8.self)
            #expect(try JSONParser.parse(text) == JSONParser.parse(reference), "\(text)\n\(reference)")
        }
    }

    @Test func batchTextHoldsEveryResponse() throws {
        struct Batch: Decodable { var responses: [SearchResponse] }
        let responses = Self.responses()
        let decoded = try JSONDecoder().decode(Batch.self, from: Data(SearchResponse.jsonText(batch: responses).utf8))
        #expect(decoded.responses == responses)
        #expect(SearchResponse.jsonText(batch: []) == #"{"responses":[]}"#)
    }

    @Test func numbersAreWrittenAsTheEncoderWritesThem() {
        func written(_ value: Float) -> String {
            var out = JSONWriter()
            out.codableNumber(value)
            return out.text
        }
        let encoder = JSONEncoder()
        for value: Float in [1, 0, -0.0, 0.1, 1e-6, 3.4e38, 123456792, -2.5, .leastNonzeroMagnitude] {
            #expect(written(value) == String(decoding: try! encoder.encode(value), as: UTF8.self))
        }
        #expect(written(.nan) == "null")
        #expect(written(.infinity) == "null")
    }
}
