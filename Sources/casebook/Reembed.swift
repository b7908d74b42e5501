import ArgumentParser
import Casebook
import CommandLineSupport
import Foundation

/// `casebook reembed`: every precedent of a collection embedded anew, switched to at once.
struct Reembed: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Embed every precedent of a hashed collection again and switch to the new vectors at once.",
        discussion: """
            hashed-v2 (the default) first fits each tenant's numeric scales, and its context field \
            weights from the precedents of known outcome, on the collection as it is; run it again \
            when the numbers have drifted or outcomes have been learnt. A hashed-v1 collection \
            becomes hashed-v2, keeping its text parameters (or stays hashed-v1 with --embedder \
            hashed-v1). Writes go on meanwhile and are taken in before the switch, one transaction \
            (only it holds writes); searches, in this process and in servers on the same database, \
            answer from the old vectors until then. Killed before it, the collection is as it was.

            A hashed-v2 collection can also fit and re-embed some tenants alone (--tenant), every \
            other tenant untouched: --stale takes the tenants added since their last fit, or that \
            have twice the precedents or known outcomes they were fitted on.
            """)

    @OptionGroup var database: DatabaseOptions

    @Option(help: "Collection name.")
    var collection: String

    @Option(help: "hashed-v2 (numbers on each tenant's scales) or hashed-v1.")
    var embedder: String = "hashed-v2"

    @Option(name: .customLong("tenant"), help: "Re-embed only this tenant (repeatable; hashed-v2).")
    var tenants: [String] = []

    @Flag(help: "Re-embed only the tenants that have outgrown their fit (hashed-v2).")
    var stale = false

    @Flag(help: "Print the report as JSON.")
    var json = false

    @Flag(help: "Print one progress line per step on standard error even when it is not a terminal.")
    var progressLines = false

    func validate() throws {
        if stale && !tenants.isEmpty { throw ValidationError("--stale and --tenant are alternatives") }
        if tenants.contains(where: \.isEmpty) { throw ValidationError("--tenant needs a tenant name") }
    }

    func run() throws {
        let target = try database.open(only: [collection]).collection(collection)
        let terminal = isatty(STDERR_FILENO) != 0
        let lines = progressLines
        if stale, target.spec.embedder.kind != EmbedderConfig.hashedV2Kind {
            throw ValidationError("--stale is for hashed-v2 collections (their scales are per tenant); \(collection) is \(target.spec.embedder.kind)")
        }
        let only: Set<TenantID>? = stale
            ? Set(target.staleTenants())
            : tenants.isEmpty ? nil : Set(tenants.map { TenantID($0) })
        let report = try target.reembed(to: embedder, tenants: only) { step in
            guard terminal || lines else { return }
            // A catch-up's figure is a count of rows written meanwhile, not progress towards a total.
            let text = step.phase == .catchingUp
                ? "catchingUp: \(step.done) written meanwhile taken in"
                : "\(step.phase.rawValue) \(step.done)/\(step.total)"
            FileHandle.standardError.write(Data(((lines ? "" : "\r") + text + (lines ? "\n" : "   ")).utf8))
        }
        if terminal && !lines { FileHandle.standardError.write(Data("\n".utf8)) }
        if json {
            try JSONOutput.print(report)
            return
        }
        let scales = report.scalesVersion.map {
            "; numeric scales v\($0): \(report.scaledFields) fields over \(report.scaledTenants) tenant\(report.scaledTenants == 1 ? "" : "s")"
        } ?? ""
        let whose = report.tenants.map { $0.isEmpty ? " (no tenant is stale)" : " of tenant\($0.count == 1 ? "" : "s") \($0.joined(separator: ", "))" } ?? ""
        print("re-embedded \(report.precedents) precedents\(whose) of \(collection) (\(report.from) -> \(report.to)) in \(String(format: "%.2f", report.seconds)) s\(scales)")
    }
}
