/// Search responses written straight to JSON bytes, for the socket API. Foundation's `JSONEncoder`
/// spent ~0.2 ms on a top-10 response with its precedents (perf on `casebook serve`, 100k x 384):
/// as much as the socket's whole latency budget. The members are those of the `Codable` forms
/// (absent optionals left out, a precedent's `context` and `tags` always present), keys in code
/// point order, numbers as Swift prints them without a trailing ".0" (as `JSONEncoder` does), so
/// `JSONDecoder` reads back an equal value.
extension SearchResponse {
    /// The response as UTF-8 JSON, the socket's body.
    public var jsonBytes: [UInt8] {
        var out = JSONWriter(capacity: 256 + results.count * 512)
        write(into: &out)
        return out.bytes
    }

    public var jsonText: String { String(decoding: jsonBytes, as: UTF8.self) }

    /// `{"responses":[...]}`: the batch route's body.
    public static func jsonBytes(batch responses: [SearchResponse]) -> [UInt8] {
        var out = JSONWriter(capacity: 16 + responses.count * (256 + 10 * 512))
        out.raw("{\"responses\":[")
        for (position, response) in responses.enumerated() {
            if position > 0 { out.raw(",") }
            response.write(into: &out)
        }
        out.raw("]}")
        return out.bytes
    }

    public static func jsonText(batch responses: [SearchResponse]) -> String {
        String(decoding: jsonBytes(batch: responses), as: UTF8.self)
    }

    func write(into out: inout JSONWriter) {
        out.raw("{\"exact\":")
        out.bool(exact)
        out.raw(",\"probed\":")
        out.integer(probed)
        out.raw(",\"queryId\":")
        out.string(queryId)
        out.raw(",\"reranked\":")
        out.bool(reranked)
        out.raw(",\"results\":[")
        for (position, result) in results.enumerated() {
            if position > 0 { out.raw(",") }
            result.write(into: &out)
        }
        out.raw("],\"tookMs\":")
        out.codableNumber(tookMs)
        out.raw("}")
    }
}

extension SearchResult {
    func write(into out: inout JSONWriter) {
        if let explanation {
            out.raw("{\"explanation\":")
            explanation.write(into: &out)
            out.raw(",\"id\":")
        } else {
            out.raw("{\"id\":")
        }
        out.string(id.rawValue)
        if let parts {
            out.raw(",\"parts\":{\"lexical\":")
            out.codableNumber(parts.lexical)
            out.raw(",\"vector\":")
            out.codableNumber(parts.vector)
            out.raw("}")
        }
        if let precedent {
            out.raw(",\"precedent\":")
            precedent.write(into: &out)
        }
        out.raw(",\"rank\":")
        out.integer(rank)
        out.raw(",\"score\":")
        out.codableNumber(score)
        if let similarity {
            out.raw(",\"similarity\":")
            out.codableNumber(similarity)
        }
        out.raw("}")
    }
}

extension SearchExplanation {
    func write(into out: inout JSONWriter) {
        out.raw("{\"collisions\":")
        out.codableNumber(collisions)
        out.raw(",\"features\":[")
        for (position, feature) in features.enumerated() {
            if position > 0 { out.raw(",") }
            out.raw("{\"contribution\":")
            out.codableNumber(feature.contribution)
            out.raw(",\"namespace\":")
            out.string(feature.namespace)
            out.raw(",\"token\":")
            out.string(feature.token)
            out.raw("}")
        }
        out.raw("],\"namespaces\":[")
        for (position, namespace) in namespaces.enumerated() {
            if position > 0 { out.raw(",") }
            out.raw("{\"contribution\":")
            out.codableNumber(namespace.contribution)
            out.raw(",\"namespace\":")
            out.string(namespace.namespace)
            out.raw(",\"similarity\":")
            out.codableNumber(namespace.similarity)
            out.raw("}")
        }
        out.raw("]}")
    }
}

extension Precedent {
    /// Each field with `"name":` as bytes, in code point order of the names.
    private static let members: [(field: PrecedentField, name: [UInt8])] =
        PrecedentField.jsonOrder.map { ($0, Array("\"\($0.rawValue)\":".utf8)) }

    /// The members of `encode(to:)`, in code point order of their keys.
    func write(into out: inout JSONWriter) {
        var first = true
        func key(_ name: [UInt8]) {
            out.raw(first ? "{" : ",")
            out.raw(bytes: name)
            first = false
        }
        for (field, name) in Self.members {
            switch field {
            case .id:
                if let id {
                    key(name)
                    out.string(id.rawValue)
                }
            case .tenant:
                key(name)
                out.string(tenant.rawValue)
            case .context:
                key(name)
                out.object(context)
            case .wasSuccessful:
                if let wasSuccessful {
                    key(name)
                    out.bool(wasSuccessful)
                }
            case .tags:
                key(name)
                out.raw("[")
                for (position, tag) in tags.enumerated() {
                    if position > 0 { out.raw(",") }
                    out.string(tag)
                }
                out.raw("]")
            case .createdAt:
                if let createdAt {
                    key(name)
                    out.string(Timestamp.format(createdAt))
                }
            case .vector:
                if let vector {
                    key(name)
                    out.raw("[")
                    for (position, value) in vector.enumerated() {
                        if position > 0 { out.raw(",") }
                        out.codableNumber(value)
                    }
                    out.raw("]")
                }
            case .category, .decisionEventId, .policyVersion, .text, .action, .outcome:
                if let text = self[text: field] {
                    key(name)
                    out.string(text)
                }
            }
        }
        out.raw("}")
    }
}
