#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// `send(2)` under a name the client's own `send` method does not hide.
private func sendBytes(_ fd: Int32, _ bytes: UnsafeRawPointer, _ count: Int) -> Int {
    send(fd, bytes, count, Int32(MSG_NOSIGNAL))
}

/// A minimal HTTP/1.1 client over a Unix domain socket, with keep-alive: one connection, one
/// request at a time, the response read whole (Content-Length bodies, as `casebook serve` sends).
/// For `casebook bench socket` and the tests' crash, soak and fuzz harnesses, which send
/// thousands of requests (a `curl` process each would dominate their time). Not a general client.
public final class UnixHTTPClient {
    public struct Reply: Sendable {
        public var status: Int
        /// The status line and header lines, as received.
        public var head = ""
        public var body: [UInt8]

        /// Header fields by lowercased name (parsed when asked for: benchmarks read only the body).
        public var headers: [String: String] {
            var fields: [String: String] = [:]
            for line in head.split(separator: "\r\n").dropFirst() {
                guard let colon = line.firstIndex(of: ":") else { continue }
                let value = line[line.index(after: colon)...].drop { $0 == " " || $0 == "\t" }
                fields[line[..<colon].lowercased()] = String(value.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
            }
            return fields
        }
        public var text: String { String(decoding: body, as: UTF8.self) }
    }

    public struct Failure: Error, CustomStringConvertible {
        public let description: String
        public init(description: String) { self.description = description }
    }

    private let fd: Int32
    private var buffer = [UInt8](repeating: 0, count: 1 << 16)
    private var pending: [UInt8] = []

    /// Connects to `path`. A reply that takes longer than `timeout` seconds is a `Failure`
    /// (a hung server fails its caller instead of hanging it).
    public init(path: String, timeout: Double? = nil) throws {
        fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "socket(): \(String(cString: strerror(errno)))") }
        if let timeout {
            var limit = timeval(tv_sec: Int(timeout), tv_usec: Int((timeout - timeout.rounded(.down)) * 1e6))
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
            setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else {
            close(fd)
            throw Failure(description: "socket path too long")
        }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        let status = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard status == 0 else {
            let reason = String(cString: strerror(errno))
            close(fd)
            throw Failure(description: "cannot connect to \(path): \(reason)")
        }
    }

    deinit { close(fd) }

    /// Sends one request (a body only when given) and reads the whole reply.
    public func send(_ method: String, _ path: String, body: [UInt8]? = nil, contentType: String = "application/json") throws -> Reply {
        var head = "\(method) \(path) HTTP/1.1\r\nHost: casebook\r\n"
        if let body { head += "Content-Type: \(contentType)\r\nContent-Length: \(body.count)\r\n" }
        head += "\r\n"
        try write(Array(head.utf8) + (body ?? []))
        return try readResponse()
    }

    /// Reads the next reply (after `write`, e.g. of several pipelined requests).
    public func readReply() throws -> Reply {
        try readResponse()
    }

    /// Sends raw bytes and does not wait for a reply (for clients that hang up mid-request).
    public func write(_ bytes: [UInt8]) throws {
        var sent = 0
        while sent < bytes.count {
            let n = bytes.withUnsafeBytes { sendBytes(fd, $0.baseAddress! + sent, bytes.count - sent) }
            guard n > 0 else { throw Failure(description: "send failed: \(String(cString: strerror(errno)))") }
            sent += n
        }
    }

    private func fill() throws {
        let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress!, $0.count, 0) }
        if n < 0, errno == EAGAIN || errno == EWOULDBLOCK { throw Failure(description: "no reply within the timeout") }
        guard n > 0 else { throw Failure(description: "connection closed by the server") }
        pending.append(contentsOf: buffer[0..<n])
    }

    private func readResponse() throws -> Reply {
        var headerEnd: Int?
        var searched = 0
        while headerEnd == nil {
            // "\r\n\r\n", looked for only in bytes not searched before.
            var i = max(0, searched - 3)
            while i + 3 < pending.count {
                if pending[i] == 13, pending[i + 1] == 10, pending[i + 2] == 13, pending[i + 3] == 10 {
                    headerEnd = i
                    break
                }
                i += 1
            }
            searched = pending.count
            if headerEnd == nil { try fill() }
        }
        // Status and Content-Length read from the bytes: this client times the server, so it
        // keeps its own share small (no per-line strings).
        let end = headerEnd!
        let status = Self.number(in: pending, from: 9, to: min(end, 12)) ?? 0
        var length = 0
        let name = Array("content-length:".utf8)
        var lineStart = 0
        while lineStart < end {
            var lineEnd = lineStart
            while lineEnd < end, pending[lineEnd] != 13 { lineEnd += 1 }
            if lineEnd - lineStart > name.count,
                (0..<name.count).allSatisfy({ pending[lineStart + $0] | (pending[lineStart + $0] >= 65 && pending[lineStart + $0] <= 90 ? 0x20 : 0) == name[$0] })
            {
                var digits = lineStart + name.count
                while digits < lineEnd, pending[digits] == 32 { digits += 1 }
                length = Self.number(in: pending, from: digits, to: lineEnd) ?? 0
            }
            lineStart = lineEnd + 2
        }
        let head = String(decoding: pending[0..<end], as: UTF8.self)
        let start = end + 4
        while pending.count < start + length { try fill() }
        let body = Array(pending[start..<(start + length)])
        pending.removeFirst(start + length)
        return Reply(status: status, head: head, body: body)
    }

    /// The decimal number in `bytes[from..<to]` (digits only), or nil.
    private static func number(in bytes: [UInt8], from: Int, to: Int) -> Int? {
        guard from < to else { return nil }
        var value = 0
        for i in from..<to {
            guard bytes[i] >= 48, bytes[i] <= 57 else { return nil }
            value = value * 10 + Int(bytes[i] - 48)
        }
        return value
    }
}
