import Casebook
import Hummingbird
import MultipartKit
import NIOCore

/// The bulk form of an add (`POST /v1/collections/{name}/precedents` as `multipart/form-data`):
/// a `precedents` part holding the JSON body of a plain add, without vectors, and a `vectors` part
/// of raw little-endian float32, the items' vectors one after another in order. Parsing a vector
/// from JSON costs more than the rest of an add; these are copied as they are.
enum BulkAddBody {
    static let contentType = "multipart/form-data"

    /// The body as a plain add's, and each item's vector.
    static func decode(_ request: inout Request, limit: Int) async throws(APIError) -> (AddPrecedentsBody, [[Float]]) {
        let boundary = try boundary(of: request.headers[.contentType] ?? "")
        let buffer = try await RequestBody.bytes(&request, limit: limit)
        let parts = try parts(of: buffer, boundary: boundary)
        guard var json = parts["precedents"] else { throw APIError.malformed("the bulk body needs a \"precedents\" part") }
        guard let vectors = parts["vectors"] else { throw APIError.malformed("the bulk body needs a \"vectors\" part") }
        guard let text = json.readString(length: json.readableBytes) else { throw APIError.malformed("the precedents part is not UTF-8") }
        let value: JSONValue
        do {
            value = try JSONValue.parse(text)
        } catch {
            throw APIError.malformed("the precedents part is not valid JSON: \(error)")
        }
        let body = try RequestBody.decode(AddPrecedentsBody.self, from: value)
        let count = body.precedents.count
        let floats = vectors.readableBytes / 4
        guard count > 0 else { throw APIError.malformed("the precedents part holds no precedents") }
        // Well-formed parts that do not fit each other are a value error (422), as a JSON
        // precedent's vector of the wrong length is.
        guard vectors.readableBytes % 4 == 0, floats % count == 0, floats > 0 else {
            throw APIError(.unprocessableContent, "invalid_vector",
                "the vectors part has \(vectors.readableBytes) bytes: it must be the \(count) precedents' float32 vectors, each as long as the others")
        }
        for (index, item) in body.precedents.enumerated() where item.objectValue?["vector"] != nil {
            throw APIError(.unprocessableContent, "invalid_precedents", "precedent \(index) carries a vector: in a bulk body they are in the vectors part")
        }
        let dimension = floats / count
        let rows: [[Float]] = vectors.readableBytesView.withUnsafeBytes { raw in
            (0..<count).map { row in
                (0..<dimension).map { column in
                    Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * (row * dimension + column), as: UInt32.self)))
                }
            }
        }
        return (body, rows)
    }

    private static func boundary(of contentType: String) throws(APIError) -> String {
        for parameter in contentType.split(separator: ";").dropFirst() {
            let pair = parameter.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard pair.count == 2, pair[0].lowercased() == "boundary" else { continue }
            let value = pair[1].hasPrefix("\"") && pair[1].hasSuffix("\"") && pair[1].count >= 2
                ? String(pair[1].dropFirst().dropLast()) : pair[1]
            if !value.isEmpty { return value }
        }
        throw APIError.malformed("a multipart/form-data body needs a boundary in its Content-Type")
    }

    /// The named parts; a part without a name, an unknown name or a repeated one is refused.
    private static func parts(of buffer: ByteBuffer, boundary: String) throws(APIError) -> [String: ByteBuffer] {
        var parts: [MultipartPart] = []
        var headers: [(String, String)] = []
        var body = ByteBuffer()
        let parser = MultipartParser(boundary: boundary)
        parser.onHeader = { headers.append(($0, $1)) }
        parser.onBody = { chunk in body.writeBuffer(&chunk) }
        parser.onPartComplete = {
            parts.append(MultipartPart(headers: HTTPHeaders(headers), body: body))
            headers = []
            body = ByteBuffer()
        }
        do {
            try parser.execute(buffer)
        } catch {
            throw APIError.malformed("the body is not valid multipart/form-data: \(error)")
        }
        var named: [String: ByteBuffer] = [:]
        for part in parts {
            guard let name = part.name, ["precedents", "vectors"].contains(name) else {
                throw APIError.malformed("unknown part \"\(part.name ?? "")\": a bulk body has \"precedents\" and \"vectors\"")
            }
            guard named[name] == nil else { throw APIError.malformed("part \"\(name)\" appears twice") }
            named[name] = part.body
        }
        return named
    }
}
