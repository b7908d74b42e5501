import Foundation
import Testing

@testable import Casebook

@Suite struct JSONTests {
    @Test func parserAgreesWithFoundation() throws {
        let samples = [
            #"{"a":1,"b":[true,false,null],"c":{"d":"e\n\"q\" \u00e9 \ud83d\ude00"},"f":-1.5e-3,"g":0}"#,
            #"[]"#, #"{}"#, #"  [1 , 2 ,3 ]  "#, #""\/""#, #"12345678901234567890"#,
        ]
        for sample in samples {
            let ours = try JSONParser.parse(sample)
            let theirs = try JSONDecoder().decode(JSONValue.self, from: Data(sample.utf8))
            #expect(ours == theirs, "\(sample)")
        }
    }

    @Test(arguments: [
        "", "{", "[1,]", "{\"a\" 1}", "{\"a\":1,}", "01", "1.", "-", "tru", "\"\\x\"", "\"\u{01}\"",
        "[1] 2", "\"\\ud800\"", "{1:2}", String(repeating: "[", count: 100) + String(repeating: "]", count: 100),
        "1e999",
    ])
    func parserRefusesInvalidInput(_ text: String) {
        #expect(throws: JSONParser.Failure.self) { try JSONParser.parse(text) }
    }

    /// Numbers take a fast path (Clinger's) when their digits and exponent allow it; either way
    /// they must equal glibc's correctly rounded `strtod` bit for bit.
    @Test func numbersEqualStrtodBitForBit() throws {
        var random = SplitMix64(seed: 5)
        func digits(_ count: Int) -> String { (0..<count).map { _ in String(random.next() % 10) }.joined() }
        var fast = 0
        for _ in 0..<20_000 {
            var text = random.next() % 3 == 0 ? "-" : ""
            text += random.next() % 4 == 0 ? "0" : String(1 + random.next() % 9) + digits(Int(random.next() % 18))
            if random.next() % 3 > 0 { text += "." + digits(1 + Int(random.next() % 18)) }
            if random.next() % 2 == 0 {
                text += (random.next() % 2 == 0 ? "e" : "E") + ["", "+", "-"][Int(random.next() % 3)] + String(random.next() % 40)
            }
            guard case .number(let ours) = try JSONParser.parse(text) else {
                Issue.record("\(text) did not parse as a number")
                continue
            }
            let reference = strtod(text, nil)
            #expect(ours.bitPattern == reference.bitPattern, "\(text): \(ours) vs \(reference)")
            if text.count < 17 { fast += 1 }
        }
        #expect(fast > 1_000)
        for text in ["0", "-0", "0.0", "-0.0e5", "1e22", "1e23", "9007199254740993", "9007199254740992", "0.1", "1.7976931348623157e308", "4.9e-324", "123456789012345678901234567890"] {
            guard case .number(let ours) = try JSONParser.parse(text) else { continue }
            #expect(ours.bitPattern == strtod(text, nil).bitPattern, "\(text)")
        }
    }

    @Test func writerRoundTripsThroughParser() throws {
        let value: JSONValue = [
            "text": "quote \" backslash \\ newline \n tab \t control \u{01} emoji 😀",
            "numbers": [0, -3, 1.25, 1e-7, 123456789012, 3.141592653589793],
            "nested": ["empty": [:], "list": [], "null": nil, "flag": true],
        ]
        let text = JSONWriter.string(value)
        #expect(try JSONParser.parse(text) == value)
        #expect(try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8)) == value)
    }

    @Test func writerSortsKeys() {
        #expect(JSONWriter.string(["b": 1, "a": 2, "c": ["z": 1, "y": 2]]) == #"{"a":2,"b":1,"c":{"y":2,"z":1}}"#)
    }

    @Test func precedentFromJSONLine() throws {
        let line = #"{"id":"x","tenant":"acme","category":"ndr","context":{"attempts":2},"tags":["cod"],"wasSuccessful":false,"createdAt":"2026-01-18T10:00:00Z","vector":[1,2.5]}"#
        let parsed = try Precedent(jsonText: line)
        let decoded = try JSONDecoder().decode(Precedent.self, from: Data(line.utf8))
        #expect(parsed == decoded)
        #expect(parsed.vector == [1, 2.5])
        #expect(parsed.createdAt == Date(timeIntervalSince1970: 1_768_730_400))
    }

    @Test(arguments: [
        (#"{"id":"x"}"#, "missing field \"tenant\""),
        (#"{"tenant":"t","vector":[1,"a"]}"#, "field \"vector\" must be an array of numbers"),
        (#"{"tenant":"t","tags":"cod"}"#, "field \"tags\" must be an array of strings"),
        (#"{"tenant":"t","wasSuccessful":"yes"}"#, "field \"wasSuccessful\" must be true, false or null"),
        (#"{"tenant":"t","createdAt":"yesterday"}"#, "field \"createdAt\" is not an ISO 8601 date-time"),
        (#"{"tenant":"t","context":[1]}"#, "field \"context\" must be an object"),
        (#"{"tenant":"t","vectr":[1]}"#, "unknown field \"vectr\""),
        (#"[1]"#, "a precedent must be a JSON object"),
    ])
    func precedentFieldErrorsNameTheField(line: String, message: String) {
        #expect(throws: Precedent.FieldError.self) { try Precedent(jsonText: line) }
        do {
            _ = try Precedent(jsonText: line)
        } catch {
            #expect(error.description == message)
        }
    }
}
