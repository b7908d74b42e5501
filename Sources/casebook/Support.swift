import ArgumentParser
import Casebook
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// An error whose message is the whole story (printed as `Error: message`, exit status 1).
struct CLIError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

enum LineReader {
    /// The contents of a file, or of standard input for "-".
    static func data(of path: String) throws -> Data {
        if path == "-" { return FileHandle.standardInput.readDataToEndOfFile() }
        guard let contents = FileManager.default.contents(atPath: path) else {
            throw CLIError("cannot read \(path)")
        }
        return contents
    }

    /// Calls `body` with each line's number (from 1) and text, without its "\n" or "\r\n".
    /// Lines are cut on the newline byte, not by walking Characters (which cost more than the
    /// JSON parsing on a file of vectors).
    static func forEachLine(of path: String, _ body: (Int, String) throws -> Void) throws {
        let data = try data(of: path)
        try data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
            let bytes = raw.bindMemory(to: UInt8.self)
            var number = 0
            var start = 0
            while start < bytes.count {
                number += 1
                var end = start
                while end < bytes.count, bytes[end] != 0x0A { end += 1 }
                var lineEnd = end
                if lineEnd > start, bytes[lineEnd - 1] == 0x0D { lineEnd -= 1 }
                guard let line = String(validating: UnsafeBufferPointer(rebasing: bytes[start..<lineEnd]), as: UTF8.self)
                else { throw CLIError("line \(number): not valid UTF-8") }
                try body(number, line)
                start = end + 1
            }
        }
    }

    static func text(of path: String) throws -> String {
        guard let text = String(data: try data(of: path), encoding: .utf8) else {
            throw CLIError("\(path) is not UTF-8 text")
        }
        return text
    }
}

/// A progress line on standard error, redrawn in place, shown only when stderr is a terminal.
final class Progress {
    private let label: String
    private let enabled = isatty(STDERR_FILENO) != 0
    private var lastDraw = Date.distantPast

    init(label: String) { self.label = label }

    func update(_ count: Int) {
        guard enabled, Date().timeIntervalSince(lastDraw) > 0.1 else { return }
        lastDraw = Date()
        draw(count)
    }

    func finish(_ count: Int) {
        guard enabled else { return }
        draw(count)
        FileHandle.standardError.write(Data("\n".utf8))
    }

    /// A whole line of its own (e.g. the phase that follows), on a terminal only.
    func say(_ message: String) {
        guard enabled else { return }
        FileHandle.standardError.write(Data("\(message)\n".utf8))
    }

    private func draw(_ count: Int) {
        FileHandle.standardError.write(Data("\r\(label): \(count) lines".utf8))
    }
}

/// JSON output for `--json`: stable key order, no escaped slashes.
enum JSONOutput {
    static func print<T: Encodable>(_ value: T) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = dates
        Swift.print(String(decoding: try encoder.encode(value), as: UTF8.self))
    }

    /// Times as ISO 8601 with milliseconds, as everywhere else in Casebook's JSON.
    static let dates = JSONEncoder.DateEncodingStrategy.custom { date, encoder in
        var container = encoder.singleValueContainer()
        try container.encode(Timestamp.format(date))
    }
}

/// ISO 8601 options checked in `validate()`.
enum TimeOption {
    static func check(_ options: (String, String?)...) throws {
        for (name, value) in options {
            if let value, Timestamp.parse(value) == nil {
                throw ValidationError("\(name) must be an ISO 8601 date or date-time, e.g. 2026-01-18T10:00:00Z")
            }
        }
    }
}
