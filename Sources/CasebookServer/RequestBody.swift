import Casebook
import Foundation
import Hummingbird
import NIOCore

/// Reading request bodies, in one place: every JSON body is decoded into a typed request value
/// (the library's request types, or the small types in `Requests.swift`) by ``JSONValueDecoder``,
/// which refuses unknown members and names the member at fault.
enum RequestBody {
    /// The body's bytes, refused past `limit`.
    static func bytes(_ request: inout Request, limit: Int) async throws(APIError) -> ByteBuffer {
        do {
            return try await request.collectBody(upTo: limit)
        } catch is NIOTooManyBytesError {
            throw APIError(.contentTooLarge, "body_too_large", "body is larger than the limit of \(limit) bytes")
        } catch {
            throw APIError.malformed("the body could not be read")
        }
    }

    /// The body as a JSON object (Casebook's parser: Foundation's spends ~170 µs on a 256-float
    /// vector).
    static func object(_ request: inout Request, limit: Int) async throws(APIError) -> JSONValue {
        try object(from: try await bytes(&request, limit: limit))
    }

    /// The body decoded as `type`, or `empty` when there is no body (an optional body).
    static func decode<T: Decodable>(
        _ type: T.Type, _ request: inout Request, limit: Int, orWhenEmpty empty: T
    ) async throws(APIError) -> T {
        let buffer = try await bytes(&request, limit: limit)
        return buffer.readableBytes == 0 ? empty : try decode(type, from: try object(from: buffer))
    }

    static func object(from buffer: ByteBuffer) throws(APIError) -> JSONValue {
        guard let text = String(validating: buffer.readableBytesView, as: UTF8.self) else {
            throw APIError.malformed("body is not UTF-8")
        }
        let value: JSONValue
        do {
            value = try JSONValue.parse(text)
        } catch {
            throw APIError.malformed("body is not valid JSON: \(error)")
        }
        guard case .object = value else { throw APIError.malformed("body must be a JSON object") }
        return value
    }

    /// The body decoded as `type`.
    static func decode<T: Decodable>(_ type: T.Type, _ request: inout Request, limit: Int) async throws(APIError) -> T {
        try decode(type, from: try await object(&request, limit: limit))
    }

    static func decode<T: Decodable>(_ type: T.Type, from value: JSONValue) throws(APIError) -> T {
        do throws(JSONValueDecoder.Failure) {
            return try JSONValueDecoder.decode(type, from: value)
        } catch {
            throw APIError(error)
        }
    }

    /// A query parameter or member of the wrong type.
    static func type(_ key: String, _ expected: String) -> APIError {
        APIError(JSONValueDecoder.Failure(path: key, kind: .wrongType(expected)))
    }
}

extension APIError {
    /// 400 for a body that does not decode: a missing tenant is `missing_tenant`, as everywhere.
    init(_ failure: JSONValueDecoder.Failure) {
        switch failure.kind {
        case .missing where failure.path == "tenant": self = .missingTenant(in: "the body's field")
        case .missing: self.init(.badRequest, "malformed_request", failure.description)
        case .wrongType: self.init(.badRequest, "wrong_type", failure.description)
        case .unknown: self.init(.badRequest, "unknown_field", failure.description)
        }
    }
}
