import Foundation

/// The stored vector layouts of Docs/StorageFormat.md ("Vector BLOB layout"), decoded here from
/// the page's description rather than with the library's code, so tests that read the file by
/// hand check the library against the documentation.
enum StoredVectorBytes {
    /// Dense when the length is 4·dimension; else the sparse layout. Nil when it is neither.
    static func decode(_ bytes: [UInt8], dimension: Int) -> [Float]? {
        func float(at offset: Int) -> Float {
            var bits: UInt32 = 0
            for byte in 0..<4 { bits |= UInt32(bytes[offset + byte]) << (8 * byte) }  // little-endian
            return Float(bitPattern: bits)
        }
        if bytes.count == 4 * dimension { return (0..<dimension).map { float(at: 4 * $0) } }
        let mapBytes = (dimension + 7) / 8
        guard bytes.count >= mapBytes else { return nil }
        var vector = [Float](repeating: 0, count: dimension)
        var offset = mapBytes
        for index in 0..<(mapBytes * 8) where bytes[index / 8] & (1 << (index % 8)) != 0 {
            guard index < dimension, offset + 4 <= bytes.count else { return nil }
            vector[index] = float(at: offset)
            offset += 4
        }
        return offset == bytes.count ? vector : nil
    }
}
