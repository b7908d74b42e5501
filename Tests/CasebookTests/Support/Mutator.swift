@testable import Casebook

/// Seeded mutations of valid JSON text for the fuzz tests: byte flips, cuts, truncations,
/// duplicated spans and JSON-shaped splices (quotes, brackets, huge or non-finite numbers, lone
/// surrogates, control characters, deep nesting, a long string). Same seed, same cases.
struct Mutator {
    var random: SeededRandom

    static let splices: [String] = [
        "\"", "\\", "{", "}", "[", "]", ",", ":", "null", "true", "false", "0", "-0", "1e999", "-1e999",
        "NaN", "Infinity", "1.5e-45", "12345678901234567890123", "\"\\ud800\"", "\"\\u0000\"", "\u{0}", "\u{1}",
        "\"é😀\"", "{}", "[]", "\"vector\":[]", "\"vector\":null", "\"tenant\":\"\"", "\"tenant\":\"other\"",
        "\"id\":\"p1\"", "\"k\":-1", "\"k\":1e9", "\"tags\":[1,2]", "\"context\":[]", "\"createdAt\":\"yesterday\"",
        "\"createdAt\":1e300", String(repeating: "[", count: 200), String(repeating: "{\"a\":", count: 50),
        "\"" + String(repeating: "x", count: 70_000) + "\"", "\u{FEFF}", "\r\n", "\t", "//", "/*",
    ]

    init(seed: UInt64) { random = SeededRandom(seed: seed) }

    mutating func below(_ n: Int) -> Int { n <= 1 ? 0 : Int(random.next() % UInt64(n)) }

    /// Half the cases change the text's bytes (mostly invalid JSON, refused by the parser); the
    /// other half change the parsed tree and write it back (valid JSON with wrong types, odd or
    /// extreme values, missing and unknown fields), which reaches validation and storage.
    mutating func mutate(_ text: String) -> String {
        if below(2) == 0, let tree = try? JSONParser.parse(text) {
            var tree = tree
            for _ in 0...below(2) { tree = mutateTree(tree, depth: 0) }
            return JSONWriter.string(tree)
        }
        return mutateBytes(text)
    }

    /// Values that break assumptions: other types, extremes, control characters, sizes.
    mutating func oddValue() -> JSONValue {
        switch below(20) {
        case 0: return .null
        case 1: return .bool(below(2) == 0)
        case 2: return .number([0, -1, 1e308, -1e-308, 9_007_199_254_740_992, 0.5, 1e15, -0.0][below(8)])
        case 3: return .string("")
        case 4: return .string(["\u{0}", "a\nb", "t\u{0}x", "\u{7F}", "é😀", " ", "../..", "a\"b"][below(8)])
        case 5: return .string(String(repeating: "x", count: [129, 257, 65_537, 300_000][below(4)]))
        case 6: return .array([])
        case 7: return .object([:])
        case 8: return .array((0..<[1, 7, 9, 20_000][below(4)]).map { _ in .number(Double(below(3)) - 1) })
        case 9:
            var deep: JSONValue = "leaf"
            for _ in 0..<(8 + below(4)) { deep = .object(["k": deep]) }
            return deep
        case 10: return .array((0..<(60 + below(10))).map { .string("tag\($0)") })
        case 11: return .string("2026-13-45T99:00:00Z")
        case 12: return .number(Double(below(2_000)) - 1_000)
        default: return .string(["a", "b", "p1", "ndr", "cited", "applied", "viewed", "rejected", "other"][below(9)])
        }
    }

    static let keys = ["tenant", "id", "vector", "vectors", "k", "text", "context", "filter", "tags", "category",
                       "wasSuccessful", "createdAt", "precedents", "type", "precedentId", "extra", "nprobe", "exact"]

    private mutating func mutateTree(_ value: JSONValue, depth: Int) -> JSONValue {
        switch value {
        case .object(var members) where !members.isEmpty && below(3) > 0:
            let keys = members.keys.sorted()
            let key = keys[below(keys.count)]
            switch below(5) {
            case 0: members[key] = nil
            case 1: members[Self.keys[below(Self.keys.count)]] = oddValue()
            case 2: members[key] = oddValue()
            default: members[key] = mutateTree(members[key]!, depth: depth + 1)
            }
            return .object(members)
        case .array(var items) where !items.isEmpty && below(3) > 0:
            let at = below(items.count)
            switch below(4) {
            case 0: items.remove(at: at)
            case 1: items.append(items[at])
            default: items[at] = mutateTree(items[at], depth: depth + 1)
            }
            return .array(items)
        default:
            return oddValue()
        }
    }

    /// One to three byte-level mutations of `text`.
    mutating func mutateBytes(_ text: String) -> String {
        var bytes = Array(text.utf8)
        for _ in 0...below(3) { bytes = mutateOnce(bytes) }
        return String(decoding: bytes, as: UTF8.self)
    }

    private mutating func mutateOnce(_ bytes: [UInt8]) -> [UInt8] {
        var bytes = bytes
        guard !bytes.isEmpty else { return Array(Self.splices[below(Self.splices.count)].utf8) }
        let at = below(bytes.count)
        switch below(7) {
        case 0: bytes[at] = UInt8(truncatingIfNeeded: random.next())
        case 1: bytes.removeSubrange(at..<min(bytes.count, at + 1 + below(16)))
        case 2: bytes.removeSubrange(at...)
        case 3:
            let end = min(bytes.count, at + 1 + below(40))
            bytes.insert(contentsOf: bytes[at..<end], at: below(bytes.count))
        case 4, 5: bytes.insert(contentsOf: Array(Self.splices[below(Self.splices.count)].utf8), at: at)
        default:
            // Replace a value: from just after a ':' up to the next ',' or '}'.
            if let colon = bytes[at...].firstIndex(of: UInt8(ascii: ":")) {
                let end = bytes[(colon + 1)...].firstIndex { $0 == UInt8(ascii: ",") || $0 == UInt8(ascii: "}") } ?? bytes.count
                bytes.replaceSubrange((colon + 1)..<end, with: Array(Self.splices[below(Self.splices.count)].utf8))
            } else {
                bytes[at] = UInt8(ascii: "\"")
            }
        }
        return bytes
    }
}
