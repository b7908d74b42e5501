import Foundation
import Logging

/// The server's log lines on standard error: `time level label: key=value ... message`.
///
/// Why not swift-log's `StreamLogHandler`: it re-formats all metadata whenever one key is set, and
/// Hummingbird sets a request id on every request's logger — ~1% of the server's CPU per search in
/// perf, for lines that are almost never written (the server logs warnings and errors only). Here
/// metadata is kept as given and formatted only when a line is written.
struct ServerLogHandler: LogHandler {
    let label: String
    var logLevel: Logger.Level = .warning
    var metadata: Logger.Metadata = [:]
    var metadataProvider: Logger.MetadataProvider?
    private let write: @Sendable (String) -> Void

    init(label: String, write: @escaping @Sendable (String) -> Void = Self.standardError) {
        self.label = label
        self.write = write
    }

    static let standardError: @Sendable (String) -> Void = { line in
        FileHandle.standardError.write(Data(line.utf8))
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { _, new in new } }
        if let own = event.metadata { merged.merge(own) { _, new in new } }
        let fields = merged.keys.sorted().map { "\($0)=\(merged[$0]!)" }.joined(separator: " ")
        let time = Date().formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
        let line = "\(time) \(event.level) \(label):\(fields.isEmpty ? "" : " " + fields) \(event.message)\n"
        write(line)
    }
}
