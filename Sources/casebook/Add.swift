import ArgumentParser
import Casebook
import Foundation

struct Add: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Add precedents from a JSONL file (one JSON object per line), all or nothing.")

    @OptionGroup var database: DatabaseOptions

    @Option(help: "Collection to add to.")
    var collection: String

    @Argument(help: "JSONL file, or - for standard input.")
    var file: String

    func run() throws {
        let casebook = try database.open()
        let target = try casebook.collection(collection)
        let progress = Progress(label: "read")
        let lines = try LineReader.lines(of: file)
        var batch: [Precedent] = []
        var lineNumbers: [Int] = []
        for (offset, line) in lines.enumerated() {
            let trimmed = line.drop { $0 == " " || $0 == "\t" }
            if trimmed.isEmpty { continue }
            do {
                batch.append(try Precedent(jsonText: trimmed))
            } catch {
                throw CLIError("line \(offset + 1): \(error)")
            }
            lineNumbers.append(offset + 1)
            progress.update(batch.count)
        }
        progress.finish(batch.count)
        guard !batch.isEmpty else { throw CLIError("no precedents in \(file)") }
        let started = Date()
        do {
            try target.add(batch)
        } catch {
            throw Self.naming(lines: lineNumbers, error)
        }
        let seconds = Date().timeIntervalSince(started)
        print("added \(batch.count) precedents to \(collection) in \(String(format: "%.2f", seconds)) s")
    }

    /// Turns "item N" of the batch into the line number of the input.
    static func naming(lines: [Int], _ error: CasebookError) -> any Error {
        guard case .item(let index, _, let problem) = error, index < lines.count else { return error }
        return CLIError("line \(lines[index]): \(problem); nothing was added")
    }
}
