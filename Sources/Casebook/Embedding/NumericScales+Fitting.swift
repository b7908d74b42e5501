import Foundation

extension NumericScales {
    /// The scales of each tenant's numeric context fields in these precedents (paths as the
    /// featurizer forms them: normalised keys joined by ".", array items under their array's
    /// path), and each tenant's field weights from its known outcomes (``FieldWeighting``), as
    /// version `version`. Every tenant with a precedent here gets a ``fitted`` record.
    ///
    /// Both passes over the precedents run in chunks on ``WorkerThreads``; chunks are merged in
    /// order (values) or added (counts), so the result does not depend on the split.
    public static func fit(_ precedents: some Collection<Precedent>, version: Int) -> NumericScales {
        let rows = Array(precedents)
        var values: [TenantID: [String: [Double]]] = [:]
        var scales = NumericScales(version: version)
        for part in inChunks(rows, { chunk in
            var values: [TenantID: [String: [Double]]] = [:]
            var fitted: [String: TenantFitBasis] = [:]
            for precedent in chunk {
                collect(.object(precedent.context), path: [], into: &values[precedent.tenant, default: [:]])
                fitted[precedent.tenant.rawValue, default: TenantFitBasis(precedents: 0, knownOutcomes: 0)]
                    .record(knownOutcome: precedent.wasSuccessful != nil)
            }
            return (values, fitted)
        }) {
            for (tenant, fields) in part.0 {
                for (field, numbers) in fields { values[tenant, default: [:]][field, default: []] += numbers }
            }
            scales.fitted.merge(part.1) { $0 + $1 }
        }
        for (tenant, fields) in values {
            let fitted = fields.compactMapValues(NumericScale.fit)
            if !fitted.isEmpty { scales.tenants[tenant.rawValue] = fitted }
        }
        scales.fieldWeights = fieldWeights(rows, scales: scales)
        return scales
    }

    /// `body` applied to each chunk of `rows`, one chunk per worker (a single one below a few
    /// thousand rows), results in the chunks' order.
    private static func inChunks<Part>(_ rows: [Precedent], _ body: @Sendable (ArraySlice<Precedent>) -> Part) -> [Part] {
        let workers = rows.count >= 4_096 ? min(WorkerThreads.count, rows.count / 2_048) : 1
        guard workers > 1 else { return [body(rows[...])] }
        let chunk = (rows.count + workers - 1) / workers
        let results = WorkerSlots<Part?>(count: workers, initial: nil)
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            results.store(worker, body(rows[(worker * chunk)..<min(rows.count, (worker + 1) * chunk)]))
        }
        return results.values.map { $0! }
    }

    private static func collect(_ value: JSONValue, path: [UInt8], into values: inout [String: [Double]]) {
        switch value {
        case .number(let number):
            values[String(decoding: path, as: UTF8.self), default: []].append(number)
        case .array(let items):
            for item in items { collect(item, path: path, into: &values) }
        case .object(let members):
            for (key, member) in members {
                collect(member, path: extended(path, key), into: &values)
            }
        case .null, .bool, .string:
            return
        }
    }

    private static func extended(_ path: [UInt8], _ key: String) -> [UInt8] {
        var inner = path
        if !inner.isEmpty { inner.append(0x2E) }
        inner.append(contentsOf: TextNormalizer.normalizedBytes(key))
        return inner
    }

    /// Per tenant with enough known outcomes, each context field's weight from how its values
    /// (a scaled number by the bin that holds most of it, as the featurizer places it) split
    /// successes from failures.
    private static func fieldWeights(_ precedents: [Precedent], scales: NumericScales)
        -> [String: [String: Double]]
    {
        var counts: [TenantID: [String: [String: OutcomeCounts]]] = [:]
        var outcomes: [TenantID: OutcomeCounts] = [:]
        for part in inChunks(precedents, { chunk in
            var counts: [TenantID: [String: [String: OutcomeCounts]]] = [:]
            var outcomes: [TenantID: OutcomeCounts] = [:]
            for precedent in chunk {
                guard let success = precedent.wasSuccessful else { continue }
                let fields = scales.tenants[precedent.tenant.rawValue] ?? [:]
                outcomes[precedent.tenant, default: .init()].add(success)
                var leaves: [(path: String, value: String)] = []
                describe(.object(precedent.context), path: [], scales: fields, into: &leaves)
                // Counted in place: a tenant's table copied out and back would be copied whole per row.
                for (path, value) in leaves {
                    counts[precedent.tenant, default: [:]][path, default: [:]][value, default: .init()].add(success)
                }
            }
            return (counts, outcomes)
        }) {
            outcomes.merge(part.1, uniquingKeysWith: +)
            for (tenant, fields) in part.0 {
                for (path, values) in fields {
                    counts[tenant, default: [:]][path, default: [:]].merge(values, uniquingKeysWith: +)
                }
            }
        }
        var weights: [String: [String: Double]] = [:]
        for (tenant, fields) in counts {
            let known = outcomes[tenant]!
            guard known.known >= FieldWeighting.minimumOutcomes,
                min(known.successful, known.failed) >= FieldWeighting.minimumEachOutcome
            else { continue }
            // Values in a fixed order, so the sums (and the stored weights) never depend on a
            // dictionary's order.
            let information = fields.mapValues { values in
                FieldWeighting.information(values.sorted { $0.key < $1.key }.map(\.value))
            }
            weights[tenant.rawValue] = FieldWeighting.weights(information, entropy: FieldWeighting.entropy(known))
        }
        return weights
    }

    /// Each leaf of a context with the value that stands for it: a string's normalised text, a
    /// boolean, a number by its nearest bin when its field has a scale (else the number), an
    /// array its items' values together.
    private static func describe(
        _ value: JSONValue, path: [UInt8], scales: [String: NumericScale], into leaves: inout [(path: String, value: String)]
    ) {
        if case .object(let members) = value {
            for (key, member) in members { describe(member, path: extended(path, key), scales: scales, into: &leaves) }
            return
        }
        let field = String(decoding: path, as: UTF8.self)
        if let text = leafValue(value, scale: scales[field]) { leaves.append((field, text)) }
    }

    private static func leafValue(_ value: JSONValue, scale: NumericScale?) -> String? {
        switch value {
        case .null, .object:
            return nil
        case .bool(let flag):
            return flag ? "true" : "false"
        case .string(let text):
            return "=" + String(decoding: TextNormalizer.normalizedBytes(text), as: UTF8.self)
        case .number(let number):
            guard number.isFinite else { return nil }
            guard let scale else { return "#\(number)" }
            return "~\(ScaleTable.nearestBin(scale.standardized(number)))"
        case .array(let items):
            let parts = items.compactMap { leafValue($0, scale: scale) }
            return parts.isEmpty ? nil : parts.joined(separator: "\u{1F}")
        }
    }
}
