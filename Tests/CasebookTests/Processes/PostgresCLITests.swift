import Foundation
import Testing

/// Every command takes a PostgreSQL URL for `--db` and answers as it does on a file; a password
/// in the URL is never printed.
@Suite struct PostgresCLITests {
    @Test func commandsAnswerAlikeOnAFileAndOnPostgres() throws {
        let postgres = TemporaryDatabase(.postgres)
        let file = TemporaryDatabase()
        // Trust authentication: the server never asks for this password, so it only has to stay unprinted.
        let url = postgres.path.replacingOccurrences(of: "postgresql://casebook@", with: "postgresql://casebook:n0t-printed@")
        let sample = Repository.path("data/sample-precedents.jsonl").path
        var answers: [String] = []
        for db in [file.path, url] {
            var outputs: [String] = []
            for arguments in [
                ["init", "--db", db, "--collection", "ndr", "--dims", "256"],
                ["add", "--db", db, "--collection", "ndr", sample],
                ["info", "--db", db],
                ["search", "--db", db, "--collection", "ndr", "--tenant", "acme-retail", "--text", "customer not home", "--k", "5"],
            ] {
                let run = try CasebookProcess.run(arguments)
                #expect(run.status == 0, "\(arguments[0]): \(run.stderr)")
                outputs.append(run.stdout + run.stderr)
            }
            #expect(!outputs.joined().contains("n0t-printed"))
            // The result lines: rank, score, id, outcome and text (not the query id or timing).
            answers.append(outputs[3].split(separator: "\n").dropFirst().joined(separator: "\n"))
        }
        #expect(answers[0] == answers[1])
        #expect(answers[0].split(separator: "\n").count == 5)
        // A bad URL is refused clearly, before anything is attempted.
        let bad = try CasebookProcess.run(["info", "--db", "postgresql://casebook:n0t-printed@127.0.0.1/"])
        #expect(bad.status != 0 && bad.stderr.contains("PostgreSQL URL") && !bad.stderr.contains("n0t-printed"))
    }
}
