#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A growable, contiguous float32 buffer with copy-on-write value semantics.
///
/// Why not `[Float]`: a tenant's vectors are one block of hundreds of megabytes, and an array grows
/// by allocating a new block and copying (the kernel also zeroes every fresh page). `realloc` on a
/// large block moves the mapping instead (glibc uses `mremap`), so growth costs no copy. Measured
/// on ingest of 100,000 x 384: array growth took up to 0.36 s per 10,000-row batch.
struct FloatStorage: @unchecked Sendable {
    /// `@unchecked Sendable`: the buffer is only mutated through `mutating` methods of a uniquely
    /// referenced `Buffer` (copy-on-write), so a shared buffer is never written.
    private final class Buffer {
        var base: UnsafeMutablePointer<Float>?
        var count = 0
        var capacity = 0

        init() {}

        deinit { free(base) }

        func reserve(_ wanted: Int) {
            guard wanted > capacity else { return }
            guard let grown = realloc(base, wanted * MemoryLayout<Float>.stride) else {
                fatalError("out of memory growing vector storage to \(wanted) floats")
            }
            base = grown.assumingMemoryBound(to: Float.self)
            capacity = wanted
            FloatStorage.adviseHugePages(grown, bytes: wanted * MemoryLayout<Float>.stride)
        }

        func copy() -> Buffer {
            let clone = Buffer()
            clone.reserve(Swift.max(count, 1))
            if count > 0 { clone.base!.update(from: base!, count: count) }
            clone.count = count
            return clone
        }
    }

    private var buffer = Buffer()

    /// Asks Linux to back a large block with 2 MiB pages (transparent huge pages are often
    /// enabled only on request, `madvise` mode): a single-query scan streams the whole block, and
    /// with 4 KiB pages it crosses a TLB entry every 4 KiB. Advisory only; failures are ignored.
    static func adviseHugePages(_ base: UnsafeMutableRawPointer, bytes: Int) {
        #if os(Linux)
            let huge = 2 << 20
            guard bytes >= 2 * huge else { return }
            let start = (Int(bitPattern: base) + huge - 1) & ~(huge - 1)
            let end = (Int(bitPattern: base) + bytes) & ~(huge - 1)
            guard end > start, let aligned = UnsafeMutableRawPointer(bitPattern: start) else { return }
            _ = madvise(aligned, end - start, MADV_HUGEPAGE)
        #endif
    }

    init() {}

    var count: Int { buffer.count }
    var capacity: Int { buffer.capacity }

    private mutating func makeUnique() {
        if !isKnownUniquelyReferenced(&buffer) { buffer = buffer.copy() }
    }

    /// Makes room for at least `wanted` floats in total.
    mutating func reserveCapacity(_ wanted: Int) {
        makeUnique()
        buffer.reserve(wanted)
    }

    /// Room for `extra` more floats, growing by at least half the capacity.
    private mutating func ensureRoom(_ extra: Int) {
        makeUnique()
        let needed = buffer.count + extra
        if needed > buffer.capacity { buffer.reserve(Swift.max(needed, buffer.capacity + buffer.capacity / 2)) }
    }

    mutating func append(contentsOf values: UnsafeBufferPointer<Float>) {
        guard values.count > 0 else { return }
        ensureRoom(values.count)
        (buffer.base! + buffer.count).update(from: values.baseAddress!, count: values.count)
        buffer.count += values.count
    }

    mutating func append(contentsOf values: [Float]) {
        values.withUnsafeBufferPointer { append(contentsOf: $0) }
    }

    /// Appends a stored vector of `dimension` floats in either of ``VectorBlob``'s layouts;
    /// false (and nothing appended) when the bytes are neither.
    mutating func appendStored(_ bytes: UnsafeRawBufferPointer, dimension: Int) -> Bool {
        guard dimension > 0 else { return bytes.isEmpty }
        ensureRoom(dimension)
        guard VectorBlob.decodeStored(bytes, dimension: dimension, into: buffer.base! + buffer.count) else { return false }
        buffer.count += dimension
        return true
    }

    /// Overwrites `values.count` floats starting at `offset`.
    mutating func replace(at offset: Int, with values: [Float]) {
        values.withUnsafeBufferPointer { replace(at: offset, with: $0) }
    }

    mutating func replace(at offset: Int, with values: UnsafeBufferPointer<Float>) {
        precondition(offset >= 0 && offset + values.count <= buffer.count, "replace out of range")
        makeUnique()
        if values.count > 0 { (buffer.base! + offset).update(from: values.baseAddress!, count: values.count) }
    }

    /// Appends `count` zeros (room that ``replace(at:with:)`` then fills).
    mutating func appendZeros(_ count: Int) {
        guard count > 0 else { return }
        ensureRoom(count)
        (buffer.base! + buffer.count).initialize(repeating: 0, count: count)
        buffer.count += count
    }

    /// Copies `count` floats from `source` to `destination` (offsets in floats; no overlap).
    mutating func move(from source: Int, to destination: Int, count: Int) {
        makeUnique()
        (buffer.base! + destination).update(from: buffer.base! + source, count: count)
    }

    mutating func removeLast(_ k: Int) {
        precondition(k <= buffer.count, "removeLast beyond count")
        makeUnique()
        buffer.count -= k
    }

    subscript(offset: Int) -> Float { buffer.base![offset] }

    func slice(_ range: Range<Int>) -> [Float] {
        Array(UnsafeBufferPointer(start: buffer.base! + range.lowerBound, count: range.count))
    }

    /// The floats, for kernels. The pointer is valid only inside `body`.
    func withUnsafeBufferPointer<T>(_ body: (UnsafeBufferPointer<Float>) throws -> T) rethrows -> T {
        try withExtendedLifetime(buffer) {
            try body(UnsafeBufferPointer(start: buffer.count > 0 ? buffer.base : nil, count: buffer.count))
        }
    }
}
