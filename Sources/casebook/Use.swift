import ArgumentParser
import Casebook
import CommandLineSupport

/// `casebook use`: records that a precedent a search showed was viewed, cited, applied or rejected.
struct Use: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Record a use of a precedent that a search showed (its queryId from `search --json`).")

    @OptionGroup var database: DatabaseOptions

    @Option(help: "The search's queryId.")
    var query: String

    @Option(help: "The precedent used.")
    var precedent: String

    @Option(help: "viewed, cited, applied or rejected.")
    var type: String

    @Option(help: "Tenant of the search.")
    var tenant: String

    @Option(help: "Who used it.")
    var actor: String?

    @Option(help: "The decision it was used for (default: the search's).")
    var decision: String?

    @Option(help: "Idempotency key: the same event sent again is not counted twice.")
    var eventId: String?

    @Flag(help: "Print the receipt as JSON.")
    var json = false

    func validate() throws {
        guard UseType(rawValue: type) != nil else {
            throw ValidationError("--type must be one of: \(UseType.allCases.map(\.rawValue).joined(separator: ", "))")
        }
    }

    func run() throws {
        let receipt = try database.open(only: []).recordUse(UseEvent(
            tenant: TenantID(tenant), queryId: query, precedentId: PrecedentID(precedent), type: UseType(rawValue: type)!,
            actor: actor, decisionId: decision, eventId: eventId))
        if json {
            try JSONOutput.print(receipt)
        } else {
            print(receipt.recorded
                ? "recorded: \(type) \(precedent) (rank \(receipt.rank)) for query \(query)"
                : "already recorded (event \(eventId ?? "-")): nothing written")
        }
    }
}
