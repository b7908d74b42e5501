import Foundation
import Testing

@testable import Casebook

/// The request-body decoder: strict members, errors naming the path, the API's defaults.
@Suite struct JSONValueDecoderTests {
    static func decode<T: Decodable>(_ type: T.Type, _ text: String) throws(JSONValueDecoder.Failure) -> T {
        try JSONValueDecoder.decode(type, from: try! JSONValue.parse(text))
    }

    static func failure<T: Decodable>(_ type: T.Type, _ text: String) -> String? {
        do {
            _ = try decode(type, text)
            return nil
        } catch {
            return error.description
        }
    }

    @Test func searchRequestsTakeTheAPIsDefaults() throws {
        let request = try Self.decode(SearchRequest.self, #"{"tenant":"acme","vector":[1,0.5,-2]}"#)
        #expect(request == SearchRequest(tenant: "acme", vector: [1, 0.5, -2]))
        let full = try Self.decode(SearchRequest.self, """
            {"tenant":"a","k":3,"text":"t","context":{"x":[1,{"y":null}]},"nprobe":2,"exact":true,"explain":true,
             "includePrecedents":false,"actor":"ag","decisionId":"d","log":false,"rerank":{"candidates":40},
             "filter":{"category":"ndr","policyVersion":"v2","tags":["cod"],"wasSuccessful":true,
                       "since":"2026-01-01","until":1780000000,"excludeIds":["p1"]}}
            """)
        #expect(full.k == 3 && full.nprobe == 2 && full.exact && full.explain && !full.includePrecedents && !full.log)
        #expect(full.context == ["x": .array([.number(1), .object(["y": .null])])])
        #expect(full.rerank == RerankOptions(candidates: 40))
        #expect(full.filter == SearchFilter(
            category: "ndr", policyVersion: "v2", tags: ["cod"], wasSuccessful: true, since: Timestamp.parse("2026-01-01"),
            until: Date(timeIntervalSince1970: 1_780_000_000), excludeIds: ["p1"]))
        #expect(try Self.decode(SearchRequest.self, #"{"tenant":"a","rerank":true}"#).rerank == RerankOptions())
        #expect(try Self.decode(SearchRequest.self, #"{"tenant":"a","rerank":false,"vector":null}"#).rerank == nil)
    }

    @Test func errorsNameTheMemberAndWhatItMustBe() {
        let cases: [(String, String)] = [
            (#"{"k":1}"#, #"missing field "tenant""#),
            (#"{"tenant":null}"#, #"missing field "tenant""#),
            (#"{"tenant":"a","k":1.5}"#, #"field "k" must be an integer"#),
            (#"{"tenant":"a","k":"ten"}"#, #"field "k" must be an integer"#),
            (#"{"tenant":"a","vector":[1,"x"]}"#, #"field "vector" must be an array of numbers"#),
            (#"{"tenant":"a","filter":{"tags":["a",2]}}"#, #"field "filter.tags[1]" must be a string"#),
            (#"{"tenant":"a","filter":{"since":"yesterday"}}"#, #"field "filter.since" must be an ISO 8601 date or time"#),
            (#"{"tenant":"a","rerank":"yes"}"#, #"field "rerank" must be true, false or an object"#),
            (#"{"tenant":"a","rerank":{"successWeight":"high"}}"#, #"field "rerank.successWeight" must be a number"#),
            (#"{"tenant":"a","vectr":[1]}"#, #"unknown field "vectr""#),
            (#"{"tenant":"a","filter":{"categry":"x"}}"#, #"unknown field "filter.categry""#),
            (#"{"tenant":"a","rerank":{"weight":1}}"#, #"unknown field "rerank.weight""#),
            // An unknown member is reported before a missing one.
            (#"{"surprise":1}"#, #"unknown field "surprise""#),
        ]
        for (text, message) in cases {
            #expect(Self.failure(SearchRequest.self, text) == message, "\(text)")
        }
        #expect(Self.failure(BatchSearchRequest.self, #"{"tenant":"a","vectors":[[1],[2,"x"]]}"#)
            == #"field "vectors[1]" must be an array of numbers"#)
    }

    /// Types without listed keys are checked after decoding: whatever nobody asked for is unknown.
    @Test func membersNobodyAskedForAreUnknown() throws {
        struct Loose: Decodable {
            var a: Int
            var inner: Inner
            struct Inner: Decodable { var b: String? }
        }
        #expect(try Self.decode(Loose.self, #"{"a":1,"inner":{"b":"x"}}"#).inner.b == "x")
        #expect(Self.failure(Loose.self, #"{"a":1,"inner":{"b":"x","c":2}}"#) == #"unknown field "inner.c""#)
        #expect(try Self.decode([String: JSONValue].self, #"{"any":1,"thing":[true]}"#).count == 2)
    }

    @Test func vectorsDecodeLikeFoundation() throws {
        var random = SplitMix64(seed: 4)
        let values = (0..<384).map { _ in random.unit() * 1e3 }
        let text = #"{"tenant":"a","vector":[\#(values.map { "\($0)" }.joined(separator: ","))]}"#
        #expect(try Self.decode(SearchRequest.self, text).vector == values)
        struct Plain: Decodable { var vector: [Float] }
        #expect(try JSONDecoder().decode(Plain.self, from: Data(text.utf8)).vector == values)
    }

    @Test func collectionOptionsFollowOneSetOfRules() throws {
        #expect(try Self.decode(CollectionOptions.self, #"{"name":"n"}"#).spec()
            == CollectionSpec(name: "n", dimension: 1024, embedder: .hashedV1()))
        let ivf = try Self.decode(CollectionOptions.self, #"{"name":"e","embedder":"external","dim":8,"index":"ivf","nprobe":3,"spaceId":"m"}"#).spec()
        #expect(ivf.index == .ivf(IVFParameters(nprobe: 3)) && ivf.embedder == .external(spaceId: "m") && ivf.dimension == 8)
        for (text, message) in [
            (#"{"name":"e","embedder":"external"}"#, "dim"),
            (#"{"name":"e","nprobe":3}"#, "nprobe is for an ivf index"),
            (#"{"name":"e","metric":"hamming"}"#, "metric must be"),
            (#"{"name":"e","spaceId":"m"}"#, "spaceId is for external vectors only"),
            (#"{"name":"e","index":"hnsw"}"#, "index must be flat or ivf"),
        ] {
            #expect(throws: CasebookError.self, "\(text)") { try Self.decode(CollectionOptions.self, text).spec() }
            do {
                _ = try Self.decode(CollectionOptions.self, text).spec()
            } catch let error as CasebookError {
                #expect(error.description.contains(message), "\(text): \(error)")
            } catch {
                Issue.record("\(text): \(error)")
            }
        }
    }
}
