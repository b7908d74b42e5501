/// MurmurHash3, x86 32-bit variant (Austin Appleby's public-domain reference), the hash of
/// scikit-learn's `murmurhash3_32` and `FeatureHasher`. Unlike Swift's `Hasher`, which is seeded
/// per process, it gives the same value on every machine and run, so features are reproducible.
enum MurmurHash3 {
    /// The hash of `bytes` as the reference computes it: blocks read little-endian.
    @inline(__always)
    static func x86_32(_ bytes: UnsafeRawBufferPointer, seed: UInt32 = 0) -> UInt32 {
        let c1: UInt32 = 0xcc9e_2d51
        let c2: UInt32 = 0x1b87_3593
        let count = bytes.count
        var h = seed
        var offset = 0
        while offset + 4 <= count {
            var k = UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
            k &*= c1
            k = (k << 15) | (k >> 17)
            k &*= c2
            h ^= k
            h = (h << 13) | (h >> 19)
            h = h &* 5 &+ 0xe654_6b64
            offset += 4
        }
        var tail: UInt32 = 0
        switch count & 3 {
        case 3:
            tail ^= UInt32(bytes[offset + 2]) << 16
            fallthrough
        case 2:
            tail ^= UInt32(bytes[offset + 1]) << 8
            fallthrough
        case 1:
            tail ^= UInt32(bytes[offset])
            tail &*= c1
            tail = (tail << 15) | (tail >> 17)
            tail &*= c2
            h ^= tail
        default:
            break
        }
        h ^= UInt32(truncatingIfNeeded: count)
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
