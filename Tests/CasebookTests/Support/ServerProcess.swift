import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `casebook serve` as a real process on a temporary socket, talked to by `curl`, a second
/// process, as another service would.
/// Sendable for tests that send requests from several threads: a request only reads `socket`.
final class ServerProcess: @unchecked Sendable {
    let database: TemporaryDatabase
    let process = Process()
    private let output = Pipe()
    let socket: String

    /// Starts the server and waits (up to 20 s) for its ready line. Several servers on one
    /// database (nodes) need a `name` each for their sockets.
    init(arguments: [String] = [], database: TemporaryDatabase = TemporaryDatabase(), name: String = "casebook") throws {
        self.database = database
        socket = database.directory.appendingPathComponent("\(name).sock").path
        process.executableURL = CasebookProcess.executable
        process.arguments = ["serve", "--db", database.path, "--socket", socket] + arguments
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        // DEBUG_SERVER_LOG=/tmp/server: each server's log (a crash's backtrace) in /tmp/server-<uuid>.
        if let debug = ProcessInfo.processInfo.environment["DEBUG_SERVER_LOG"] {
            let path = debug + "-" + UUID().uuidString
            _ = FileManager.default.createFile(atPath: path, contents: nil)
            process.standardError = FileHandle(forWritingAtPath: path)
        }
        try process.run()
        let ready = try Self.readLine(output.fileHandleForReading, timeout: 20)
        guard ready.contains("serving") else {
            process.terminate()
            throw ServerProcessError(description: "server did not start: \(ready)")
        }
    }

    deinit {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
    }

    struct Reply {
        var status: Int
        var body: String
        var json: [String: Any] { (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any] ?? [:] }
        var errorCode: String? { (json["error"] as? [String: Any])?["code"] as? String }
    }

    /// One request with curl over the socket. `body` goes as JSON unless `contentType` says otherwise.
    func request(_ method: String, _ path: String, _ body: String? = nil, data: Data? = nil,
                 contentType: String = "application/json") throws -> Reply {
        var arguments = ["-s", "--unix-socket", socket, "-X", method, "-w", "\n%{http_code}", "http://casebook\(path)"]
        let input = Pipe()
        if body != nil || data != nil {
            arguments += ["-H", "Content-Type: \(contentType)", "--data-binary", "@-"]
        }
        let curl = Process()
        curl.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        curl.arguments = arguments
        let out = Pipe()
        curl.standardOutput = out
        curl.standardInput = input
        try curl.run()
        if let payload = data ?? body.map({ Data($0.utf8) }) { input.fileHandleForWriting.write(payload) }
        try input.fileHandleForWriting.close()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        curl.waitUntilExit()
        guard let newline = text.lastIndex(of: "\n"), let status = Int(text[text.index(after: newline)...]) else {
            throw ServerProcessError(description: "curl gave no status: \(text)")
        }
        return Reply(status: status, body: String(text[..<newline]))
    }

    /// A `multipart/form-data` POST with curl's own encoder (`-F`): each part's bytes from a file.
    func postForm(_ path: String, parts: [(name: String, data: Data, type: String)]) throws -> Reply {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("form-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        var arguments = ["-s", "--unix-socket", socket, "-w", "\n%{http_code}", "http://casebook\(path)"]
        for (index, part) in parts.enumerated() {
            let file = directory.appendingPathComponent("part\(index)")
            try part.data.write(to: file)
            arguments += ["-F", "\(part.name)=@\(file.path);type=\(part.type)"]
        }
        let curl = Process()
        curl.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        curl.arguments = arguments
        let out = Pipe()
        curl.standardOutput = out
        try curl.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        curl.waitUntilExit()
        guard let newline = text.lastIndex(of: "\n"), let status = Int(text[text.index(after: newline)...]) else {
            throw ServerProcessError(description: "curl gave no status: \(text)")
        }
        return Reply(status: status, body: String(text[..<newline]))
    }

    /// SIGTERM, then the exit status (waits up to 20 s).
    func stop() throws -> Int32 {
        process.terminate()
        let deadline = Date().addingTimeInterval(20)
        while process.isRunning, Date() < deadline { usleep(20_000) }
        guard !process.isRunning else { throw ServerProcessError(description: "server did not stop on SIGTERM") }
        return process.terminationStatus
    }

    static func readLine(_ handle: FileHandle, timeout: TimeInterval) throws -> String {
        let fd = handle.fileDescriptor
        var bytes: [UInt8] = []
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&poller, 1, 100) > 0 else { continue }
            var byte: UInt8 = 0
            guard read(fd, &byte, 1) == 1 else { break }
            if byte == 0x0A { return String(decoding: bytes, as: UTF8.self) }
            bytes.append(byte)
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

struct ServerProcessError: Error, CustomStringConvertible {
    let description: String
}
