import ArgumentParser
import Casebook
import CommandLineSupport
import Foundation

struct Add: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Add precedents from a JSONL file (one JSON object per line), all or nothing.")

    @OptionGroup var database: DatabaseOptions

    @Option(help: "Collection to add to.")
    var collection: String

    @Argument(help: "JSONL file, or - for standard input.")
    var file: String

    @Option(help: "The model space the file's vectors are in: refused unless it is the collection's --space-id.")
    var spaceId: String?

    @Option(help: ArgumentHelp(
        "Move this top-level context key (a string) into each precedent's action.",
        discussion: "For data written before action was a field: left in the context it would be embedded."))
    var actionFrom: String?

    func run() throws {
        let casebook = try database.open(only: [collection])
        let target = try casebook.collection(collection)
        let progress = Progress(label: "parsed")
        var batch: [Precedent] = []
        var lineNumbers: [Int] = []
        try LineReader.forEachLine(of: file) { number, line in
            guard line.contains(where: { !$0.isWhitespace }) else { return }
            do {
                var precedent = try Precedent(jsonText: line)
                if let actionFrom { precedent = try precedent.liftingAction(fromContextKey: actionFrom) }
                batch.append(precedent)
            } catch {
                throw CLIError("line \(number): \(error)")
            }
            lineNumbers.append(number)
            progress.update(batch.count)
        }
        progress.finish(batch.count)
        guard !batch.isEmpty else { throw CLIError("no precedents in \(file)") }
        progress.say("writing \(batch.count) precedents in one transaction")
        let started = Date()
        do {
            try target.add(batch, space: spaceId)
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
