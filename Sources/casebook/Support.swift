import ArgumentParser
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
    /// The lines of a file, or of standard input for "-".
    static func lines(of path: String) throws -> [Substring] {
        let data: Data
        if path == "-" {
            data = FileHandle.standardInput.readDataToEndOfFile()
        } else {
            guard let contents = FileManager.default.contents(atPath: path) else {
                throw CLIError("cannot read \(path)")
            }
            data = contents
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw CLIError("\(path) is not UTF-8 text")
        }
        return text.split(separator: "\n", omittingEmptySubsequences: false).map {
            $0.hasSuffix("\r") ? $0.dropLast() : $0
        }
    }

    static func text(of path: String) throws -> String {
        try lines(of: path).joined(separator: "\n")
    }
}

/// A progress line on standard error, redrawn in place, shown only when stderr is a terminal.
final class Progress {
    private let label: String
    private let enabled = isatty(STDERR_FILENO) != 0
    private var lastDraw = Date.distantPast

    init(label: String) { self.label = label }

    func update(_ count: Int, of total: Int? = nil) {
        guard enabled, Date().timeIntervalSince(lastDraw) > 0.1 else { return }
        lastDraw = Date()
        draw(count, total)
    }

    func finish(_ count: Int) {
        guard enabled else { return }
        draw(count, nil)
        FileHandle.standardError.write(Data("\n".utf8))
    }

    private func draw(_ count: Int, _ total: Int?) {
        let tail = total.map { " / \($0)" } ?? ""
        FileHandle.standardError.write(Data("\r\(label): \(count)\(tail)".utf8))
    }
}

/// JSON output for `--json`: stable key order, no escaped slashes.
enum JSONOutput {
    static func print<T: Encodable>(_ value: T) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        Swift.print(String(decoding: try encoder.encode(value), as: UTF8.self))
    }
}
