import Foundation
import Testing

@testable import Casebook

/// Re-embedding some tenants of a hashed-v2 collection alone: a tenant added after the fit (or
/// grown well past it) is found stale, fitted and re-embedded on its own, with the vectors a whole
/// re-embedding would give it, while every other tenant — the same precedent ids included — keeps
/// its scales, weights, vectors and counts bit for bit; on both stores, through a follower and
/// from the command line. Bad requests change nothing.
@Suite struct TenantReembedTests {
    /// Each tenant's stored vectors, by id.
    static func vectors(_ collection: PrecedentCollection, _ rows: [Precedent]) throws -> [String: [Float]] {
        var vectors: [String: [Float]] = [:]
        for p in rows { vectors["\(p.tenant.rawValue)/\(p.id!.rawValue)"] = try collection.get(tenant: p.tenant, id: p.id!).vector }
        return vectors
    }

    static func state(_ scales: NumericScales?, _ tenant: String) -> [String] {
        guard let scales else { return [] }
        return [
            String(describing: scales.tenants[tenant]), String(describing: scales.fieldWeights[tenant]),
            String(describing: scales.fitted[tenant]),
        ]
    }

    @Test(arguments: StoreKind.allCases, [false, true])
    func aTenantAddedAfterTheFitIsFittedAlone(store: StoreKind, trained: Bool) throws {
        let database = TemporaryDatabase(store)
        let writer = try Casebook(path: database.path)
        let follower = try Casebook(path: database.path)
        var spec = CollectionSpec(name: "c", dimension: 256, embedder: .hashedV2())
        if trained { spec.index = .ivf(IVFParameters(nlist: 4, nprobe: 4, flatThreshold: 16)) }
        let collection = try writer.createCollection(spec)
        // The same ids p0... in every tenant.
        let fittedRows = ReembedTests.rows(tenant: "acme", count: 120, seed: 1)
            + ReembedTests.rows(tenant: "globex", count: 80, scale: 50, seed: 2)
        try collection.add(fittedRows)
        if trained { try collection.trainIndex() }
        try collection.reembed()
        #expect(collection.staleTenants().isEmpty)
        let fitted = try #require(collection.spec.embedder.numericScales)
        #expect(fitted.fitted["acme"] == TenantFitBasis(precedents: 120, knownOutcomes: 120))
        let before = try Self.vectors(collection, fittedRows)

        // A tenant added since has no scale: its numbers are bucketed as in hashed-v1.
        let newcomer = ReembedTests.rows(tenant: "initech", count: 60, scale: 1000, seed: 3)
        try collection.add(newcomer)
        #expect(collection.spec.embedder.numericScales?.tenants["initech"] == nil)
        #expect(collection.staleTenants() == ["initech"])
        try follower.catchUp()

        var phases: [ReembedProgress.Phase] = []
        let report = try collection.reembed(tenants: ["initech"]) { phases.append($0.phase) }
        #expect(report.tenants == ["initech"] && report.precedents == 60 && report.from == "hashed-v2")
        #expect(report.scalesVersion == 2 && report.scaledTenants == 1 && report.scaledFields == 3)
        #expect(phases.first == .reading && phases.last == .writing)
        let scales = try #require(collection.spec.embedder.numericScales)
        #expect(scales.version == 2 && scales.tenants["initech"]?["minutes"] != nil)
        #expect(scales.fitted["initech"] == TenantFitBasis(precedents: 60, knownOutcomes: 60))
        for tenant in ["acme", "globex"] { #expect(Self.state(scales, tenant) == Self.state(fitted, tenant), "\(tenant)") }
        #expect(try Self.vectors(collection, fittedRows) == before)
        #expect(collection.staleTenants().isEmpty)
        let all = fittedRows + newcomer
        try ReembedTests.expectConsistent(collection, all)
        try ReembedTests.expectSearchesEqualBruteForce(collection, all)
        try follower.catchUp()
        let followed = try follower.collection("c")
        #expect(followed.spec.embedder == collection.spec.embedder)
        try ReembedTests.expectSearchesEqualBruteForce(followed, all)

        // Scales are per tenant: a whole re-embedding gives every tenant the same vectors again.
        let alone = try Self.vectors(collection, all)
        try collection.reembed()
        #expect(try Self.vectors(collection, all) == alone)
        #expect(try Casebook(path: database.path).collection("c").spec.embedder.numericScales?.tenants
            == collection.spec.embedder.numericScales?.tenants)
    }

    /// Another process writing while a re-embedding reads and embeds: what it replaces, adds and
    /// deletes of the tenants being re-embedded (or of any, for the whole collection) is taken in
    /// before the switch — each vector and count is its current version's, by the new state, on
    /// both instances. A write in the moment after the last catch-up (here, when the switch is
    /// announced) makes the switch refuse, with nothing written, since it would overwrite the new
    /// version's vector with the old one's; a write to another tenant does not stop a tenant's
    /// re-embedding. Run again, it switches.
    @Test(arguments: StoreKind.allCases) func anotherProcessWritingMidwayIsTakenIn(store: StoreKind) throws {
        let database = TemporaryDatabase(store)
        let casebook = try Casebook(path: database.path)
        let collection = try casebook.createCollection(CollectionSpec(name: "c", dimension: 128, embedder: .hashedV2()))
        // Another instance: its writes are another process's to the first.
        let otherInstance = try Casebook(path: database.path)
        let other = try otherInstance.collection("c")
        var rows = ReembedTests.rows(tenant: "acme", count: 50, seed: 11) + ReembedTests.rows(tenant: "globex", count: 20, seed: 12)
        try collection.add(rows)

        /// Runs `write` at the first `times` progress reports of `phase`.
        func midway(
            _ tenants: Set<TenantID>?, at phase: ReembedProgress.Phase, times: Int = 1, _ write: () throws -> Void
        ) throws -> CasebookError? {
            var wrote = 0
            do {
                try collection.reembed(tenants: tenants) { step in
                    guard wrote < times, step.phase == phase else { return }
                    wrote += 1
                    #expect(throws: Never.self) { try write() }
                }
                return nil
            } catch {
                return error
            }
        }
        // Taken in: a replaced, an added and a deleted precedent, for one tenant and for all.
        for (tenants, index, tenant) in [(Set<TenantID>(["acme"]), 3, "acme"), (nil, 60, "globex")] {
            rows[index].context["minutes"] = .number(9_999 + Double(index))
            var added = ReembedTests.rows(tenant: tenant, count: 1, scale: 7, seed: 17)[0]
            added.id = PrecedentID("added-\(index)")
            let gone = rows.remove(at: index - 1)
            #expect(try midway(tenants, at: .embedding) {
                try other.update(rows[index - 1])
                try other.add([added])
                try other.delete(tenant: gone.tenant, id: gone.id!)
            } == nil)
            rows.append(added)
            try ReembedTests.expectConsistent(collection, rows, "\(String(describing: tenants))")
            try otherInstance.catchUp()
            try ReembedTests.expectConsistent(other, rows, "followed")
        }
        #expect(collection.count == rows.count)

        // Between the last catch-up and the switch: taken in by one more catch-up.
        for tenants in [Set<TenantID>(["acme"]), nil] {
            rows[7].context["minutes"] = .number(7_000 + (tenants == nil ? 1 : 2))
            #expect(try midway(tenants, at: .writing) { try other.update(rows[7]) } == nil)
            try ReembedTests.expectConsistent(collection, rows, "a write as the switch began, \(String(describing: tenants))")
        }
        // There at every attempt: refused, nothing switched.
        let embedder = collection.spec.embedder
        var expected = try Self.vectors(collection, rows)
        for tenants in [Set<TenantID>(["acme"]), nil] {
            let attempts = 1 + PrecedentCollection.reembedSwitchRetries
            var bumps = 0
            let refused = try midway(tenants, at: .writing, times: attempts) {
                bumps += 1
                rows[5].context["minutes"] = .number(5_000 + Double(bumps) + (tenants == nil ? 100 : 0))
                try other.update(rows[5])
            }
            #expect("\(String(describing: refused))".contains("another process changed collection \"c\""), "\(String(describing: refused))")
            #expect(collection.spec.embedder == embedder)
            expected["acme/\(rows[5].id!.rawValue)"] = try other.get(tenant: "acme", id: rows[5].id!).vector
            #expect(try Self.vectors(collection, rows) == expected)
        }
        // Another tenant's write: acme's re-embedding goes on.
        let globexRow = try #require(rows.lastIndex { $0.tenant == "globex" && !$0.id!.rawValue.hasPrefix("added") })
        rows[globexRow].context["calls"] = 8
        #expect(try midway(["acme"], at: .writing) { try other.update(rows[globexRow]) } == nil)
        #expect(try collection.reembed().precedents == rows.count)
        try ReembedTests.expectConsistent(collection, rows)
    }

    /// This process's own writes go on while a re-embedding reads and embeds (only the switch
    /// holds the writer lock), and are taken in as another process's are: each vector and count
    /// is its current version's by the new state, in the index and on a follower.
    @Test(arguments: StoreKind.allCases) func writesOfThisProcessGoOnDuringAReembedding(store: StoreKind) throws {
        let database = TemporaryDatabase(store)
        let casebook = try Casebook(path: database.path)
        let collection = try casebook.createCollection(CollectionSpec(name: "c", dimension: 128, embedder: .hashedV2()))
        let follower = try Casebook(path: database.path)
        var rows = ReembedTests.rows(tenant: "acme", count: 50, seed: 21) + ReembedTests.rows(tenant: "globex", count: 20, seed: 22)
        try collection.add(rows)
        for (tenants, index, tenant) in [(Set<TenantID>(["acme"]), 3, "acme"), (nil, 60, "globex")] {
            rows[index].context["minutes"] = .number(7_777 + Double(index))
            var added = ReembedTests.rows(tenant: tenant, count: 1, scale: 3, seed: 23)[0]
            added.id = PrecedentID("added-\(index)")
            let gone = rows.remove(at: index - 1)
            let replaced = rows[index - 1]
            var wrote: Result<Void, any Error>?? = .none
            try collection.reembed(tenants: tenants) { step in
                guard case .none = wrote, step.phase == .embedding else { return }
                wrote = .some(OnAnotherThread.run(within: 20) { [added] in
                    try collection.update(replaced)
                    try collection.add([added])
                    try collection.delete(tenant: gone.tenant, id: gone.id!)
                })
            }
            switch wrote {
            case .some(.some(.success)): break
            case .some(.some(.failure(let error))): Issue.record("the writes failed: \(error)")
            default: Issue.record("the writes waited for the re-embedding of \(String(describing: tenants))")
            }
            rows.append(added)
            try ReembedTests.expectConsistent(collection, rows, "\(String(describing: tenants))")
            try ReembedTests.expectSearchesEqualBruteForce(collection, rows)
            try follower.catchUp()
            try ReembedTests.expectConsistent(try follower.collection("c"), rows, "followed")
        }
    }

    /// Two re-embeddings of one process at once (the server's refitting and a request, say): the
    /// one that would switch second finds the state moved, and starts again from the first's, so
    /// both tenants' fits survive.
    @Test(arguments: StoreKind.allCases) func aReembeddingThatSwitchedMeanwhileIsBuiltUpon(store: StoreKind) throws {
        let database = TemporaryDatabase(store)
        let casebook = try Casebook(path: database.path)
        let collection = try casebook.createCollection(CollectionSpec(name: "c", dimension: 128, embedder: .hashedV2()))
        let rows = ReembedTests.rows(tenant: "acme", count: 40, seed: 24)
            + ReembedTests.rows(tenant: "globex", count: 40, scale: 20, seed: 25)
        try collection.add(rows)
        var readings = 0
        var other: Result<Void, any Error>?? = .none
        let report = try collection.reembed(tenants: ["acme"]) { step in
            if step.phase == .reading { readings += 1 }
            guard case .none = other, step.phase == .embedding else { return }
            other = .some(OnAnotherThread.run(within: 20) { try collection.reembed(tenants: ["globex"]) })
        }
        switch other {
        case .some(.some(.success)): break
        default: Issue.record("globex's re-embedding: \(String(describing: other))")
        }
        #expect(readings == 2, "acme read again from the new state")
        #expect(report.tenants == ["acme"] && report.precedents == 40)
        let scales = try #require(collection.spec.embedder.numericScales)
        #expect(scales.fitted["acme"] == TenantFitBasis(precedents: 40, knownOutcomes: 40))
        #expect(scales.fitted["globex"] == TenantFitBasis(precedents: 40, knownOutcomes: 40))
        #expect(scales.version == 2, "one fit on the other")
        #expect(collection.staleTenants().isEmpty)
        try ReembedTests.expectConsistent(collection, rows)
        #expect(try Casebook(path: database.path).collection("c").spec.embedder == collection.spec.embedder)
    }

    /// A round of refitting takes a collection's stale tenants in one re-embedding; another
    /// process writing to one of them meanwhile sends the round on one tenant at a time, and
    /// every tenant ends fitted and consistent.
    @Test(arguments: StoreKind.allCases) func aRefittingRoundGoesOnOneTenantAtATimeWhenRefused(store: StoreKind) throws {
        let database = TemporaryDatabase(store)
        let casebook = try Casebook(path: database.path)
        let collection = try casebook.createCollection(CollectionSpec(name: "c", dimension: 128, embedder: .hashedV2()))
        let other = try Casebook(path: database.path).collection("c")
        var rows = ReembedTests.rows(tenant: "acme", count: 20, seed: 13) + ReembedTests.rows(tenant: "globex", count: 20, seed: 14)
        try collection.add(rows)
        var reports: [ReembedReport] = []
        var wrote = 0
        try casebook.refitStaleTenants({ reports.append($0) }, progress: { step in
            // After the last catch-up, at every attempt: the switch is refused.
            guard wrote < 1 + PrecedentCollection.reembedSwitchRetries, step.phase == .writing else { return }
            wrote += 1
            rows[0].context["minutes"] = .number(Double(wrote))
            #expect(throws: Never.self) { try other.update(rows[0]) }
        })
        #expect(reports.map(\.tenants) == [["acme"], ["globex"]])
        #expect(collection.staleTenants().isEmpty)
        try ReembedTests.expectConsistent(collection, rows)
        #expect(try casebook.refitStaleTenants().isEmpty)
        // Undisturbed, a round's stale tenants go together.
        let more = ReembedTests.rows(tenant: "initech", count: 10, seed: 15) + ReembedTests.rows(tenant: "umbrella", count: 10, seed: 16)
        try collection.add(more)
        #expect(try casebook.refitStaleTenants().map(\.tenants) == [["initech", "umbrella"]])
        try ReembedTests.expectConsistent(collection, rows + more)
    }

    /// A tenant is stale when it doubles its precedents or known outcomes since its fit.
    @Test func aTenantThatDoublesIsStale() throws {
        let scales = NumericScales(fitted: ["a": TenantFitBasis(precedents: 100, knownOutcomes: 10)])
        #expect(!scales.isStale("a", precedents: 199, knownOutcomes: 29))
        #expect(scales.isStale("a", precedents: 200, knownOutcomes: 10))
        // Known outcomes: twice the fit's, and at least what weighing needs.
        #expect(scales.isStale("a", precedents: 100, knownOutcomes: 30))
        // Never fitted: stale once a scale can be fitted; outcomes alone need enough to weigh.
        #expect(!scales.isStale("b", precedents: NumericScales.minimumValues - 1, knownOutcomes: 0))
        #expect(scales.isStale("b", precedents: NumericScales.minimumValues, knownOutcomes: 0))
        #expect(!NumericScales(fitted: ["c": TenantFitBasis(precedents: 5, knownOutcomes: 0)])
            .isStale("c", precedents: 9, knownOutcomes: 3))

        let database = TemporaryDatabase()
        let collection = try Casebook(path: database.path).createCollection(
            CollectionSpec(name: "c", dimension: 128, embedder: .hashedV2()))
        var rows = ReembedTests.rows(tenant: "acme", count: 40, seed: 4)
        for i in rows.indices where i % 2 == 0 { rows[i].wasSuccessful = nil }
        try collection.add(rows)
        #expect(collection.staleTenants() == ["acme"])
        try collection.reembed(tenants: ["acme"])
        #expect(collection.spec.embedder.numericScales?.fitted["acme"] == TenantFitBasis(precedents: 40, knownOutcomes: 20))
        let more = ReembedTests.rows(tenant: "acme", count: 80, seed: 5).suffix(40).map { p in
            var p = p
            p.wasSuccessful = nil
            return p
        }
        try collection.add(Array(more.prefix(39)))
        #expect(collection.staleTenants().isEmpty)
        try collection.add([more.last!])
        #expect(collection.staleTenants() == ["acme"])
    }

    @Test func badTenantReembeddingsChangeNothing() throws {
        let database = TemporaryDatabase()
        let casebook = try Casebook(path: database.path)
        let v1 = try casebook.createCollection(CollectionSpec(name: "v1", dimension: 64, embedder: .hashedV1()))
        try v1.add(ReembedTests.rows(tenant: "acme", count: 10, seed: 6))
        #expect(throws: CasebookError.self) { try v1.reembed(tenants: ["acme"]) }
        #expect(v1.spec.embedder.kind == "hashed-v1" && v1.staleTenants().isEmpty)

        let v2 = try casebook.createCollection(CollectionSpec(name: "v2", dimension: 64, embedder: .hashedV2()))
        let rows = ReembedTests.rows(tenant: "acme", count: 20, seed: 7)
        try v2.add(rows)
        let before = try Self.vectors(v2, rows)
        let embedder = v2.spec.embedder
        // Another kind for some tenants; a tenant with no precedents here (another collection's).
        #expect(throws: CasebookError.self) { try v2.reembed(to: "hashed-v1", tenants: ["acme"]) }
        do {
            try v2.reembed(tenants: ["acme", "nobody"])
            Issue.record("a tenant without precedents was taken")
        } catch {
            #expect("\(error)".contains("nobody"), "\(error)")
        }
        #expect(throws: CasebookError.self) { try v1.reembed(to: "hashed-v2", tenants: ["acme"]) }
        // Nothing named: nothing done.
        #expect(try v2.reembed(tenants: []).precedents == 0)
        #expect(v2.spec.embedder == embedder)
        #expect(try Self.vectors(v2, rows) == before)
        #expect(try casebook.collection("v2").spec.embedder == embedder)
    }

    /// `casebook reembed --stale` and `--tenant` in another process.
    @Test func theCommandLineReembedsStaleTenants() throws {
        let database = TemporaryDatabase()
        let collection = try Casebook(path: database.path).createCollection(
            CollectionSpec(name: "c", dimension: 128, embedder: .hashedV2()))
        let acme = ReembedTests.rows(tenant: "acme", count: 30, seed: 8)
        try collection.add(acme)
        let base = ["reembed", "--collection", "c", "--db", database.path]
        #expect(try CasebookProcess.run(base).status == 0)
        let globex = ReembedTests.rows(tenant: "globex", count: 12, seed: 9)
        try collection.add(globex)
        let info = try CasebookProcess.run(["info", "--db", database.path, "--json"])
        #expect(info.status == 0 && info.stdout.contains(#""staleTenants":1"#), "\(info.stdout)")
        let stale = try CasebookProcess.run(base + ["--stale", "--json"])
        #expect(stale.status == 0, "\(stale.stderr)")
        #expect(stale.stdout.contains(#""tenants":["globex"]"#) && stale.stdout.contains(#""precedents":12"#), "\(stale.stdout)")
        #expect(try CasebookProcess.run(["info", "--db", database.path, "--json"]).stdout.contains(#""staleTenants":0"#))
        let none = try CasebookProcess.run(base + ["--stale"])
        #expect(none.status == 0 && none.stdout.contains("no tenant is stale"), "\(none.stdout)")
        let named = try CasebookProcess.run(base + ["--tenant", "acme", "--tenant", "globex"])
        #expect(named.status == 0 && named.stdout.contains("42 precedents of tenants acme, globex"), "\(named.stdout)")
        for (arguments, message) in [
            (["--tenant", "nobody"], "nobody"), (["--stale", "--tenant", "acme"], "alternatives"), (["--tenant", ""], "tenant name"),
            (["--stale", "--embedder", "hashed-v1"], "only a hashed-v2 collection"),
        ] {
            let refused = try CasebookProcess.run(base + arguments)
            #expect(refused.status != 0 && refused.stderr.contains(message), "\(arguments): \(refused.stderr)")
        }
        let v1 = try Casebook(path: database.path).createCollection(CollectionSpec(name: "one", dimension: 64, embedder: .hashedV1()))
        try v1.add(ReembedTests.rows(tenant: "acme", count: 10, seed: 10))
        let notV2 = try CasebookProcess.run(["reembed", "--collection", "one", "--db", database.path, "--stale"])
        #expect(notV2.status != 0 && notV2.stderr.contains("is hashed-v1"), "\(notV2.stderr)")
        let reopened = try Casebook(path: database.path).collection("c")
        #expect(reopened.spec.embedder.numericScales?.version == 3)
        // `casebook embed --collection` embeds as the collection does: its stored vectors, bit for bit.
        let input = database.directory.appendingPathComponent("rows.jsonl")
        let all = acme + globex
        try all.map { String(decoding: try JSONEncoder().encode($0), as: UTF8.self) }.joined(separator: "\n")
            .write(to: input, atomically: true, encoding: .utf8)
        let embedded = try CasebookProcess.run(["embed", "--db", database.path, "--collection", "c", "--vectors", input.path])
        #expect(embedded.status == 0, "\(embedded.stderr)")
        let lines = embedded.stdout.split(separator: "\n")
        #expect(lines.count == all.count)
        for (line, p) in zip(lines, all) {
            let numbers = line.split(separator: "[")[1].split(separator: "]")[0].split(separator: ",").compactMap { Float(String($0)) }
            #expect(numbers.map(\.bitPattern) == (try reopened.get(tenant: p.tenant, id: p.id!).vector ?? []).map(\.bitPattern))
        }
        for (arguments, message) in [
            (["--collection", "c", "--dims", "64"], "leave out"), (["--collection", "e"], "not a hashed collection"),
        ] {
            if arguments.contains("e") {
                _ = try Casebook(path: database.path).createCollection(CollectionSpec(name: "e", dimension: 4))
            }
            let refused = try CasebookProcess.run(["embed", "--db", database.path, input.path] + arguments)
            #expect(refused.status != 0 && refused.stderr.contains(message), "\(arguments): \(refused.stderr)")
        }
        for seconds in ["0", "-1", "nan"] {
            let serve = try CasebookProcess.run(
                ["serve", "--db", database.path, "--socket", database.directory.appendingPathComponent("s").path,
                 "--refit-stale-every", seconds])
            #expect(serve.status != 0 && serve.stderr.contains("refit-stale-every"), "\(seconds): \(serve.stderr)")
        }
    }
}
