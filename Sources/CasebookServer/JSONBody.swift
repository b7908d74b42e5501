import Casebook
import Foundation
import Hummingbird
import NIOCore

/// A request's JSON object, read whole up to the server's body limit and parsed by Casebook's own
/// parser (Foundation's decoder spends ~170 µs on a 256-float vector). Fields outside `allowed`
/// are refused, so a misspelt option is an error rather than silently ignored.
struct JSONBody {
    let fields: [String: JSONValue]

    init(_ request: inout Request, limit: Int, allowed: Set<String>) async throws(APIError) {
        let text = try await Self.text(&request, limit: limit)
        let value: JSONValue
        do {
            value = try JSONValue.parse(text)
        } catch {
            throw APIError.malformed("body is not valid JSON: \(error)")
        }
        guard case .object(let fields) = value else { throw APIError.malformed("body must be a JSON object") }
        if let unknown = fields.keys.sorted().first(where: { !allowed.contains($0) }) {
            throw APIError(.badRequest, "unknown_field", "unknown field \"\(unknown)\"")
        }
        self.fields = fields
    }

    /// The body as UTF-8 text, refused past `limit` bytes.
    static func text(_ request: inout Request, limit: Int) async throws(APIError) -> String {
        let buffer = try await bytes(&request, limit: limit)
        guard let text = String(validating: buffer.readableBytesView, as: UTF8.self) else {
            throw APIError.malformed("body is not UTF-8")
        }
        return text
    }

    /// A nested object, checked the same way (`path` names it in errors).
    init(fields: [String: JSONValue], allowed: Set<String>, in path: String) throws(APIError) {
        if let unknown = fields.keys.sorted().first(where: { !allowed.contains($0) }) {
            throw APIError(.badRequest, "unknown_field", "unknown field \"\(path).\(unknown)\"")
        }
        self.fields = fields
    }

    static func bytes(_ request: inout Request, limit: Int) async throws(APIError) -> ByteBuffer {
        do {
            return try await request.collectBody(upTo: limit)
        } catch is NIOTooManyBytesError {
            throw APIError(.contentTooLarge, "body_too_large", "body is larger than the limit of \(limit) bytes")
        } catch {
            throw APIError.malformed("the body could not be read")
        }
    }

    func value(_ key: String) -> JSONValue? {
        switch fields[key] {
        case nil, .null?: return nil
        case let value?: return value
        }
    }

    func string(_ key: String) throws(APIError) -> String? {
        guard let value = value(key) else { return nil }
        guard case .string(let text) = value else { throw Self.type(key, "a string") }
        return text
    }

    func require(_ key: String) throws(APIError) -> String {
        guard let text = try string(key) else { throw APIError.malformed("missing field \"\(key)\"") }
        return text
    }

    func tenant() throws(APIError) -> TenantID {
        guard let text = try string("tenant") else { throw APIError(.missingTenant) }
        return TenantID(text)
    }

    /// An integer: a JSON number without a fraction, within Int.
    func int(_ key: String) throws(APIError) -> Int? {
        guard let value = value(key) else { return nil }
        guard case .number(let number) = value, number.rounded() == number, abs(number) < 1e15 else {
            throw Self.type(key, "an integer")
        }
        return Int(number)
    }

    func bool(_ key: String) throws(APIError) -> Bool? {
        guard let value = value(key) else { return nil }
        guard case .bool(let flag) = value else { throw Self.type(key, "true or false") }
        return flag
    }

    func object(_ key: String) throws(APIError) -> [String: JSONValue]? {
        guard let value = value(key) else { return nil }
        guard case .object(let members) = value else { throw Self.type(key, "an object") }
        return members
    }

    func floats(_ key: String) throws(APIError) -> [Float]? {
        guard let value = value(key) else { return nil }
        return try Self.floats(value, key)
    }

    static func floats(_ value: JSONValue, _ key: String) throws(APIError) -> [Float] {
        guard case .array(let items) = value else { throw type(key, "an array of numbers") }
        var floats: [Float] = []
        floats.reserveCapacity(items.count)
        for item in items {
            guard case .number(let number) = item else { throw type(key, "an array of numbers") }
            floats.append(Float(number))
        }
        return floats
    }

    /// An ISO 8601 date or time named `key` in errors (nil stays nil).
    static func date(_ text: String?, _ key: String) throws(APIError) -> Date? {
        guard let text else { return nil }
        guard let date = Timestamp.parse(text) else { throw type(key, "an ISO 8601 date or time") }
        return date
    }

    static func type(_ key: String, _ expected: String) -> APIError {
        APIError(.badRequest, "wrong_type", "field \"\(key)\" must be \(expected)")
    }
}
