import Foundation

/// The byte layouts of a stored vector (see Docs/StorageFormat.md). The dimension lives on the
/// collection, so neither layout has a header; the length tells them apart.
///
/// - **Dense**: `dimension` IEEE-754 float32 values, little-endian: 4·d bytes. IVF state is
///   always dense, and so is any precedent vector the sparse layout would not make shorter.
/// - **Sparse** (precedent vectors only): a bitmap of ⌈d/8⌉ bytes, bit i (byte i/8, least
///   significant bit first) set when element i is not +0.0, then the set elements as
///   little-endian float32 in index order: ⌈d/8⌉ + 4·nnz bytes, always shorter than 4·d. A
///   hashed vector is a sum of a few hundred features, so most of its elements are zero. The
///   bits are kept (−0.0 is stored), so a vector reads back identical.
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

    // MARK: Precedent vectors

    /// The shorter of the two layouts.
    static func encodeStored(_ vector: [Float]) -> Data {
        withStoredBytes(vector) { Data($0) }
    }

    /// Calls `body` with the vector in the shorter layout, built in temporary memory.
    static func withStoredBytes<R>(_ vector: [Float], _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        let dimension = vector.count
        let mapBytes = (dimension + 7) / 8
        // One branch-free pass builds the sparse layout (which elements are non-zero is
        // unpredictable): every value is written at the next free place, which advances only past
        // a non-zero one. Bit patterns, not values, so −0.0 is kept. Room for the dense count of
        // values plus one, so the pass never checks; the dense layout is used when it is shorter.
        return try withUnsafeTemporaryAllocation(byteCount: mapBytes + 4 * dimension + 4, alignment: 4) { raw in
            let out = raw.baseAddress!
            let end = vector.withUnsafeBytes { source in
                source.withMemoryRebound(to: UInt32.self) { bits in
                    var offset = mapBytes
                    var index = 0
                    for byte in 0..<mapBytes {
                        var map: UInt8 = 0
                        for bit in 0..<min(8, dimension &- index) {
                            let pattern = bits[index]
                            let set: Int = pattern != 0 ? 1 : 0
                            map |= UInt8(truncatingIfNeeded: set) &<< UInt8(truncatingIfNeeded: bit)
                            (out + offset).storeBytes(of: pattern.littleEndian, as: UInt32.self)
                            offset &+= 4 &* set
                            index &+= 1
                        }
                        out.storeBytes(of: map, toByteOffset: byte, as: UInt8.self)
                    }
                    return offset
                }
            }
            guard end < 4 * dimension else {
                #if _endian(little)
                    return try vector.withUnsafeBytes(body)
                #else
                    return try encode(vector).withUnsafeBytes(body)
                #endif
            }
            return try body(UnsafeRawBufferPointer(start: out, count: end))
        }
    }

    /// Writes a stored vector of either layout into `output` (`dimension` floats); false when
    /// `bytes` is neither layout for that dimension.
    static func decodeStored(_ bytes: UnsafeRawBufferPointer, dimension: Int, into output: UnsafeMutablePointer<Float>) -> Bool {
        if bytes.count == 4 * dimension {
            #if _endian(little)
                if dimension > 0 { UnsafeMutableRawPointer(output).copyMemory(from: bytes.baseAddress!, byteCount: bytes.count) }
            #else
                for index in 0..<dimension {
                    output[index] = Float(bitPattern: UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: index * 4, as: UInt32.self)))
                }
            #endif
            return true
        }
        let mapBytes = (dimension + 7) / 8
        guard bytes.count >= mapBytes, (bytes.count - mapBytes) % 4 == 0 else { return false }
        var setBits = 0
        for byte in 0..<mapBytes { setBits += bytes[byte].nonzeroBitCount }
        // Bits past the dimension must be clear, and every set bit must have its value.
        guard setBits * 4 == bytes.count - mapBytes,
            dimension % 8 == 0 || bytes[mapBytes - 1] >> UInt8(dimension % 8) == 0
        else { return false }
        output.initialize(repeating: 0, count: dimension)
        var offset = mapBytes
        for byte in 0..<mapBytes {
            var bits = bytes[byte]
            while bits != 0 {
                let index = byte * 8 + bits.trailingZeroBitCount
                output[index] = Float(bitPattern: UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self)))
                offset += 4
                bits &= bits - 1
            }
        }
        return true
    }

    static func decodeStored(_ data: Data, dimension: Int) -> [Float]? {
        guard dimension > 0 else { return data.isEmpty ? [] : nil }
        return data.withUnsafeBytes { bytes in
            var ok = false
            let vector = [Float](unsafeUninitializedCapacity: dimension) { buffer, count in
                ok = decodeStored(bytes, dimension: dimension, into: buffer.baseAddress!)
                count = ok ? dimension : 0
            }
            return ok ? vector : nil
        }
    }
}
