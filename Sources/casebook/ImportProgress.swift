import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Progress of a streamed import on standard error: on a terminal one line redrawn in place
/// (committed rows, rows/s, share of the file, time left); with `--progress-lines` a line per
/// committed batch, for logs. The share and time left come from bytes, so they need a file.
final class ImportProgress: Sendable {
    private let totalBytes: Int?
    private let terminal: Bool
    private let lines: Bool
    private let started = Date()
    private let shown = Mutex<(readBytes: Int, committed: CommittedLines, lastDraw: Date)>(
        (0, CommittedLines(), .distantPast))

    init(totalBytes: Int?, lines: Bool) {
        self.totalBytes = totalBytes
        self.lines = lines
        terminal = !lines && isatty(STDERR_FILENO) != 0
    }

    var elapsed: Double { Date().timeIntervalSince(started) }

    /// The parser's position (redraws a terminal at most five times a second).
    func read(bytes: Int) {
        guard terminal else { return }
        let now = Date()
        let draw = shown.withLock { shown -> CommittedLines? in
            shown.readBytes = bytes
            guard now.timeIntervalSince(shown.lastDraw) >= 0.2 else { return nil }
            shown.lastDraw = now
            return shown.committed
        }
        if let draw {
            // Before the first commit, say what is happening rather than "0 added".
            let read = totalBytes.map { String(format: " (%.1f%% of the file read)", Double(bytes) / Double(max($0, 1)) * 100) } ?? ""
            write("\r" + (draw.batches == 0 ? "preparing the first batch\(read)" : text(draw)) + "   ")
        }
    }

    /// A batch is in.
    func committed(_ state: CommittedLines) {
        shown.withLock { $0.committed = state }
        if lines { write(text(state) + "\n") } else if terminal { write("\r" + text(state) + "   ") }
    }

    func finish(_ state: CommittedLines) {
        guard terminal else { return }
        write("\r" + text(state) + "   \n")
    }

    private func text(_ state: CommittedLines) -> String {
        let seconds = elapsed
        let rate = seconds > 0 ? Double(state.added) / seconds : 0
        var parts = ["in through line \(state.throughLine)", "added \(state.added)", "\(Int(rate.rounded())) rows/s"]
        if let totalBytes, totalBytes > 0 {
            let done = Double(state.throughBytes) / Double(totalBytes)
            parts.append(String(format: "%.1f%%", done * 100))
            if done > 0, done < 1 { parts.append("ETA \(Self.duration(seconds * (1 - done) / done))") }
        }
        return parts.joined(separator: " · ")
    }

    static func duration(_ seconds: Double) -> String {
        let whole = Int(seconds.rounded(.up))
        return whole < 60 ? "\(whole) s" : String(format: "%d:%02d", whole / 60, whole % 60)
    }

    private func write(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }
}
