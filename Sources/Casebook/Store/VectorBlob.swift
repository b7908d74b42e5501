import Foundation

/// The one byte layout of a stored vector: `dimension` IEEE-754 float32 values, little-endian,
/// no header (the dimension lives on the collection). See Docs/StorageFormat.md.
enum VectorBlob {
    static func encode(_ vector: [Float]) -> Data {
        #if _endian(little)
            return vector.withUnsafeBytes { Data($0) }
        #else
            return Data(vector.flatMap { withUnsafeBytes(of: $0.bitPattern.littleEndian) { Array($0) } })
        #endif
    }

    /// Appends the floats of `bytes` to `storage`; false when the length is not `dimension` floats.
    static func append(
        _ bytes: UnsafeRawBufferPointer, dimension: Int, to storage: inout FloatStorage
    ) -> Bool {
        guard bytes.count == dimension * MemoryLayout<Float>.size else { return false }
        guard dimension > 0 else { return true }
        #if _endian(little)
            // A byte copy: SQLite's blob pointer need not be float-aligned.
            storage.append(bytes: bytes.baseAddress!, byteCount: bytes.count)
        #else
            storage.append(contentsOf: decodeSwapping(bytes, dimension: dimension))
        #endif
        return true
    }

    static func decode(_ data: Data, dimension: Int) -> [Float]? {
        guard data.count == dimension * MemoryLayout<Float>.size else { return nil }
        return data.withUnsafeBytes { bytes in
            (0..<dimension).map { index in
                Float(bitPattern: UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: index * 4, as: UInt32.self)))
            }
        }
    }

    #if !_endian(little)
        private static func decodeSwapping(_ bytes: UnsafeRawBufferPointer, dimension: Int) -> [Float] {
            (0..<dimension).map { index in
                Float(bitPattern: UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: index * 4, as: UInt32.self)))
            }
        }
    #endif
}
