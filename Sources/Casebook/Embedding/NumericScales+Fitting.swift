extension NumericScales {
    /// The scales of each tenant's numeric context fields in these precedents (paths as the
    /// featurizer forms them: normalised keys joined by ".", array items under their array's
    /// path), as version `version`.
    public static func fit(_ precedents: some Sequence<Precedent>, version: Int) -> NumericScales {
        var values: [TenantID: [String: [Double]]] = [:]
        for precedent in precedents {
            collect(.object(precedent.context), path: [], into: &values[precedent.tenant, default: [:]])
        }
        var scales = NumericScales(version: version)
        for (tenant, fields) in values {
            let fitted = fields.compactMapValues(NumericScale.fit)
            if !fitted.isEmpty { scales.tenants[tenant.rawValue] = fitted }
        }
        return scales
    }

    private static func collect(_ value: JSONValue, path: [UInt8], into values: inout [String: [Double]]) {
        switch value {
        case .number(let number):
            values[String(decoding: path, as: UTF8.self), default: []].append(number)
        case .array(let items):
            for item in items { collect(item, path: path, into: &values) }
        case .object(let members):
            for (key, member) in members {
                var inner = path
                if !inner.isEmpty { inner.append(0x2E) }
                inner.append(contentsOf: TextNormalizer.normalizedBytes(key))
                collect(member, path: inner, into: &values)
            }
        case .null, .bool, .string:
            return
        }
    }
}
