/// Where and how `casebook serve` listens.
public struct ServerConfiguration: Sendable {
    /// The Unix domain socket (created with mode 0600; a stale socket there is replaced).
    public var socketPath: String
    /// Optional TCP listener, on a loopback address only.
    public var tcp: TCPAddress?
    /// Largest request body accepted (413 above it).
    public var maxBodyBytes: Int
    /// Also serve MCP (streamable HTTP) at `/mcp` on the same listeners.
    public var mcp: Bool

    public static let defaultMaxBodyBytes = 16 << 20

    public init(socketPath: String, tcp: TCPAddress? = nil, maxBodyBytes: Int = defaultMaxBodyBytes, mcp: Bool = false) {
        self.socketPath = socketPath
        self.tcp = tcp
        self.maxBodyBytes = maxBodyBytes
        self.mcp = mcp
    }

    public struct TCPAddress: Sendable, Hashable {
        public var host: String
        public var port: Int

        /// Parses `HOST:PORT`; the host must be a loopback address (127.0.0.0/8, ::1, localhost).
        public init(_ text: String) throws(ServerError) {
            guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]),
                (1...65_535).contains(port)
            else { throw ServerError("--tcp must be HOST:PORT with a port from 1 to 65535, got \"\(text)\"") }
            var host = String(text[..<colon])
            if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
            guard Self.isLoopback(host) else {
                throw ServerError("--tcp listens on loopback addresses only (127.0.0.0/8, ::1, localhost), got \"\(host)\"")
            }
            self.host = host
            self.port = port
        }

        static func isLoopback(_ host: String) -> Bool {
            if host == "localhost" || host == "::1" { return true }
            let parts = host.split(separator: ".", omittingEmptySubsequences: false)
            guard parts.count == 4, parts.allSatisfy({ UInt8($0) != nil }) else { return false }
            return parts[0] == "127"
        }
    }
}

/// A server setup problem (address, socket path), said in full.
public struct ServerError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
