/// Term frequencies of one namespace, keyed by the token's 32-bit hash and kept in first-seen
/// order (open addressing; no allocation per token once grown). Two tokens with the same hash are
/// one feature: they would share bucket and sign anyway, and this keeps the explained features
/// and the vector in exact agreement.
struct FeatureTable {
    private(set) var hashes: [UInt32] = []
    private(set) var weights: [Double] = []
    /// The token text behind each hash, kept only when explaining (`recordsTokens`).
    private(set) var tokens: [String] = []
    private var slots: [Int32] = Array(repeating: -1, count: 64)
    let recordsTokens: Bool

    init(recordsTokens: Bool) {
        self.recordsTokens = recordsTokens
    }

    var count: Int { hashes.count }

    mutating func removeAll() {
        hashes.removeAll(keepingCapacity: true)
        weights.removeAll(keepingCapacity: true)
        tokens.removeAll(keepingCapacity: true)
        for i in slots.indices { slots[i] = -1 }
    }

    /// Adds `weight` to the feature `hash`; `token` is kept (first one seen) when recording.
    @inline(__always)
    mutating func add(hash: UInt32, weight: Double, token: String?) {
        let mask = slots.count - 1
        var slot = Int(truncatingIfNeeded: hash) & mask
        while true {
            let entry = Int(slots[slot])
            if entry < 0 { break }
            if hashes[entry] == hash {
                weights[entry] += weight
                return
            }
            slot = (slot + 1) & mask
        }
        slots[slot] = Int32(hashes.count)
        hashes.append(hash)
        weights.append(weight)
        if recordsTokens { tokens.append(token ?? "") }
        if hashes.count * 2 > slots.count { grow() }
    }

    private mutating func grow() {
        slots = Array(repeating: -1, count: slots.count * 2)
        let mask = slots.count - 1
        for (entry, hash) in hashes.enumerated() {
            var slot = Int(truncatingIfNeeded: hash) & mask
            while slots[slot] >= 0 { slot = (slot + 1) & mask }
            slots[slot] = Int32(entry)
        }
    }
}
