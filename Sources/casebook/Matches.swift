import ArgumentParser
import Casebook
import CommandLineSupport
import Foundation

/// `casebook matches`: the match log, exported or pruned.
struct Matches: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "The match log: export it as JSONL, or prune old entries.",
        subcommands: [Export.self, Prune.self], defaultSubcommand: Export.self)

    struct Export: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print logged searches as JSONL: one search per line, with what it showed and its uses.")

        @OptionGroup var database: DatabaseOptions

        @Option(help: "Only this tenant's searches.")
        var tenant: String?

        @Option(help: "Only searches of this collection.")
        var collection: String?

        @Option(help: "Only searches at or after this ISO 8601 date or time.")
        var since: String?

        @Option(help: "Only searches before this ISO 8601 date or time.")
        var until: String?

        func validate() throws { try TimeOption.check(("--since", since), ("--until", until)) }

        func run() throws {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            encoder.dateEncodingStrategy = JSONOutput.dates
            let out = FileHandle.standardOutput
            try database.open(only: Set(collection.map { [$0] } ?? [])).exportMatches(MatchExportRequest(
                tenant: tenant.map(TenantID.init(rawValue:)), collection: collection,
                since: since.flatMap(Timestamp.parse), until: until.flatMap(Timestamp.parse))
            ) { record in
                var line = try encoder.encode(record)
                line.append(0x0A)
                out.write(line)
            }
        }
    }

    struct Prune: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Delete searches made before a date (with what they showed and their uses) and outcomes recorded before it.")

        @OptionGroup var database: DatabaseOptions

        @Option(help: "ISO 8601 date or time: entries before it are deleted.")
        var before: String

        func validate() throws { try TimeOption.check(("--before", before)) }

        func run() throws {
            let deleted = try database.open(only: []).pruneMatches(before: Timestamp.parse(before)!)
            print("deleted \(deleted.searches) search(es) and \(deleted.outcomes) outcome(s) before \(before)")
        }
    }
}
