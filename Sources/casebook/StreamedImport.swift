import Casebook
import CommandLineSupport
import Dispatch
import Foundation
import Synchronization

/// The batches of a streamed `casebook add`. Each full batch is prepared and then written, one
/// transaction, on background queues (``BatchWriter``) while the caller parses the next; what has
/// been committed is counted by line, so every message can say exactly which lines are in.
struct StreamedImport {
    struct Summary {
        var added: Int
        var skipped: Int
        var batches: Int
        var seconds: Double
    }

    private let target: PrecedentCollection
    private let space: String?
    private let batchSize: Int
    private let progress: ImportProgress
    private let writer: BatchWriter
    private var batch: [Precedent] = []
    private var lineNumbers: [Int] = []
    /// Lines skipped (--resume) since the last batch was handed to the writer.
    private var skippedSinceBatch = 0
    private var lastLine = 0
    private var lastBytes = 0
    private var skipped = 0

    init(target: PrecedentCollection, space: String?, batchSize: Int, progress: ImportProgress) {
        self.target = target
        self.space = space
        self.batchSize = batchSize
        self.progress = progress
        writer = BatchWriter(progress: progress)
        batch.reserveCapacity(batchSize)
    }

    mutating func append(_ precedent: Precedent, line: Int, consumedBytes: Int) throws {
        batch.append(precedent)
        lineNumbers.append(line)
        lastLine = line
        lastBytes = consumedBytes
        progress.read(bytes: consumedBytes)
        if batch.count == batchSize { try submit() }
    }

    /// A line whose precedent is already stored (--resume): it counts as committed.
    mutating func skip(line: Int, consumedBytes: Int) {
        skipped += 1
        skippedSinceBatch += 1
        lastLine = line
        lastBytes = consumedBytes
        progress.read(bytes: consumedBytes)
    }

    /// Writes what is pending, waits for every write, and reports.
    mutating func finish() throws -> Summary {
        try submit()
        try writer.wait()
        if skippedSinceBatch > 0 { writer.markCommitted(throughLine: lastLine, bytes: lastBytes) }
        let state = writer.state
        progress.finish(state)
        return Summary(added: state.added, skipped: skipped, batches: state.batches, seconds: progress.elapsed)
    }

    /// The error for a line that cannot be added: the valid lines before it are written first, so
    /// the message's "every line before" holds and `--resume` starts at the bad line.
    mutating func stop(atLine line: Int, _ error: any Error) -> any Error {
        do {
            try submit()
            try writer.wait()
        } catch {
            return error
        }
        if skippedSinceBatch > 0 { writer.markCommitted(throughLine: lastLine, bytes: lastBytes) }
        let state = writer.state
        progress.finish(state)
        return state.stop(atLine: line, error)
    }

    private mutating func submit() throws {
        guard !batch.isEmpty else { return }
        let rows = batch
        let numbers = lineNumbers
        let through = (line: lastLine, bytes: lastBytes)
        batch.removeAll(keepingCapacity: true)
        lineNumbers.removeAll(keepingCapacity: true)
        skippedSinceBatch = 0
        try writer.write(rows, lines: numbers, through: through, to: target, space: space)
    }
}

/// What the writer has committed: rows, batches, and the last line (and byte) wholly in.
struct CommittedLines: Sendable {
    var added = 0
    var batches = 0
    var throughLine = 0
    var throughBytes = 0

    /// Which lines are in, for the message that ends an import early.
    var committedText: String {
        guard throughLine > 0 else { return "Nothing was added" }
        return "Lines 1-\(throughLine) are in the collection (\(added) precedents added by this run)"
    }

    /// The error that ends an import at a line that cannot be added.
    func stop(atLine line: Int, _ problem: any Error) -> CLIError {
        CLIError("line \(line): \(problem)\n\(committedText); fix line \(line) and run the same command with --resume to add the rest")
    }
}

/// Batches through two serial queues: one prepares (checks and embeds) a batch while the other
/// writes the one before, in order, one transaction each. At most two batches are handed over and
/// not yet written. After a failure no further batch is written; it is reported at the next
/// `write` or `wait`.
final class BatchWriter: Sendable {
    private let preparing = DispatchQueue(label: "casebook.add.prepare")
    private let committing = DispatchQueue(label: "casebook.add.commit")
    private let group = DispatchGroup()
    private let slots = DispatchSemaphore(value: 2)
    private let progress: ImportProgress
    private let shared = Mutex<(state: CommittedLines, failure: CLIError?)>((CommittedLines(), nil))

    init(progress: ImportProgress) { self.progress = progress }

    var state: CommittedLines { shared.withLock { $0.state } }

    private var failed: Bool { shared.withLock { $0.failure != nil } }

    func wait() throws {
        group.wait()
        if let failure = shared.withLock({ $0.failure }) { throw failure }
    }

    func markCommitted(throughLine line: Int, bytes: Int) {
        shared.withLock {
            $0.state.throughLine = line
            $0.state.throughBytes = bytes
        }
    }

    func write(
        _ rows: [Precedent], lines: [Int], through: (line: Int, bytes: Int), to target: PrecedentCollection,
        space: String?
    ) throws {
        if failed { try wait() }
        slots.wait()
        group.enter()
        preparing.async {
            let prepared = self.failed ? nil : Self.prepare(rows, for: target, space: space)
            self.committing.async {
                defer {
                    self.slots.signal()
                    self.group.leave()
                }
                guard let prepared, !self.failed else { return }
                do throws(CasebookError) {
                    try target.add(try prepared.get())
                    let state = self.shared.withLock {
                        $0.state.added += rows.count
                        $0.state.batches += 1
                        $0.state.throughLine = through.line
                        $0.state.throughBytes = through.bytes
                        return $0.state
                    }
                    self.progress.committed(state)
                } catch {
                    let failure = self.failure(error, rows: rows, lines: lines, target: target, space: space)
                    self.shared.withLock { $0.failure = failure }
                }
            }
        }
    }

    private static func prepare(_ rows: [Precedent], for target: PrecedentCollection, space: String?)
        -> Result<PreparedBatch, CasebookError>
    {
        do throws(CasebookError) { return .success(try target.prepare(rows, space: space)) } catch {
            return .failure(error)
        }
    }

    /// A refused item: the rows before it are added on their own (as for a line that does not
    /// parse), and the message names its line. Any other failure names the batch's lines.
    private func failure(
        _ error: CasebookError, rows: [Precedent], lines: [Int], target: PrecedentCollection, space: String?
    ) -> CLIError {
        guard case .item(let index, _, let problem) = error, index < lines.count else {
            return CLIError("adding lines \(lines[0])-\(lines[lines.count - 1]) failed: \(error)\n\(state.committedText); run the same command with --resume to add the rest")
        }
        if index > 0, (try? target.add(Array(rows[..<index]), space: space)) != nil {
            shared.withLock {
                $0.state.added += index
                $0.state.batches += 1
                $0.state.throughLine = lines[index - 1]
            }
        }
        return state.stop(atLine: lines[index], problem)
    }
}
