/// Search responses written straight to JSON text, for the socket API. Foundation's `JSONEncoder`
/// spent ~0.2 ms on a top-10 response with its precedents (perf on `casebook serve`, 100k x 384):
/// as much as the socket's whole latency budget. The members are those of the `Codable` forms
/// (absent optionals left out, a precedent's `context` and `tags` always present), keys in code
/// point order, numbers as Swift prints them without a trailing ".0" (as `JSONEncoder` does), so
/// `JSONDecoder` reads back an equal value.
extension SearchResponse {
    public var jsonText: String {
        var out = ""
        out.reserveCapacity(256 + results.count * 512)
        write(into: &out)
        return out
    }

    /// `{"responses":[...]}`: the batch route's body.
    public static func jsonText(batch responses: [SearchResponse]) -> String {
        var out = "{\"responses\":["
        out.reserveCapacity(16 + responses.count * (256 + 10 * 512))
        for (position, response) in responses.enumerated() {
            if position > 0 { out += "," }
            response.write(into: &out)
        }
        out += "]}"
        return out
    }

    func write(into out: inout String) {
        out += "{\"exact\":"
        out += exact ? "true" : "false"
        out += ",\"probed\":"
        out += String(probed)
        out += ",\"queryId\":"
        JSONWriter.writeString(queryId, into: &out)
        out += ",\"reranked\":"
        out += reranked ? "true" : "false"
        out += ",\"results\":["
        for (position, result) in results.enumerated() {
            if position > 0 { out += "," }
            result.write(into: &out)
        }
        out += "],\"tookMs\":"
        JSONWriter.writeCodableNumber(tookMs, into: &out)
        out += "}"
    }
}

extension SearchResult {
    func write(into out: inout String) {
        if let explanation {
            out += "{\"explanation\":"
            explanation.write(into: &out)
            out += ",\"id\":"
        } else {
            out += "{\"id\":"
        }
        JSONWriter.writeString(id.rawValue, into: &out)
        if let precedent {
            out += ",\"precedent\":"
            precedent.write(into: &out)
        }
        out += ",\"rank\":"
        out += String(rank)
        out += ",\"score\":"
        JSONWriter.writeCodableNumber(score, into: &out)
        if let similarity {
            out += ",\"similarity\":"
            JSONWriter.writeCodableNumber(similarity, into: &out)
        }
        out += "}"
    }
}

extension SearchExplanation {
    func write(into out: inout String) {
        out += "{\"collisions\":"
        JSONWriter.writeCodableNumber(collisions, into: &out)
        out += ",\"features\":["
        for (position, feature) in features.enumerated() {
            if position > 0 { out += "," }
            out += "{\"contribution\":"
            JSONWriter.writeCodableNumber(feature.contribution, into: &out)
            out += ",\"namespace\":"
            JSONWriter.writeString(feature.namespace, into: &out)
            out += ",\"token\":"
            JSONWriter.writeString(feature.token, into: &out)
            out += "}"
        }
        out += "],\"namespaces\":["
        for (position, namespace) in namespaces.enumerated() {
            if position > 0 { out += "," }
            out += "{\"contribution\":"
            JSONWriter.writeCodableNumber(namespace.contribution, into: &out)
            out += ",\"namespace\":"
            JSONWriter.writeString(namespace.namespace, into: &out)
            out += ",\"similarity\":"
            JSONWriter.writeCodableNumber(namespace.similarity, into: &out)
            out += "}"
        }
        out += "]}"
    }
}

extension Precedent {
    /// The members of `encode(to:)`, in code point order of their keys.
    func write(into out: inout String) {
        var separator = "{"
        func key(_ name: String) {
            out += separator
            out += "\""
            out += name
            out += "\":"
            separator = ","
        }
        if let category {
            key("category")
            JSONWriter.writeString(category, into: &out)
        }
        key("context")
        JSONWriter.writeObject(context, into: &out)
        if let createdAt {
            key("createdAt")
            JSONWriter.writeString(Timestamp.format(createdAt), into: &out)
        }
        if let decisionEventId {
            key("decisionEventId")
            JSONWriter.writeString(decisionEventId, into: &out)
        }
        if let id {
            key("id")
            JSONWriter.writeString(id.rawValue, into: &out)
        }
        if let outcome {
            key("outcome")
            JSONWriter.writeString(outcome, into: &out)
        }
        key("tags")
        out += "["
        for (position, tag) in tags.enumerated() {
            if position > 0 { out += "," }
            JSONWriter.writeString(tag, into: &out)
        }
        out += "]"
        key("tenant")
        JSONWriter.writeString(tenant.rawValue, into: &out)
        if let text {
            key("text")
            JSONWriter.writeString(text, into: &out)
        }
        if let vector {
            key("vector")
            out += "["
            for (position, value) in vector.enumerated() {
                if position > 0 { out += "," }
                JSONWriter.writeCodableNumber(value, into: &out)
            }
            out += "]"
        }
        if let wasSuccessful {
            key("wasSuccessful")
            out += wasSuccessful ? "true" : "false"
        }
        out += "}"
    }
}
