import Casebook
import Foundation
import MCP

/// Between the MCP SDK's `Value` and Casebook's JSON: tool arguments arrive as `Value`s and are
/// decoded by Casebook's strict decoder (unknown members refused, the member at fault named);
/// results go out as `Value`s encoded the way the socket API writes them (times as ISO 8601).
enum MCPValues {
    static func json(_ value: Value) -> JSONValue {
        switch value {
        case .null: return .null
        case .bool(let flag): return .bool(flag)
        case .int(let number): return .number(Double(number))
        case .double(let number): return .number(number)
        case .string(let text): return .string(text)
        // Binary content is not an argument any tool takes: it arrives as its base64 text.
        case .data(_, let data): return .string(data.base64EncodedString())
        case .array(let items): return .array(items.map(json))
        case .object(let members): return .object(members.mapValues(json))
        }
    }

    /// `value` (an object's members) decoded as `T`.
    static func decode<T: Decodable>(_ type: T.Type, from members: [String: Value]) throws(ToolError) -> T {
        do throws(JSONValueDecoder.Failure) {
            return try JSONValueDecoder.decode(type, from: .object(members.mapValues(json)))
        } catch {
            throw ToolError("invalid arguments: \(error)")
        }
    }

    /// An encodable result as a `Value`.
    static func value(_ result: some Encodable) throws(ToolError) -> Value {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.dateEncodingStrategy = Timestamp.encodingStrategy
        do {
            return try JSONDecoder().decode(Value.self, from: try encoder.encode(result))
        } catch {
            throw ToolError("the result could not be encoded")
        }
    }
}

/// A tool call that cannot be answered: its message goes back to the model as the tool's result
/// with `isError`, so the model can correct its call.
struct ToolError: Error, Sendable {
    let message: String
    init(_ message: String) { self.message = message }
}
