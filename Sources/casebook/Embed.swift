import ArgumentParser
import Casebook
import CommandLineSupport
import Foundation

struct Embed: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show how hashed-v1 or hashed-v2 embeds precedents: every feature, or the final vectors.",
        discussion: """
            Reads precedent JSON objects, one per line ("tenant" may be left out), and prints one JSON \
            line per feature: {"doc", "namespace", "token", "bucket", "sign", "weight"}, where doc is \
            the input line number and token is the string hashed after "<namespace>:". The vector \
            is, bucket by bucket, the sum of sign * weight. With --vectors, prints \
            {"doc", "vector"} instead; floats are written so they read back to the same bits. \
            With --collection, embeds exactly as that collection does (its kind, dimension, text \
            parameters, scales and field weights; "tenant" then matters for hashed-v2).
            """)

    @OptionGroup var database: DatabaseOptions

    @Option(help: "Embed as this hashed collection of --db does (instead of --embedder, --scales and --dims).")
    var collection: String?

    @Option(help: "Vector dimension (a collection's dims).")
    var dims: Int = HashedNGramEmbedder.defaultDimension

    @Flag(help: "Print the final vectors instead of the features.")
    var vectors = false

    @Option(help: "hashed-v1, or hashed-v2 with --scales.")
    var embedder: String = EmbedderConfig.hashedV1Kind

    @Option(help: "hashed-v2: numeric scales as JSON (the numericScales of `casebook info --json`).")
    var scales: String?

    @Argument(help: "JSONL file, or - for standard input.")
    var file: String = "-"

    func validate() throws {
        if collection != nil, scales != nil || embedder != EmbedderConfig.hashedV1Kind || dims != HashedNGramEmbedder.defaultDimension {
            throw ValidationError("--collection takes the collection's embedder and dims: leave out --embedder, --scales and --dims")
        }
    }

    /// The embedder of `--collection`, or the one the options describe.
    func makeEmbedder() throws -> HashedNGramEmbedder {
        if let collection {
            return try HashedNGramEmbedder(collection: database.open(only: [collection]).collection(collection).spec)
        }
        switch (self.embedder, scales) {
        case (EmbedderConfig.hashedV1Kind, nil):
            return try HashedNGramEmbedder(dimension: dims)
        case (EmbedderConfig.hashedV2Kind, let path?):
            let text = try LineReader.text(of: path)
            let parsed: NumericScales
            do {
                parsed = try JSONDecoder().decode(NumericScales.self, from: Data(text.utf8))
            } catch {
                throw CLIError("\(path) is not numeric scales: \(error)")
            }
            return try HashedNGramEmbedder(dimension: dims, scales: parsed)
        default:
            throw CLIError("--embedder hashed-v1, or hashed-v2 with --scales FILE, or --collection NAME")
        }
    }

    func run() throws {
        let embedder = try makeEmbedder()
        var output = BufferedOutput()
        try LineReader.forEachLine(of: file) { number, line in
            guard line.contains(where: { !$0.isWhitespace }) else { return }
            let precedent = try PrecedentLines.embeddable(line, number: number)
            guard let embedded = embedder.features(of: precedent) else {
                throw CLIError("line \(number): nothing to embed (no text, context, tags or category)")
            }
            if vectors {
                output.write("{\"doc\":\(number),\"vector\":[")
                output.write(embedded.vector.map { "\($0)" }.joined(separator: ","))
                output.write("]}\n")
            } else {
                for feature in embedded.features {
                    output.write("{\"doc\":\(number),\"namespace\":\"\(feature.namespace.rawValue)\",\"token\":")
                    output.write(JSONValue.quoted(feature.token))
                    output.write(",\"bucket\":\(feature.bucket),\"sign\":\(Int(feature.sign)),\"weight\":\(feature.weight)}\n")
                }
            }
        }
        output.flush()
    }
}

/// Standard output in large writes: `print` per feature line costs more than computing it.
struct BufferedOutput {
    private var buffer = ""

    mutating func write(_ text: String) {
        buffer += text
        if buffer.utf8.count >= 1 << 16 { flush() }
    }

    mutating func flush() {
        FileHandle.standardOutput.write(Data(buffer.utf8))
        buffer = ""
    }
}
