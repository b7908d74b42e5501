import ArgumentParser
import Casebook
import CommandLineSupport
import Foundation

/// hashed-v1 (or hashed-v2) throughput on one core: precedents parsed first, then only the
/// embedding is timed.
struct BenchEmbed: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "embed",
        abstract: "hashed-v1 or hashed-v2 documents/s and MB/s on one core, over a JSONL file of precedents.",
        discussion: """
            Parsing is done before the clock starts; each pass embeds every document (features, \
            hashing, weighting, the final vector). Passes repeat until --min-seconds have passed \
            (at least 3); the median pass is reported. bytes counts the input lines' UTF-8 bytes. \
            hashed-v2 embeds with its defaults and the scales and field weights fitted on the \
            input first (not timed).
            """)

    @Option(help: "Precedent objects, one per line (\"tenant\" may be left out).") var input: String
    @Option(help: "Vector dimension.") var dims = HashedNGramEmbedder.defaultDimension
    @Option(help: "Keep repeating passes until this much time has passed.") var minSeconds = 2.0
    @Flag(help: "Count each tenant's feature frequencies too, as an add to an idf collection does.")
    var countFrequencies = false
    @Flag(help: "Print one JSON object.") var json = false
    @Option(help: "hashed-v1 or hashed-v2.") var embedder = EmbedderConfig.hashedV1Kind

    struct Report: Encodable {
        var system: String
        var countsFrequencies: Bool
        var dims: Int
        var docs: Int
        var bytes: Int
        var passes: Int
        var seconds: Double
        var docsPerSecond: Double
        var mbPerSecond: Double
    }

    func run() throws {
        var precedents: [Precedent] = []
        var bytes = 0
        try LineReader.forEachLine(of: input) { number, line in
            guard line.contains(where: { !$0.isWhitespace }) else { return }
            precedents.append(try PrecedentLines.embeddable(line, number: number))
            bytes += line.utf8.count
        }
        guard !precedents.isEmpty else { throw CLIError("no precedents in \(input)") }
        let embedder: HashedNGramEmbedder
        switch self.embedder {
        case EmbedderConfig.hashedV1Kind: embedder = try HashedNGramEmbedder(dimension: dims)
        case EmbedderConfig.hashedV2Kind:
            embedder = try HashedNGramEmbedder(dimension: dims, scales: .fit(precedents, version: 1))
        default: throw CLIError("--embedder must be hashed-v1 or hashed-v2")
        }
        var passes: [Double] = []
        var checksum: Float = 0
        let started = Date()
        while passes.count < 3 || Date().timeIntervalSince(started) < minSeconds {
            var vectors: [[Float]] = []
            passes.append(try BenchData.seconds {
                vectors = countFrequencies
                    ? try embedder.documentVectorsAndFrequencies(for: precedents).vectors
                    : try embedder.documentVectors(for: precedents)
            })
            checksum += vectors.last?.first ?? 0  // keeps the work observable
        }
        let seconds = BenchData.median(passes)
        let report = Report(
            system: "casebook-\(embedder.kind)", countsFrequencies: countFrequencies, dims: dims, docs: precedents.count, bytes: bytes, passes: passes.count, seconds: seconds,
            docsPerSecond: Double(precedents.count) / seconds, mbPerSecond: Double(bytes) / seconds / 1e6)
        if json {
            try JSONOutput.print(report)
        } else {
            print(String(format: "%d docs (%.2f MB) at %d dims: %.0f docs/s, %.1f MB/s (median of %d passes)",
                         report.docs, Double(bytes) / 1e6, dims, report.docsPerSecond, report.mbPerSecond, passes.count))
        }
        if checksum.isNaN { BenchData.log("checksum \(checksum)") }
    }
}
