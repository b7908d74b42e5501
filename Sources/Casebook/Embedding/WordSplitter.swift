/// Splits normalised UTF-8 text into words: maximal runs of letters, digits and combining marks.
/// Everything else (spaces, punctuation, `_`, symbols) separates words; one-character words such
/// as "2" are kept.
enum WordSplitter {
    /// Appends each word's byte range as a pair (start, end) to `bounds` (which is cleared first).
    static func split(_ bytes: [UInt8], into bounds: inout [Int]) {
        bounds.removeAll(keepingCapacity: true)
        bytes.withUnsafeBufferPointer { buffer in
            var start = -1
            var i = 0
            while i < buffer.count {
                let lead = buffer[i]
                let length: Int
                let inWord: Bool
                if lead < 0x80 {
                    length = 1
                    inWord = (0x61...0x7A).contains(lead) || (0x30...0x39).contains(lead) || (0x41...0x5A).contains(lead)
                } else {
                    length = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : 2
                    inWord = isWordScalar(decode(buffer, at: i, length: length))
                }
                if inWord {
                    if start < 0 { start = i }
                } else if start >= 0 {
                    bounds.append(start)
                    bounds.append(i)
                    start = -1
                }
                i += length
            }
            if start >= 0 {
                bounds.append(start)
                bounds.append(buffer.count)
            }
        }
    }

    /// The scalar whose UTF-8 form starts at `i` (the input is valid UTF-8: it came from a String).
    private static func decode(_ buffer: UnsafeBufferPointer<UInt8>, at i: Int, length: Int) -> Unicode.Scalar {
        var value = UInt32(buffer[i]) & (length == 2 ? 0x1F : length == 3 ? 0x0F : 0x07)
        for j in 1..<length { value = (value << 6) | (UInt32(buffer[i + j]) & 0x3F) }
        return Unicode.Scalar(value) ?? " "
    }

    private static func isWordScalar(_ scalar: Unicode.Scalar) -> Bool {
        let properties = scalar.properties
        if properties.isAlphabetic || properties.numericType != nil { return true }
        switch properties.generalCategory {
        case .nonspacingMark, .spacingMark, .enclosingMark: return true
        default: return false
        }
    }
}
