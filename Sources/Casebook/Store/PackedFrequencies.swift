import Foundation

/// A small tenant's feature frequencies as one stored value, instead of one row per feature.
///
/// A tenant of a few precedents holds a few hundred distinct features per precedent, so a
/// collection of many small tenants held far more count rows than precedents: their rows took
/// most of the file, and each add upserted a row per feature. Up to ``maximumFeatures`` counts a
/// tenant's are one value rewritten whole by each write; past it they move to rows, where a write
/// touches only the features it changes.
///
/// Layout (Docs/StorageFormat.md): unsigned LEB128 varints — the documents counted, the number of
/// features, then each feature as its key's distance from the previous key (the first from 0;
/// keys strictly ascending, so never 0) and its count (never 0). A hand-written varint: the
/// format is a few lines, and no package on the mirror offers it as public API.
enum PackedFrequencies {
    /// The most distinct features kept in one value: a value near it is some 35 KB.
    static let maximumFeatures = 8_192

    /// The value of no counts at all.
    static let empty = Data(encode(FeatureFrequencies())!)

    /// The value of `frequencies`, or nil when they hold more than ``maximumFeatures`` features.
    /// Counts of 0 or below (which only a drifted count could give) are left out, as the rows
    /// drop them.
    static func encode(_ frequencies: FeatureFrequencies) -> [UInt8]? {
        var features = 0
        var body: [UInt8] = []
        var previous: UInt64 = 0
        frequencies.forEachSorted { key, count in
            guard count > 0 else { return }
            features += 1
            appendVarint(key - previous, to: &body)
            appendVarint(UInt64(count), to: &body)
            previous = key
        }
        guard features <= maximumFeatures else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(body.count + 10)
        appendVarint(UInt64(max(0, frequencies.documents)), to: &bytes)
        appendVarint(UInt64(features), to: &bytes)
        bytes += body
        return bytes
    }

    /// The frequencies of a stored value; nil when it is not one this layout writes.
    static func decode(_ bytes: some Collection<UInt8>) -> FeatureFrequencies? {
        var reader = VarintReader(bytes: Array(bytes))
        guard let documents = reader.next(), let count = reader.next(), count <= maximumFeatures,
            documents <= UInt64(Int32.max)
        else { return nil }
        var keys: [UInt64] = [], values: [Int32] = []
        keys.reserveCapacity(Int(count))
        values.reserveCapacity(Int(count))
        var key: UInt64 = 0
        for _ in 0..<count {
            guard let distance = reader.next(), distance > 0, let value = reader.next(), value > 0,
                value <= UInt64(Int32.max)
            else { return nil }
            let (sum, overflow) = key.addingReportingOverflow(distance)
            guard !overflow else { return nil }
            key = sum
            keys.append(key)
            values.append(Int32(value))
        }
        guard reader.isAtEnd else { return nil }
        return FeatureFrequencies(documents: Int(documents), settledKeys: keys, values: values)
    }

    private static func appendVarint(_ value: UInt64, to bytes: inout [UInt8]) {
        var value = value
        while value >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: value) | 0x80)
            value >>= 7
        }
        bytes.append(UInt8(value))
    }

    private struct VarintReader {
        let bytes: [UInt8]
        var offset = 0

        var isAtEnd: Bool { offset == bytes.count }

        /// The next varint; nil past the end or for one longer than 64 bits.
        mutating func next() -> UInt64? {
            var value: UInt64 = 0
            var shift: UInt64 = 0
            while offset < bytes.count {
                let byte = bytes[offset]
                offset += 1
                guard shift < 64, shift < 63 || byte <= 1 else { return nil }
                value |= UInt64(byte & 0x7F) << shift
                if byte < 0x80 { return value }
                shift += 7
            }
            return nil
        }
    }
}
