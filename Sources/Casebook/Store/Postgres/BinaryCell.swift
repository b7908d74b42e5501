import NIOCore

/// Values read straight from a result cell in PostgreSQL's binary format (what postgres-nio asks
/// for): integers and floats big-endian, text as UTF-8, arrays with a header. Loading a database
/// reads a million rows through these; postgres-nio's generic decoding of the same cells was
/// the larger part of the load's time.
enum BinaryCell {
    static func int64(_ bytes: ByteBuffer?) -> Int64? {
        guard let bytes, bytes.readableBytes == 8 else { return nil }
        return bytes.getInteger(at: bytes.readerIndex, as: Int64.self)
    }

    static func double(_ bytes: ByteBuffer?) -> Double? {
        guard let bytes, bytes.readableBytes == 8 else { return nil }
        return bytes.getInteger(at: bytes.readerIndex, as: UInt64.self).map(Double.init(bitPattern:))
    }

    /// nil for NULL (or a malformed cell).
    static func bool(_ bytes: ByteBuffer?) -> Bool? {
        guard let bytes, bytes.readableBytes == 1 else { return nil }
        return bytes.getInteger(at: bytes.readerIndex, as: UInt8.self).map { $0 != 0 }
    }

    static func text(_ bytes: ByteBuffer?) -> String? {
        bytes.map { String(buffer: $0) }
    }

    /// A one-dimensional `text[]` without NULLs (tags); nil when the cell is anything else.
    static func texts(_ bytes: ByteBuffer?) -> [String]? {
        guard var buffer = bytes, let dimensions = buffer.readInteger(as: Int32.self),
            buffer.readInteger(as: Int32.self) != nil, buffer.readInteger(as: UInt32.self) != nil
        else { return nil }
        if dimensions == 0 { return [] }
        guard dimensions == 1, let count = buffer.readInteger(as: Int32.self), count >= 0,
            buffer.readInteger(as: Int32.self) != nil
        else { return nil }
        var values: [String] = []
        values.reserveCapacity(Int(count))
        for _ in 0..<count {
            guard let length = buffer.readInteger(as: Int32.self), length >= 0,
                let value = buffer.readString(length: Int(length))
            else { return nil }
            values.append(value)
        }
        return values
    }
}
