import ArgumentParser
import Casebook
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// An error whose message is the whole story (printed as `Error: message`, exit status 1).
public struct CLIError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

public enum LineReader {
    /// The contents of a file, or of standard input for "-".
    public static func data(of path: String) throws -> Data {
        if path == "-" { return FileHandle.standardInput.readDataToEndOfFile() }
        guard let contents = FileManager.default.contents(atPath: path) else {
            throw CLIError("cannot read \(path)")
        }
        return contents
    }

    /// Calls `body` with each line's number (from 1) and text, without its "\n" or "\r\n",
    /// streaming the file (``LineStream``).
    public static func forEachLine(of path: String, _ body: (Int, String) throws -> Void) throws {
        let lines = try LineStream(path: path)
        while let line = try lines.next() { try body(lines.lineNumber, line) }
    }

    public static func text(of path: String) throws -> String {
        guard let text = String(data: try data(of: path), encoding: .utf8) else {
            throw CLIError("\(path) is not UTF-8 text")
        }
        return text
    }
}

/// A progress line on standard error, redrawn in place, shown only when stderr is a terminal.
public final class Progress {
    private let label: String
    private let enabled = isatty(STDERR_FILENO) != 0
    private var lastDraw = Date.distantPast

    public init(label: String) { self.label = label }

    public func update(_ count: Int) {
        guard enabled, Date().timeIntervalSince(lastDraw) > 0.1 else { return }
        lastDraw = Date()
        draw(count)
    }

    public func finish(_ count: Int) {
        guard enabled else { return }
        draw(count)
        FileHandle.standardError.write(Data("\n".utf8))
    }

    /// A whole line of its own (e.g. the phase that follows), on a terminal only.
    public func say(_ message: String) {
        guard enabled else { return }
        FileHandle.standardError.write(Data("\(message)\n".utf8))
    }

    private func draw(_ count: Int) {
        FileHandle.standardError.write(Data("\r\(label): \(count) lines".utf8))
    }
}

/// JSON output for `--json`: stable key order, no escaped slashes.
public enum JSONOutput {
    public static func print<T: Encodable>(_ value: T) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = dates
        Swift.print(String(decoding: try encoder.encode(value), as: UTF8.self))
    }

    /// Times as ISO 8601 with milliseconds, as everywhere else in Casebook's JSON.
    public static let dates = Timestamp.encodingStrategy
}

/// ISO 8601 options checked in `validate()`.
public enum TimeOption {
    public static func check(_ options: (String, String?)...) throws {
        for (name, value) in options {
            if let value, Timestamp.parse(value) == nil {
                throw ValidationError("\(name) must be an ISO 8601 date or date-time, e.g. 2026-01-18T10:00:00Z")
            }
        }
    }
}

/// Precedent lines of a JSONL file as the embedding commands read them.
public enum PrecedentLines {
    /// A precedent object, with a placeholder tenant when it has none (embedding ignores it).
    public static func embeddable(_ line: String, number: Int) throws -> Precedent {
        do {
            guard var object = try JSONValue.parse(line).objectValue else {
                throw CLIError("line \(number): a precedent must be a JSON object")
            }
            if object["tenant"] == nil { object["tenant"] = "-" }
            guard object["vector"] == nil else {
                throw CLIError("line \(number): embed computes the vector; leave out \"vector\"")
            }
            let precedent = try Precedent(json: .object(object))
            try precedent.checkEmbeddable()
            return precedent
        } catch let error as CLIError {
            throw error
        } catch {
            throw CLIError("line \(number): \(error)")
        }
    }
}
