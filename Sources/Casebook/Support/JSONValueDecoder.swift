import Foundation
import Synchronization

/// Decodes a `Decodable` value from a parsed JSON tree (``JSONValue``): how the socket API turns
/// a request body into the library's request types, in one place.
///
/// - Strict: a member the type never asks for is refused as unknown, so a misspelt option is an
///   error rather than silently ignored. When the type's coding keys are `CaseIterable`, unknown
///   members are refused before any member is read (so they are reported before a missing one).
/// - Errors name the member's path (`filter.tags[2]`) and what it must be.
/// - `Date` is ISO 8601 text or seconds since 1970; `[Float]` is read in one pass (Foundation's
///   decoder spends ~170 µs on a 256-float vector); ``JSONValue`` members are taken as they are.
public enum JSONValueDecoder {
    public struct Failure: Error, CustomStringConvertible, Sendable {
        public enum Kind: Sendable, Equatable {
            case missing
            /// What the member must be, in words: "an integer", "a string".
            case wrongType(String)
            case unknown
        }

        /// The member's path: `k`, `filter.tags[2]`.
        public let path: String
        public let kind: Kind

        public init(path: String, kind: Kind) {
            self.path = path
            self.kind = kind
        }

        public var description: String {
            switch kind {
            case .missing: return "missing field \"\(path)\""
            case .wrongType(let expected): return "field \"\(path)\" must be \(expected)"
            case .unknown: return "unknown field \"\(path)\""
            }
        }
    }

    public static func decode<T: Decodable>(_ type: T.Type, from value: JSONValue) throws(Failure) -> T {
        let tracker = KeyTracker()
        do {
            let decoded = try ValueDecoder(value: value, path: [], tracker: tracker).decode(T.self)
            if let unknown = tracker.firstUnknown() { throw Failure(path: unknown, kind: .unknown) }
            return decoded
        } catch let failure as Failure {
            throw failure
        } catch let error as DecodingError {
            // A type's own checks (an enum's raw value, a custom init) report through DecodingError.
            switch error {
            case .dataCorrupted(let context), .typeMismatch(_, let context), .valueNotFound(_, let context):
                throw Failure(path: render(context.codingPath), kind: .wrongType(context.debugDescription))
            case .keyNotFound(let key, let context):
                throw Failure(path: render(context.codingPath + [key]), kind: .missing)
            @unknown default:
                throw Failure(path: "", kind: .wrongType("\(error)"))
            }
        } catch {
            throw Failure(path: "", kind: .wrongType("\(error)"))
        }
    }

    static func render(_ path: [any CodingKey]) -> String {
        var out = ""
        for key in path {
            if let index = key.intValue {
                out += "[\(index)]"
            } else {
                out += out.isEmpty ? key.stringValue : ".\(key.stringValue)"
            }
        }
        return out
    }
}

/// The members every decoded object was asked for, to find the ones nobody asked for. An object
/// read through several containers (a type reading it twice) counts what any of them asked.
private final class KeyTracker {
    private var objects: [(path: [any CodingKey], members: [String: JSONValue], asked: Set<String>)] = []
    private var byPath: [String: Int] = [:]

    func register(_ path: [any CodingKey], _ members: [String: JSONValue]) -> Int {
        let rendered = JSONValueDecoder.render(path)
        if let known = byPath[rendered] { return known }
        objects.append((path, members, []))
        byPath[rendered] = objects.count - 1
        return objects.count - 1
    }

    func asked(_ object: Int, _ key: String) { objects[object].asked.insert(key) }

    func firstUnknown() -> String? {
        for object in objects {
            if let key = object.members.keys.sorted().first(where: { !object.asked.contains($0) }) {
                return JSONValueDecoder.render(object.path + [AnyKey(key)])
            }
        }
        return nil
    }
}

private struct AnyKey: CodingKey {
    var stringValue: String
    var intValue: Int?
    init(_ string: String) { stringValue = string }
    init(index: Int) {
        stringValue = "\(index)"
        intValue = index
    }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { self.init(index: intValue) }
}

/// The member names of coding-key types that list their cases, worked out once per type (a
/// dynamic cast and a walk of the cases cost more than decoding a small request).
private enum KnownKeys {
    private static let cache = Mutex<[ObjectIdentifier: Set<String>?]>([:])

    static func names<Key: CodingKey>(of type: Key.Type) -> Set<String>? {
        let id = ObjectIdentifier(type)
        if let known = cache.withLock({ $0[id] }) { return known }
        let names = (type as? any (CodingKey & CaseIterable).Type).map { listed in caseNames(listed) }
        cache.withLock { $0[id] = names }
        return names
    }

    private static func caseNames<Listed: CodingKey & CaseIterable>(_ type: Listed.Type) -> Set<String> {
        Set(Listed.allCases.map { $0.stringValue })
    }
}

private struct ValueDecoder: Decoder, SingleValueDecodingContainer {
    let value: JSONValue
    let path: [any CodingKey]
    let tracker: KeyTracker
    var codingPath: [any CodingKey] { path }
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func failure(_ expected: String) -> JSONValueDecoder.Failure {
        JSONValueDecoder.Failure(path: JSONValueDecoder.render(path), kind: .wrongType(expected))
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        guard case .object(let members) = value else { throw failure("an object") }
        if let known = KnownKeys.names(of: Key.self) {
            if let unknown = members.keys.sorted().first(where: { !known.contains($0) }) {
                throw JSONValueDecoder.Failure(path: JSONValueDecoder.render(path + [AnyKey(unknown)]), kind: .unknown)
            }
        }
        return KeyedDecodingContainer(Keyed<Key>(
            members: members, path: path, tracker: tracker, object: tracker.register(path, members)))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        guard case .array(let items) = value else { throw failure("an array") }
        return Unkeyed(items: items, path: path, tracker: tracker)
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer { self }

    func decodeNil() -> Bool { value == .null }

    func decode(_ type: Bool.Type) throws -> Bool {
        guard case .bool(let flag) = value else { throw failure("true or false") }
        return flag
    }

    func decode(_ type: String.Type) throws -> String {
        guard case .string(let text) = value else { throw failure("a string") }
        return text
    }

    func number() throws -> Double {
        guard case .number(let number) = value else { throw failure("a number") }
        return number
    }

    func decode(_ type: Double.Type) throws -> Double { try number() }
    func decode(_ type: Float.Type) throws -> Float { Float(try number()) }

    /// An integer: a JSON number without a fraction, within the type's range.
    func integer<I: FixedWidthInteger>(_ type: I.Type) throws -> I {
        guard case .number(let number) = value, number.rounded() == number, abs(number) < 1e15, let exact = I(exactly: number)
        else { throw failure("an integer") }
        return exact
    }

    func decode(_ type: Int.Type) throws -> Int { try integer(Int.self) }
    func decode(_ type: Int8.Type) throws -> Int8 { try integer(Int8.self) }
    func decode(_ type: Int16.Type) throws -> Int16 { try integer(Int16.self) }
    func decode(_ type: Int32.Type) throws -> Int32 { try integer(Int32.self) }
    func decode(_ type: Int64.Type) throws -> Int64 { try integer(Int64.self) }
    func decode(_ type: UInt.Type) throws -> UInt { try integer(UInt.self) }
    func decode(_ type: UInt8.Type) throws -> UInt8 { try integer(UInt8.self) }
    func decode(_ type: UInt16.Type) throws -> UInt16 { try integer(UInt16.self) }
    func decode(_ type: UInt32.Type) throws -> UInt32 { try integer(UInt32.self) }
    func decode(_ type: UInt64.Type) throws -> UInt64 { try integer(UInt64.self) }

    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        if T.self == JSONValue.self { return value as! T }
        if T.self == [Float].self { return try floats() as! T }
        if T.self == Date.self { return try date() as! T }
        return try T(from: self)
    }

    func floats() throws -> [Float] {
        guard case .array(let items) = value else { throw failure("an array of numbers") }
        var out: [Float] = []
        out.reserveCapacity(items.count)
        for item in items {
            guard case .number(let number) = item else { throw failure("an array of numbers") }
            out.append(Float(number))
        }
        return out
    }

    func date() throws -> Date {
        switch value {
        case .number(let seconds): return Date(timeIntervalSince1970: seconds)
        case .string(let text):
            guard let date = Timestamp.parse(text) else { throw failure("an ISO 8601 date or time") }
            return date
        default: throw failure("an ISO 8601 date or time")
        }
    }
}

private struct Keyed<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let members: [String: JSONValue]
    let path: [any CodingKey]
    let tracker: KeyTracker
    let object: Int
    var codingPath: [any CodingKey] { path }
    var allKeys: [Key] { members.keys.compactMap(Key.init(stringValue:)) }

    func contains(_ key: Key) -> Bool {
        tracker.asked(object, key.stringValue)
        return members[key.stringValue] != nil
    }

    func child(_ key: Key) throws -> ValueDecoder {
        tracker.asked(object, key.stringValue)
        guard let value = members[key.stringValue] else {
            throw JSONValueDecoder.Failure(path: JSONValueDecoder.render(path + [key]), kind: .missing)
        }
        return ValueDecoder(value: value, path: path + [key], tracker: tracker)
    }

    func decodeNil(forKey key: Key) throws -> Bool {
        tracker.asked(object, key.stringValue)
        return (members[key.stringValue] ?? .null) == .null
    }

    /// A required member: absent or null is missing.
    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
        let decoder = try child(key)
        if decoder.value == .null, T.self != JSONValue.self {
            throw JSONValueDecoder.Failure(path: JSONValueDecoder.render(path + [key]), kind: .missing)
        }
        return try decoder.decode(T.self)
    }

    /// Absent and null are both nil.
    func decodeIfPresent<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T? {
        tracker.asked(object, key.stringValue)
        guard let value = members[key.stringValue], value != .null else { return nil }
        return try ValueDecoder(value: value, path: path + [key], tracker: tracker).decode(T.self)
    }

    func nestedContainer<NestedKey: CodingKey>(
        keyedBy type: NestedKey.Type, forKey key: Key
    ) throws -> KeyedDecodingContainer<NestedKey> {
        try child(key).container(keyedBy: type)
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        try child(key).unkeyedContainer()
    }

    func superDecoder() throws -> any Decoder { try child(Key(stringValue: "super")!) }
    func superDecoder(forKey key: Key) throws -> any Decoder { try child(key) }
}

private struct Unkeyed: UnkeyedDecodingContainer {
    let items: [JSONValue]
    let path: [any CodingKey]
    let tracker: KeyTracker
    var currentIndex = 0
    var codingPath: [any CodingKey] { path }
    var count: Int? { items.count }
    var isAtEnd: Bool { currentIndex >= items.count }

    mutating func next() throws -> ValueDecoder {
        guard !isAtEnd else {
            throw JSONValueDecoder.Failure(path: JSONValueDecoder.render(path), kind: .wrongType("a longer array"))
        }
        defer { currentIndex += 1 }
        return ValueDecoder(value: items[currentIndex], path: path + [AnyKey(index: currentIndex)], tracker: tracker)
    }

    mutating func decodeNil() throws -> Bool {
        guard !isAtEnd, items[currentIndex] == .null else { return false }
        currentIndex += 1
        return true
    }

    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T { try next().decode(T.self) }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws -> KeyedDecodingContainer<NestedKey> {
        try next().container(keyedBy: type)
    }

    mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer { try next().unkeyedContainer() }

    mutating func superDecoder() throws -> any Decoder { try next() }
}
