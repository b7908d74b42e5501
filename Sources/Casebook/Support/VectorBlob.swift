import Foundation

/// The one byte layout of a stored vector: `dimension` IEEE-754 float32 values, little-endian,
/// no header (the dimension lives on the collection). See Docs/StorageFormat.md. Stores write it;
/// an index reads it straight into its own storage (`FloatStorage.appendLittleEndian`).
enum VectorBlob {
    static func encode(_ vector: [Float]) -> Data {
        #if _endian(little)
            return vector.withUnsafeBytes { Data($0) }
        #else
            return Data(vector.flatMap { withUnsafeBytes(of: $0.bitPattern.littleEndian) { Array($0) } })
        #endif
    }

    static func decode(_ data: Data, dimension: Int) -> [Float]? {
        guard data.count == dimension * MemoryLayout<Float>.size else { return nil }
        return data.withUnsafeBytes { bytes in
            (0..<dimension).map { index in
                Float(bitPattern: UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: index * 4, as: UInt32.self)))
            }
        }
    }
}
