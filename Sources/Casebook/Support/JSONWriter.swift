/// A small, allocation-light JSON serialiser for ``JSONValue``.
///
/// The store writes each precedent's context as JSON text; Foundation's `JSONEncoder` costs tens of
/// microseconds per object, more than the whole per-precedent ingest budget. Object keys are
/// written in sorted order so equal contexts give equal bytes.
enum JSONWriter {
    static func string(_ value: JSONValue) -> String {
        var out = ""
        write(value, into: &out)
        return out
    }

    static func string(object members: [String: JSONValue]) -> String {
        var out = ""
        writeObject(members, into: &out)
        return out
    }

    static func write(_ value: JSONValue, into out: inout String) {
        switch value {
        case .null: out += "null"
        case .bool(let flag): out += flag ? "true" : "false"
        case .number(let number): writeNumber(number, into: &out)
        case .string(let text): writeString(text, into: &out)
        case .array(let items):
            out += "["
            for (position, item) in items.enumerated() {
                if position > 0 { out += "," }
                write(item, into: &out)
            }
            out += "]"
        case .object(let members): writeObject(members, into: &out)
        }
    }

    static func writeObject(_ members: [String: JSONValue], into out: inout String) {
        out += "{"
        for (position, key) in members.keys.sorted().enumerated() {
            if position > 0 { out += "," }
            writeString(key, into: &out)
            out += ":"
            write(members[key]!, into: &out)
        }
        out += "}"
    }

    /// Integral values print without a fraction; JSON has no NaN or infinity, so those print as
    /// null (the store refuses them before they get here).
    static func writeNumber(_ number: Double, into out: inout String) {
        guard number.isFinite else {
            out += "null"
            return
        }
        if number == number.rounded(), abs(number) < 1e15 {
            out += String(Int64(number))
        } else {
            out += number.description
        }
    }

    /// A `Float` or `Double` as `JSONEncoder` writes it: Swift's shortest round-tripping text
    /// without a trailing ".0" (null for the non-finite values JSON lacks).
    static func writeCodableNumber<T: BinaryFloatingPoint & LosslessStringConvertible>(_ number: T, into out: inout String) {
        guard number.isFinite else {
            out += "null"
            return
        }
        let text = number.description
        out += text.hasSuffix(".0") ? text.dropLast(2) : Substring(text)
    }

    static func writeString(_ text: String, into out: inout String) {
        out += "\""
        // Most strings need no escape: one pass over the bytes, then a single append.
        if !text.utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) {
            out += text
            out += "\""
            return
        }
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        out += "\""
    }
}

extension JSONValue {
    /// `text` as a JSON string literal, escaped as the store writes it.
    public static func quoted(_ text: String) -> String {
        var out = ""
        JSONWriter.writeString(text, into: &out)
        return out
    }
}
