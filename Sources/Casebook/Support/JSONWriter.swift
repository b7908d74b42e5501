/// A small JSON serialiser that writes UTF-8 bytes into one growing buffer.
///
/// The store writes each precedent's context as JSON text, and the socket API writes every search
/// response: Foundation's `JSONEncoder` costs tens of microseconds per object. Bytes rather than a
/// `String`: appending to a `String` re-checks its storage and encoding flags on every piece, which
/// made a top-10 response with its precedents cost ~40 µs in `casebook serve`. Object keys are
/// written in sorted order so equal contexts give equal bytes.
struct JSONWriter {
    private(set) var bytes: [UInt8] = []

    init(capacity: Int = 0) {
        bytes.reserveCapacity(capacity)
    }

    /// The bytes as a `String` (always valid UTF-8: only strings and ASCII are written).
    var text: String { String(decoding: bytes, as: UTF8.self) }

    static func string(_ value: JSONValue) -> String {
        var writer = JSONWriter()
        writer.value(value)
        return writer.text
    }

    static func string(object members: [String: JSONValue]) -> String {
        var writer = JSONWriter()
        writer.object(members)
        return writer.text
    }

    /// JSON syntax or a known-clean key, written as is.
    mutating func raw(_ literal: StaticString) {
        bytes.append(contentsOf: UnsafeBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount))
    }

    /// Bytes already in JSON form (a precomputed member name), written as they are.
    mutating func raw(bytes written: [UInt8]) {
        bytes.append(contentsOf: written)
    }

    mutating func bool(_ flag: Bool) {
        flag ? raw("true") : raw("false")
    }

    mutating func integer(_ number: Int) {
        bytes.append(contentsOf: String(number).utf8)
    }

    mutating func value(_ value: JSONValue) {
        switch value {
        case .null: raw("null")
        case .bool(let flag): bool(flag)
        case .number(let number): self.number(number)
        case .string(let text): string(text)
        case .array(let items):
            raw("[")
            for (position, item) in items.enumerated() {
                if position > 0 { raw(",") }
                self.value(item)
            }
            raw("]")
        case .object(let members): object(members)
        }
    }

    mutating func object(_ members: [String: JSONValue]) {
        raw("{")
        for (position, key) in members.keys.sorted().enumerated() {
            if position > 0 { raw(",") }
            string(key)
            raw(":")
            value(members[key]!)
        }
        raw("}")
    }

    /// Integral values print without a fraction; JSON has no NaN or infinity, so those print as
    /// null (the store refuses them before they get here).
    mutating func number(_ number: Double) {
        guard number.isFinite else { return raw("null") }
        if number == number.rounded(), abs(number) < 1e15 {
            bytes.append(contentsOf: String(Int64(number)).utf8)
        } else {
            bytes.append(contentsOf: number.description.utf8)
        }
    }

    /// A `Float` or `Double` as `JSONEncoder` writes it: Swift's shortest round-tripping text
    /// without a trailing ".0" (null for the non-finite values JSON lacks).
    mutating func codableNumber<T: BinaryFloatingPoint & LosslessStringConvertible>(_ number: T) {
        guard number.isFinite else { return raw("null") }
        let text = number.description.utf8
        if text.count > 2, text.last == UInt8(ascii: "0"), text[text.index(text.endIndex, offsetBy: -2)] == UInt8(ascii: ".") {
            bytes.append(contentsOf: text.dropLast(2))
        } else {
            bytes.append(contentsOf: text)
        }
    }

    /// A quoted, escaped string.
    mutating func string(_ text: String) {
        raw("\"")
        // Most strings need no escape: one pass over the bytes, then a single copy.
        let utf8 = text.utf8
        if !utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) {
            bytes.append(contentsOf: utf8)
            return raw("\"")
        }
        for byte in utf8 {
            switch byte {
            case UInt8(ascii: "\""): raw("\\\"")
            case UInt8(ascii: "\\"): raw("\\\\")
            case UInt8(ascii: "\n"): raw("\\n")
            case UInt8(ascii: "\r"): raw("\\r")
            case UInt8(ascii: "\t"): raw("\\t")
            case 0..<0x20:
                // Bytes under 0x20 are whole characters in UTF-8: \u00XX.
                let hex: StaticString = "0123456789abcdef"
                raw("\\u00")
                bytes.append(hex.utf8Start[Int(byte >> 4)])
                bytes.append(hex.utf8Start[Int(byte & 0xF)])
            default: bytes.append(byte)
            }
        }
        raw("\"")
    }
}

extension JSONValue {
    /// `text` as a JSON string literal, escaped as the store writes it.
    public static func quoted(_ text: String) -> String {
        var writer = JSONWriter()
        writer.string(text)
        return writer.text
    }
}
