import ArgumentParser
import Casebook
import CommandLineSupport
import Foundation

/// `casebook stats`: how the precedents a tenant was shown were used.
struct Stats: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Usefulness statistics from the match log: use rate by rank, MRR, hit@k, outcome lift.")

    @OptionGroup var database: DatabaseOptions

    @Option(help: "Tenant whose searches are summarised.")
    var tenant: String

    @Option(help: "Collection searched.")
    var collection: String

    @Option(help: "Only searches at or after this ISO 8601 date or time.")
    var since: String?

    @Option(help: "Only searches before this ISO 8601 date or time.")
    var until: String?

    @Option(help: "Precedents listed, most useful first.")
    var top = 10

    @Flag(help: "Print one JSON object.")
    var json = false

    func validate() throws {
        try TimeOption.check(("--since", since), ("--until", until))
        guard top >= 0 else { throw ValidationError("--top must not be negative") }
    }

    func run() throws {
        let statistics = try database.open(only: [collection]).statistics(MatchStatisticsRequest(
            tenant: TenantID(tenant), collection: collection, since: since.flatMap(Timestamp.parse),
            until: until.flatMap(Timestamp.parse), topPrecedents: top))
        if json {
            try JSONOutput.print(statistics)
        } else {
            Self.printTable(statistics)
        }
    }

    static func printTable(_ s: MatchStatistics) {
        func percent(_ value: Double?) -> String { value.map { String(format: "%.1f%%", 100 * $0) } ?? "-" }
        print("tenant \(s.tenant), collection \(s.collection)")
        print("  queries \(s.queries)  shown \(s.shown)  used \(s.used)  viewed \(s.viewed)  rejected \(s.rejected)")
        print("  MRR \(String(format: "%.3f", s.mrr))  hit@k \(percent(s.hitAtK))  no use \(percent(s.noUseShare))")
        let ranks = s.useRateByRank.prefix(10).enumerated().map { "\($0.offset + 1): \(percent($0.element))" }
        print("  use rate by rank  " + (ranks.isEmpty ? "-" : ranks.joined(separator: "  ")))
        let lift = s.outcomeLift
        print("  outcome: applied a precedent \(percent(lift.successRateApplied)) success of \(lift.decisionsApplied)"
            + ", applied none \(percent(lift.successRateNotApplied)) of \(lift.decisionsNotApplied)"
            + ", lift \(lift.lift.map { String(format: "%+.1f points", 100 * $0) } ?? "-")")
        let record = s.suggestions
        print("  suggestions \(record.suggestions) (\(record.recommended) recommending an action): followed "
            + "\(percent(record.successRateFollowed)) success of \(record.decisionsFollowed), not followed "
            + "\(percent(record.successRateNotFollowed)) of \(record.decisionsNotFollowed)")
        guard !s.precedents.isEmpty else { return }
        print("  most useful precedents (usefulness = (used + 1) / (shown + 2)):")
        for p in s.precedents {
            print(String(format: "    %.3f  used %d of %d  ", p.usefulness, p.used, p.shown) + p.id.rawValue)
        }
    }
}
