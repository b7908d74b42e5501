import Foundation
import GRDB
import Testing

@testable import Casebook

/// `casebook add` killed with SIGKILL at moments spread over its run: afterwards the file passes
/// SQLite's integrity check and holds either the whole batch or none of it.
@Suite struct CrashSafetyTests {
    @Test func killedAddLeavesAllOrNothing() throws {
        let database = TemporaryDatabase()
        #expect(try CasebookProcess.run(["init", "--collection", "c", "--embedder", "external", "--dim", "64", "--db", database.path]).status == 0)
        let lines = 5_000
        let file = database.directory.appendingPathComponent("big.jsonl")
        var random = SeededRandom(seed: 77)
        var text = ""
        for i in 0..<lines {
            let vector = (0..<64).map { _ in String(format: "%.4f", random.unit()) }.joined(separator: ",")
            text += "{\"id\":\"p\(i)\",\"tenant\":\"t\",\"tags\":[\"x\"],\"vector\":[\(vector)]}\n"
        }
        try text.write(to: file, atomically: true, encoding: .utf8)

        // How long a whole add takes on this machine and build (into a scratch collection), so the
        // kills can be spread from "still parsing" to "already committed".
        #expect(try CasebookProcess.run(["init", "--collection", "scratch", "--embedder", "external", "--dim", "64", "--db", database.path]).status == 0)
        let started = Date()
        #expect(try CasebookProcess.run(["add", "--collection", "scratch", "--db", database.path, file.path]).status == 0)
        let duration = Date().timeIntervalSince(started)
        try DatabaseQueue(path: database.path).write { try $0.execute(sql: "DELETE FROM collection WHERE name = 'scratch'") }

        var outcomes: [Int: Int] = [:]
        for fraction in stride(from: 0.1, through: 1.5, by: 0.1) {
            let delay = duration * fraction
            _ = try CasebookProcess.killed(["add", "--collection", "c", "--db", database.path, file.path], after: delay)

            let queue = try DatabaseQueue(path: database.path)
            let (integrity, precedents, vectors, tags) = try queue.read { db in
                (try String.fetchOne(db, sql: "PRAGMA integrity_check"),
                 try Int.fetchOne(db, sql: "SELECT count(*) FROM precedent") ?? -1,
                 try Int.fetchOne(db, sql: "SELECT count(*) FROM precedent_vector") ?? -1,
                 try Int.fetchOne(db, sql: "SELECT count(*) FROM precedent_tag") ?? -1)
            }
            try queue.close()
            #expect(integrity == "ok")
            #expect(precedents % lines == 0, "a partial batch survived: \(precedents)")
            #expect(vectors == precedents && tags == precedents)
            outcomes[precedents / lines, default: 0] += 1
            // The library opens it and agrees.
            let count = try CasebookProcess.run(["info", "--json", "--db", database.path])
            #expect(count.stdout.contains("\"count\":\(precedents)"), "\(count.stdout)")
            if precedents > 0 {
                // Start the next round from an empty collection again.
                try DatabaseQueue(path: database.path).write { try $0.execute(sql: "DELETE FROM precedent") }
            }
        }
        // Both outcomes were seen, or the test did not exercise the kill window.
        #expect(outcomes[0, default: 0] > 0)
        #expect(outcomes[1, default: 0] > 0, "no kill landed after the commit: \(outcomes)")
    }
}
