/// MurmurHash3, x86 32-bit variant (Austin Appleby's public-domain reference), the hash of
/// scikit-learn's `murmurhash3_32` and `FeatureHasher`. Unlike Swift's `Hasher`, which is seeded
/// per process, it gives the same value on every machine and run, so features are reproducible.
enum MurmurHash3 {
    private static let c1: UInt32 = 0xcc9e_2d51
    private static let c2: UInt32 = 0x1b87_3593

    /// The hash of `bytes` as the reference computes it: blocks read little-endian.
    @inline(__always)
    static func x86_32(_ buffer: UnsafeRawBufferPointer, seed: UInt32 = 0) -> UInt32 {
        guard let bytes = buffer.baseAddress else { return finalize(seed, length: 0) }
        return x86_32(continuing: seed, bytes, count: buffer.count, totalLength: buffer.count)
    }

    /// Resumes a hash whose first blocks are already mixed into `state`: `bytes` are the input's
    /// remaining `count` bytes, `totalLength` the length of the whole input. Hashing
    /// `"<namespace>:<token>"` resumes after the namespace's first four bytes, which never change.
    @inline(__always)
    static func x86_32(continuing state: UInt32, _ bytes: UnsafeRawPointer, count: Int, totalLength: Int) -> UInt32 {
        var h = state
        var offset = 0
        // Unchecked reads: every offset below is within `count`.
        while offset + 4 <= count {
            h = mixBlock(h, UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self)))
            offset += 4
        }
        var tail: UInt32 = 0
        switch count & 3 {
        case 3:
            tail ^= UInt32(bytes.load(fromByteOffset: offset + 2, as: UInt8.self)) << 16
            fallthrough
        case 2:
            tail ^= UInt32(bytes.load(fromByteOffset: offset + 1, as: UInt8.self)) << 8
            fallthrough
        case 1:
            tail ^= UInt32(bytes.load(fromByteOffset: offset, as: UInt8.self))
            tail &*= c1
            tail = (tail << 15) | (tail >> 17)
            tail &*= c2
            h ^= tail
        default:
            break
        }
        return finalize(h, length: totalLength)
    }

    /// The state after one 4-byte block.
    @inline(__always)
    static func mixBlock(_ state: UInt32, _ block: UInt32) -> UInt32 {
        var k = block
        k &*= c1
        k = (k << 15) | (k >> 17)
        k &*= c2
        var h = state ^ k
        h = (h << 13) | (h >> 19)
        return h &* 5 &+ 0xe654_6b64
    }

    @inline(__always)
    private static func finalize(_ state: UInt32, length: Int) -> UInt32 {
        var h = state ^ UInt32(truncatingIfNeeded: length)
        h ^= h >> 16
        h &*= 0x85eb_ca6b
        h ^= h >> 13
        h &*= 0xc2b2_ae35
        h ^= h >> 16
        return h
    }

    /// The hash of a string's UTF-8 bytes.
    static func x86_32(_ text: String, seed: UInt32 = 0) -> UInt32 {
        var copy = text
        return copy.withUTF8 { x86_32(UnsafeRawBufferPointer($0), seed: seed) }
    }
}

/// Where a hashed feature lands, by scikit-learn's `FeatureHasher` rule: the hash read as a signed
/// 32-bit integer h; bucket = |h| mod dims (|-2^31| = 2^31), sign = +1 when h >= 0, else -1.
struct HashedSlot: Sendable, Hashable {
    let bucket: Int
    let sign: Float

    @inline(__always)
    init(hash: UInt32, dimension: Int) {
        let signed = Int32(bitPattern: hash)
        bucket = Int(signed.magnitude % UInt32(truncatingIfNeeded: dimension))
        sign = signed >= 0 ? 1 : -1
    }
}
