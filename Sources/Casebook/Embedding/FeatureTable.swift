/// Term frequencies of one document's features, keyed by namespace and 32-bit token hash, kept in
/// first-seen order. Open addressing over manually managed storage: after the first documents
/// have grown it, a document costs no allocation and no copy-on-write checks.
///
/// Two tokens of one namespace with the same hash are one feature: they would share bucket and
/// sign anyway, and this keeps the explained features and the vector in exact agreement.
final class FeatureTable {
    private(set) var count = 0
    /// Open addressing with linear probing: each slot holds its key (0 = empty; a key is never 0,
    /// see `key`) and its weight, so a probe is one load and one compare and an update touches
    /// the same slot; `order` lists occupied slots in first-seen order.
    private var slotKeys: UnsafeMutablePointer<UInt64>
    private var slotWeights: UnsafeMutablePointer<Double>
    private var order: UnsafeMutablePointer<Int32>
    private var slotMask: Int
    /// The token text behind each entry, kept only when explaining.
    private(set) var tokens: [String] = []
    let recordsTokens: Bool

    init(recordsTokens: Bool) {
        self.recordsTokens = recordsTokens
        slotMask = 1023
        slotKeys = .allocate(capacity: slotMask + 1)
        slotKeys.initialize(repeating: 0, count: slotMask + 1)
        slotWeights = .allocate(capacity: slotMask + 1)
        order = .allocate(capacity: slotMask + 1)
    }

    deinit {
        slotKeys.deallocate()
        slotWeights.deallocate()
        order.deallocate()
        sums?.deallocate()
        stamps?.deallocate()
        scratchKeys?.deallocate()
        scratchWeights?.deallocate()
    }

    private var sums: UnsafeMutablePointer<Double>?
    private var stamps: UnsafeMutablePointer<UInt32>?
    private var sumsCapacity = 0
    private var generation: UInt32 = 0
    private let touched = ScratchBuffer<Int32>()

    /// Adds each feature's signed, scaled weight to its bucket of a scratch vector that is all
    /// zeros on entry. Returns the vector and the buckets touched, in first-touched order; the
    /// caller sets those back to zero.
    func scatter(
        count: Int, dimension: Int, keys: UnsafePointer<UInt64>, weights: UnsafePointer<Double>,
        scales: UnsafePointer<Double>
    ) -> (sums: UnsafeMutablePointer<Double>, touched: UnsafePointer<Int32>, touchedCount: Int) {
        if sumsCapacity < dimension {
            sums?.deallocate()
            stamps?.deallocate()
            sums = .allocate(capacity: dimension)
            sums!.initialize(repeating: 0, count: dimension)
            stamps = .allocate(capacity: dimension)
            stamps!.initialize(repeating: 0, count: dimension)
            sumsCapacity = dimension
            generation = 0
        }
        generation &+= 1
        if generation == 0 {  // wrapped: forget every old stamp
            stamps!.update(repeating: 0, count: sumsCapacity)
            generation = 1
        }
        let sums = sums!, stamps = stamps!, generation = generation
        let list = touched.emptied(room: count)
        var touchedCount = 0
        let modulo = FastModulo(dimension)
        // No branch depends on the data: a feature's sign and whether its bucket is new are as
        // good as random, and mispredicting them cost more than the rest of the loop. Negating
        // is flipping the sign bit, so the sums are the same bits as `signed >= 0 ? v : -v`; the
        // bucket is written to the list every time and counted only when new.
        for i in 0..<count {
            let hash = UInt32(truncatingIfNeeded: keys[i])
            let value = scales[Self.namespaceOrdinal(keys[i])] * weights[i]
            let bucket = modulo.remainder(Int32(bitPattern: hash).magnitude)
            sums[bucket] += Double(bitPattern: value.bitPattern ^ (UInt64(hash >> 31) << 63))
            let fresh = stamps[bucket] != generation
            stamps[bucket] = generation
            list[touchedCount] = Int32(bucket)
            touchedCount &+= Int(UInt8(fresh ? 1 : 0))
        }
        return (sums, UnsafePointer(list), touchedCount)
    }

    /// The table key of a feature: namespace ordinal + 1 above the 32-bit hash, never 0.
    @inline(__always)
    static func key(_ namespace: FeatureNamespace, _ hash: UInt32) -> UInt64 {
        UInt64(namespace.ordinal + 1) << 32 | UInt64(hash)
    }

    @inline(__always)
    static func namespaceOrdinal(_ key: UInt64) -> Int { Int(key >> 32) - 1 }

    private var scratchKeys: UnsafeMutablePointer<UInt64>?
    private var scratchWeights: UnsafeMutablePointer<Double>?
    private var scratchCapacity = 0

    /// Buffers of at least `count` keys and weights for `drain`, reused between documents.
    func drainScratch() -> (UnsafeMutablePointer<UInt64>, UnsafeMutablePointer<Double>) {
        if scratchCapacity < count {
            scratchKeys?.deallocate()
            scratchWeights?.deallocate()
            scratchCapacity = max(count, 2 * scratchCapacity)
            scratchKeys = .allocate(capacity: scratchCapacity)
            scratchWeights = .allocate(capacity: scratchCapacity)
        }
        return (scratchKeys!, scratchWeights!)
    }

    /// The slots and the first-seen order, for a caller that empties the table itself: it reads
    /// `order[0..<count]` and sets each of those slots' key to 0, after `forgetEntries()`.
    var storage: (keys: UnsafeMutablePointer<UInt64>, weights: UnsafeMutablePointer<Double>, order: UnsafePointer<Int32>) {
        (slotKeys, slotWeights, UnsafePointer(order))
    }

    /// Sets the count to zero without touching the slots (see `storage`).
    func forgetEntries() {
        count = 0
        tokens.removeAll(keepingCapacity: true)
    }

    /// Empties the table, clearing only the slots in use.
    func removeAll() {
        for i in 0..<count { slotKeys[Int(order[i])] = 0 }
        count = 0
        tokens.removeAll(keepingCapacity: true)
    }

    /// Adds `weight` to the feature; `token` is kept (the first one seen) when recording.
    @inline(__always)
    func add(_ key: UInt64, weight: Double, token: String?) {
        // Locals, so that stores through the pointers do not force the fields to be reloaded.
        let mask = slotMask, slotKeys = slotKeys, slotWeights = slotWeights
        var slot = Self.slot(key) & mask
        while true {
            let found = slotKeys[slot]
            if found == key {
                slotWeights[slot] += weight
                return
            }
            if found == 0 { break }
            slot = (slot + 1) & mask
        }
        slotKeys[slot] = key
        slotWeights[slot] = weight
        let index = count
        order[index] = Int32(slot)
        count = index + 1
        if recordsTokens { tokens.append(token ?? "") }
        // Load at most 0.4: most adds of a document are first sightings, and a miss under linear
        // probing walks about (1 + 1/(1 - load)^2) / 2 slots.
        if count * 5 > (mask + 1) * 2 { grow() }
    }

    /// The table as whole counts per key (a table used to count documents per feature).
    func wholeCounts() -> [UInt64: Int] {
        var counts: [UInt64: Int] = [:]
        counts.reserveCapacity(count)
        for i in 0..<count {
            let slot = Int(order[i])
            counts[slotKeys[slot]] = Int(slotWeights[slot])
        }
        return counts
    }

    @inline(__always)
    private static func slot(_ key: UInt64) -> Int {
        // The hash is already well mixed; the namespace is folded in so families do not collide.
        Int(truncatingIfNeeded: (key & 0xFFFF_FFFF) ^ ((key >> 32) &* 0x9E37_79B9))
    }

    private func grow() {
        let oldKeys = slotKeys, oldWeights = slotWeights, oldOrder = order
        slotMask = slotMask * 2 + 1
        slotKeys = .allocate(capacity: slotMask + 1)
        slotKeys.initialize(repeating: 0, count: slotMask + 1)
        slotWeights = .allocate(capacity: slotMask + 1)
        order = .allocate(capacity: slotMask + 1)
        for i in 0..<count {
            let old = Int(oldOrder[i])
            var slot = Self.slot(oldKeys[old]) & slotMask
            while slotKeys[slot] != 0 { slot = (slot + 1) & slotMask }
            slotKeys[slot] = oldKeys[old]
            slotWeights[slot] = oldWeights[old]
            order[i] = Int32(slot)
        }
        oldKeys.deallocate()
        oldWeights.deallocate()
        oldOrder.deallocate()
    }
}

/// The token being hashed, `"<namespace>:<token>"`, in one buffer reused for every feature.
final class TokenBuffer {
    private let bytes = ScratchBuffer<UInt8>()
    private(set) var prefixLength = 0
    private(set) var namespace = FeatureNamespace.word

    var base: UnsafeMutablePointer<UInt8> { bytes.base }
    var count: Int { bytes.count }

    /// Starts a token of `namespace`: its prefix and the colon.
    @inline(__always)
    func begin(_ namespace: FeatureNamespace) {
        self.namespace = namespace
        bytes.removeAll()
        let prefix = namespace.prefix
        append(prefix.utf8Start, prefix.utf8CodeUnitCount)
        prefixLength = count
    }

    @inline(__always)
    func append(_ pointer: UnsafePointer<UInt8>, _ length: Int) {
        bytes.append(contentsOf: UnsafeBufferPointer(start: pointer, count: length))
    }

    @inline(__always)
    func append(_ byte: UInt8) {
        bytes.reserve(1)
        bytes.appendUnchecked(byte)
    }

    func append(_ text: String) {
        var text = text
        text.withUTF8 { bytes.append(contentsOf: $0) }
    }

    func append(_ values: [UInt8]) {
        values.withUnsafeBufferPointer { bytes.append(contentsOf: $0) }
    }

    /// MurmurHash3 of the token with its prefix, resumed after the prefix's first block (every
    /// prefix is at least four bytes).
    @inline(__always)
    var hash: UInt32 {
        MurmurHash3.x86_32(
            continuing: namespace.prefixState, UnsafeRawPointer(base + 4), count: count - 4, totalLength: count)
    }

    /// The token without its prefix, as text (explanations only).
    var token: String {
        String(decoding: UnsafeBufferPointer(start: base + prefixLength, count: count - prefixLength), as: UTF8.self)
    }
}

/// A growable buffer of plain values (bytes of normalised text, word bounds) reused between
/// documents without copy-on-write or exclusivity checks on every append.
final class ScratchBuffer<Element: BitwiseCopyable> {
    private(set) var base: UnsafeMutablePointer<Element>
    private var capacity: Int
    private(set) var count = 0

    init(capacity: Int = 1024) {
        self.capacity = capacity
        base = .allocate(capacity: capacity)
    }

    deinit { base.deallocate() }

    func removeAll() { count = 0 }

    /// Makes room for `extra` more elements, so that unchecked `appendUnchecked` calls fit.
    @inline(__always)
    func reserve(_ extra: Int) {
        if count + extra > capacity { grow(to: count + extra) }
    }

    /// Empties the buffer and returns room for `capacity` elements.
    @inline(__always)
    func emptied(room capacity: Int) -> UnsafeMutablePointer<Element> {
        count = 0
        reserve(capacity)
        return base
    }

    /// Sets the count after elements were written through `base` (within reserved room).
    @inline(__always)
    func setCount(_ newCount: Int) { count = newCount }

    @inline(__always)
    func appendUnchecked(_ value: Element) {
        base[count] = value
        count += 1
    }

    func append(contentsOf values: UnsafeBufferPointer<Element>) {
        reserve(values.count)
        if let source = values.baseAddress { (base + count).update(from: source, count: values.count) }
        count += values.count
    }

    subscript(i: Int) -> Element { base[i] }

    private func grow(to needed: Int) {
        var newCapacity = capacity * 2
        while newCapacity < needed { newCapacity *= 2 }
        let newBase = UnsafeMutablePointer<Element>.allocate(capacity: newCapacity)
        newBase.update(from: base, count: count)
        base.deallocate()
        base = newBase
        capacity = newCapacity
    }
}
