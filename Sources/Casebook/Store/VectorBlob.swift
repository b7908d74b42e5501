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
        _ bytes: UnsafeRawBufferPointer, dimension: Int, to storage: inout [Float]
    ) -> Bool {
        guard bytes.count == dimension * MemoryLayout<Float>.size else { return false }
        #if _endian(little)
            // SQLite's blob pointer need not be float-aligned: copy bytes rather than rebind.
            let start = storage.count
            storage.append(contentsOf: repeatElement(0, count: dimension))
            storage.withUnsafeMutableBytes { destination in
                destination.baseAddress!.advanced(by: start * MemoryLayout<Float>.size)
                    .copyMemory(from: bytes.baseAddress!, byteCount: bytes.count)
            }
        #else
            for index in 0..<dimension {
                let bits = bytes.loadUnaligned(fromByteOffset: index * 4, as: UInt32.self)
                storage.append(Float(bitPattern: UInt32(littleEndian: bits)))
            }
        #endif
        return true
    }

    static func decode(_ data: Data, dimension: Int) -> [Float]? {
        var vector: [Float] = []
        vector.reserveCapacity(dimension)
        let ok = data.withUnsafeBytes { append($0, dimension: dimension, to: &vector) }
        return ok ? vector : nil
    }
}
