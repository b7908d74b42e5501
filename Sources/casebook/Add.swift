import ArgumentParser
import Casebook
import CommandLineSupport
import Foundation

/// `casebook add`: a JSONL file of any size (or standard input) streamed into a collection in
/// batches, each one transaction, the next batch parsed while the last is written.
struct Add: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Add precedents from a JSONL file (one JSON object per line) or standard input, in batches.",
        discussion: """
            Each batch of --batch-size precedents is one transaction, so a crash or a kill leaves \
            whole batches only. At a bad line the import stops with every precedent before that \
            line committed and says how many that is; fix the line and run the same command with \
            --resume, which skips the precedents already stored (by tenant and id) and so adds \
            each line exactly once. --atomic adds the whole file in one transaction instead, all \
            or nothing (at most 100,000 precedents).
            """)

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

    @Option(help: "Precedents per transaction.")
    var batchSize = 10_000

    @Flag(help: "Skip precedents whose tenant already holds their id (every line needs an id).")
    var resume = false

    @Flag(help: "The whole file in one transaction, all or nothing (at most 100,000 precedents).")
    var atomic = false

    @Flag(help: "Print a progress line per batch on standard error even when it is not a terminal.")
    var progressLines = false

    func validate() throws {
        guard (1...Limits.maxBatch).contains(batchSize) else {
            throw ValidationError("--batch-size must be 1-\(Limits.maxBatch)")
        }
    }

    func run() throws {
        let target = try database.open(only: [collection]).collection(collection)
        let lines = try LineStream(path: file)
        if atomic {
            try addAtomically(to: target, from: lines)
            return
        }
        var importer = StreamedImport(
            target: target, space: spaceId, batchSize: batchSize,
            progress: ImportProgress(totalBytes: lines.totalBytes, lines: progressLines))
        while let line = try lines.next() {
            guard line.contains(where: { !$0.isWhitespace }) else { continue }
            let precedent: Precedent
            do {
                precedent = try parse(line)
                if try isStored(precedent, in: target) {
                    importer.skip(line: lines.lineNumber, consumedBytes: lines.consumedBytes)
                    continue
                }
            } catch {
                throw importer.stop(atLine: lines.lineNumber, error)
            }
            try importer.append(precedent, line: lines.lineNumber, consumedBytes: lines.consumedBytes)
        }
        let summary = try importer.finish()
        guard summary.added + summary.skipped > 0 else { throw CLIError("no precedents in \(file)") }
        let skipped = summary.skipped > 0 ? "; skipped \(summary.skipped) already stored" : ""
        print("added \(summary.added) precedents to \(collection) in \(String(format: "%.2f", summary.seconds)) s (\(summary.batches) batches)\(skipped)")
    }

    /// With --resume, whether the precedent's tenant already holds its id (to be skipped).
    private func isStored(_ precedent: Precedent, in target: PrecedentCollection) throws -> Bool {
        guard resume else { return false }
        guard let id = precedent.id else { throw CLIError("--resume needs an id on every precedent") }
        return target.contains(tenant: precedent.tenant, id: id)
    }

    private func parse(_ line: String) throws -> Precedent {
        var precedent = try Precedent(jsonText: line)
        if let actionFrom { precedent = try precedent.liftingAction(fromContextKey: actionFrom) }
        return precedent
    }

    /// Today's all-or-nothing add: every line parsed first, then one transaction.
    private func addAtomically(to target: PrecedentCollection, from lines: LineStream) throws {
        let progress = Progress(label: "parsed")
        var batch: [Precedent] = []
        var lineNumbers: [Int] = []
        while let line = try lines.next() {
            guard line.contains(where: { !$0.isWhitespace }) else { continue }
            guard batch.count < Limits.maxBatch else {
                throw CLIError("--atomic adds at most \(Limits.maxBatch) precedents and \(file) has more; nothing was added (leave out --atomic to add it in batches)")
            }
            do {
                let precedent = try parse(line)
                if try isStored(precedent, in: target) { continue }
                batch.append(precedent)
            } catch {
                throw CLIError("line \(lines.lineNumber): \(error); nothing was added")
            }
            lineNumbers.append(lines.lineNumber)
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
