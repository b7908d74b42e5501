import Foundation
import GRDB
import Testing

@testable import Casebook

/// `casebook reembed` killed with SIGKILL at moments spread over its run: afterwards the file
/// passes SQLite's integrity check, the collection opens and searches, and it is wholly as it was
/// or wholly re-embedded: every stored vector is what the stored embedder makes of its precedent,
/// and the feature counts equal a recount.
@Suite struct ReembedKillTests {
    @Test func killedReembedLeavesTheOldStateOrTheNew() throws {
        let database = TemporaryDatabase()
        let held = ReembedTests.rows(tenant: "t", count: 3_000, seed: 11) + ReembedTests.rows(tenant: "u", count: 1_000, scale: 9, seed: 12)
        let collection = try Casebook(path: database.path).createCollection(
            CollectionSpec(name: "c", dimension: 256, embedder: .hashedV1()))
        try collection.add(held)
        // How long a whole re-embedding takes here, so the kills can be spread from "still
        // reading" to "already switched".
        let scratch = TemporaryDatabase()
        try FileManager.default.copyItem(atPath: database.path, toPath: scratch.path)
        let started = Date()
        #expect(try CasebookProcess.run(["reembed", "--collection", "c", "--db", scratch.path]).status == 0)
        let duration = Date().timeIntervalSince(started)

        var outcomes: [Int: Int] = [:]
        var version = 0
        // Spread over the calibrated run; then later and later while no kill has landed after
        // the switch (a machine busier than during calibration slows every killed run).
        var fractions = Array(stride(from: 0.1, through: 1.4, by: 0.1))
        while let fraction = fractions.first {
            fractions.removeFirst()
            _ = try CasebookProcess.killed(["reembed", "--collection", "c", "--db", database.path], after: duration * fraction)
            let integrity = try DatabaseQueue(path: database.path).read { try String.fetchOne($0, sql: "PRAGMA integrity_check") }
            #expect(integrity == "ok")
            let reopened = try Casebook(path: database.path).collection("c")
            let now = reopened.spec.embedder.numericScales?.version ?? 0
            #expect(now == version || now == version + 1, "version \(version) became \(now)")
            outcomes[now - version, default: 0] += 1
            version = now
            if fractions.isEmpty, outcomes[1, default: 0] == 0, fraction < 8 { fractions.append(fraction * 1.5) }
            try ReembedTests.expectConsistent(reopened, held, "after a kill at \(fraction)", sampleEvery: 25)
            #expect(try reopened.search(SearchRequest(tenant: "t", k: 3, context: ["minutes": 150], log: false)).results.count == 3)
        }
        // Both outcomes were seen, or the test did not exercise the kill window.
        #expect(outcomes[0, default: 0] > 0, "no kill landed before the switch: \(outcomes)")
        #expect(outcomes[1, default: 0] > 0, "no kill landed after the switch: \(outcomes)")
    }
}
