import ArgumentParser
import Casebook

/// `casebook outcome`: the outcome of a decision that precedents may have informed.
struct Outcome: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Record how a decision turned out (replaces an earlier outcome of the same decision).")

    @OptionGroup var database: DatabaseOptions

    @Option(help: "Tenant of the decision.")
    var tenant: String

    @Option(help: "The decision.")
    var decision: String

    @Option(help: "true, false or unknown.")
    var successful: String

    @Option(help: "What happened, in words.")
    var outcome: String?

    @Option(help: "What the decision did (an action code): tells the statistics whether a suggestion was followed.")
    var action: String?

    @Option(help: "Also set this outcome on the collection's precedents recording this decision (decisionEventId).")
    var collection: String?

    func validate() throws {
        guard ["true", "false", "unknown"].contains(successful) else {
            throw ValidationError("--successful must be true, false or unknown")
        }
    }

    func run() throws {
        let receipt = try database.open(only: Set(collection.map { [$0] } ?? [])).recordOutcome(DecisionOutcome(
            tenant: TenantID(tenant), decisionId: decision, outcome: outcome,
            wasSuccessful: successful == "unknown" ? nil : successful == "true", action: action,
            precedentCollection: collection))
        print("recorded outcome of \(decision)"
            + (collection == nil ? "" : "; \(receipt.precedentsUpdated) precedent(s) updated"))
    }
}
