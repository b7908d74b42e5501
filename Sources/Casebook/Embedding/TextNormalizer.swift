import Foundation

/// The text rule of `hashed-v1`: Unicode NFKC, lowercase, whitespace runs collapsed to one space,
/// ends trimmed. NFC and NFD spellings, full-width letters and ligatures all normalise alike.
///
/// ASCII text (nearly all operational data) takes a byte loop; anything else goes through
/// Foundation's NFKC and the standard library's full lowercase mapping.
enum TextNormalizer {
    /// The normalised UTF-8 bytes of `text`.
    static func normalizedBytes(_ text: String) -> [UInt8] {
        var output: [UInt8] = []
        normalize(text, into: &output)
        return output
    }

    static func normalized(_ text: String) -> String {
        String(decoding: normalizedBytes(text), as: UTF8.self)
    }

    /// Appends the normalised bytes of `text` to `output` (which is not cleared).
    static func normalize(_ text: String, into output: inout [UInt8]) {
        let isASCII = text.utf8.allSatisfy { $0 < 0x80 }
        if isASCII {
            appendCollapsed(text.utf8, into: &output)
        } else {
            // Lowercasing can produce sequences NFKC would change again (e.g. a capital with a
            // compatibility form), so NFKC is applied on both sides of it: the result is a fixed
            // point, and normalising twice changes nothing.
            let folded = text.precomposedStringWithCompatibilityMapping.lowercased()
                .precomposedStringWithCompatibilityMapping
            appendCollapsedUnicode(folded, into: &output)
        }
    }

    @inline(__always)
    static func isASCIIWhitespace(_ byte: UInt8) -> Bool {
        byte == 0x20 || (0x09...0x0D).contains(byte)
    }

    private static func appendCollapsed(_ bytes: String.UTF8View, into output: inout [UInt8]) {
        let start = output.count
        var pendingSpace = false
        for byte in bytes {
            if isASCIIWhitespace(byte) {
                pendingSpace = output.count > start
                continue
            }
            if pendingSpace {
                output.append(0x20)
                pendingSpace = false
            }
            output.append((0x41...0x5A).contains(byte) ? byte | 0x20 : byte)
        }
    }

    private static func appendCollapsedUnicode(_ text: String, into output: inout [UInt8]) {
        let start = output.count
        var pendingSpace = false
        for scalar in text.unicodeScalars {
            if scalar.properties.isWhitespace {
                pendingSpace = output.count > start
                continue
            }
            if pendingSpace {
                output.append(0x20)
                pendingSpace = false
            }
            UTF8.encode(scalar) { output.append($0) }
        }
    }
}
