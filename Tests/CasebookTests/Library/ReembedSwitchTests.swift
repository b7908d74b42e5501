import Foundation
import Testing

@testable import Casebook

/// A re-embedding switches to an index made from its own rows and new vectors, not read back from
/// the database: that index must be the one opening the database builds. Checked by answers —
/// every filter, exact and probed searches — of the live collection against a reopened one, on
/// both stores, flat (with a tenant large enough to keep only codes) and trained IVF, for the
/// whole collection and for one tenant, with writes of this process and of another taken in
/// midway: by the catch-up before the switch's lock and by the one under it.
@Suite struct ReembedSwitchTests {
    /// Rows with every filterable field varied: category, policy version, action, tags, outcome
    /// (known or not) and time.
    static func rows(tenant: String, count: Int, seed: UInt64) -> [Precedent] {
        ReembedTests.rows(tenant: tenant, count: count, seed: seed).enumerated().map { i, row in
            var row = row
            row.policyVersion = i % 3 == 0 ? "v2" : "v1"
            row.action = i % 4 == 0 ? "reattempt" : "refund"
            row.tags = i % 5 == 0 ? ["vip", "cod"] : i % 5 == 1 ? ["cod"] : []
            if i % 7 == 0 { row.wasSuccessful = nil }
            row.createdAt = Date(timeIntervalSince1970: time(i))
            return row
        }
    }

    /// The time of the `i`th row of each tenant, in Unix seconds.
    static func time(_ i: Int) -> Double { 1_700_000_000 + Double(i) * 3_600.125 }

    /// Searches that together read every filterable field the index keeps.
    static func requests(tenant: TenantID, probing: Bool) -> [SearchRequest] {
        let context: [String: JSONValue] = ["minutes": 250, "calls": 4, "plan": "domestic"]
        let cut = Date(timeIntervalSince1970: time(40))
        let filters = [
            SearchFilter(), SearchFilter(category: "ndr"), SearchFilter(policyVersion: "v2"),
            SearchFilter(action: "reattempt"), SearchFilter(tags: ["vip"]), SearchFilter(wasSuccessful: true),
            SearchFilter(outcomeKnown: false), SearchFilter(since: cut), SearchFilter(until: cut),
            SearchFilter(category: "credit", tags: ["cod"], since: cut, excludeIds: ["p0", "p2"]),
        ] + [7, 40, 123].map { i in
            // One row's time and nothing after it: the row's stored time, to the last bit.
            let time = time(i)
            return SearchFilter(since: Date(timeIntervalSince1970: time), until: Date(timeIntervalSince1970: time.nextUp))
        }
        return filters.flatMap { filter in
            [true, false].map { exact in
                SearchRequest(
                    tenant: tenant, k: 12, context: context, filter: filter, includePrecedents: false,
                    nprobe: probing ? 1 : nil, exact: exact, log: false)
            }
        }
    }

    /// The same scores in the same order, and the same ids above the last score. Rows of equal
    /// score (precedents alike in every embedded field) may come in another order: a live index
    /// takes a deleted row's place with its last row, where a reopened one keeps stored order.
    static func expectSameAnswers(_ live: PrecedentCollection, _ reopened: PrecedentCollection, _ note: String) throws {
        #expect(live.indexInfo == reopened.indexInfo, "\(note)")
        #expect(live.tenants == reopened.tenants, "\(note)")
        for tenant in reopened.tenants {
            #expect(live.count(tenant: tenant) == reopened.count(tenant: tenant), "\(tenant) \(note)")
            for request in requests(tenant: tenant, probing: live.spec.index.isIVF) {
                let a = try live.search(request).results, b = try reopened.search(request).results
                #expect(!b.isEmpty, "\(tenant) \(request.filter) \(note)")
                #expect(a.map(\.score) == b.map(\.score), "\(tenant) \(request.filter) exact \(request.exact) \(note)")
                let above = { (results: [SearchResult]) in Set(results.filter { $0.score > results.last!.score }.map(\.id)) }
                #expect(above(a) == above(b), "\(tenant) \(request.filter) exact \(request.exact) \(note)")
            }
        }
    }

    @Test(arguments: StoreKind.allCases, [false, true])
    func theSwitchedIndexAnswersAsAReopenedOne(store: StoreKind, trained: Bool) throws {
        let database = TemporaryDatabase(store)
        let casebook = try Casebook(path: database.path)
        var spec = CollectionSpec(name: "c", dimension: 64, embedder: .hashedV2())
        if trained { spec.index = .ivf(IVFParameters(nlist: 8, nprobe: 2, flatThreshold: 16)) }
        let collection = try casebook.createCollection(spec)
        let other = try Casebook(path: database.path).collection("c")
        // acme past CodedScan.minimumRows: a flat index keeps its rows as codes only.
        var rows = Self.rows(tenant: "acme", count: CodedScan.minimumRows + 200, seed: 31)
            + Self.rows(tenant: "globex", count: 300, seed: 32)
        try collection.add(rows)
        if trained { try collection.trainIndex() }
        for (round, tenants) in [nil, Set<TenantID>(["acme"])].enumerated() {
            // Midway: this process replaces, adds and deletes; another adds and deletes, while the
            // rows are embedded (taken in before the switch's lock) and again after that first
            // catch-up (taken in under the lock).
            let tenant = tenants == nil ? "globex" : "acme"
            let own = rows.indices.filter { rows[$0].tenant.rawValue == tenant }
            rows[own[3]].context["minutes"] = .number(9_000 + Double(round))
            rows[own[3]].tags = ["vip"]
            let replaced = rows[own[3]]
            let gone = rows[own[5]], goneElsewhere = rows[own[8]], goneLate = rows[own[11]]
            var added = Self.rows(tenant: tenant, count: 3, seed: 40 + UInt64(round))
            for (i, name) in ["added", "added-elsewhere", "added-late"].enumerated() { added[i].id = PrecedentID("\(name)-\(round)") }
            let removed: Set<PrecedentID> = [gone.id!, goneElsewhere.id!, goneLate.id!]
            rows.removeAll { $0.tenant == gone.tenant && removed.contains($0.id!) }
            var wrote: Result<Void, any Error>?? = .none
            var wroteLate: Result<Void, any Error>?? = .none
            var phases: [ReembedProgress.Phase] = []
            try collection.reembed(tenants: tenants) { step in
                phases.append(step.phase)
                if case .none = wrote, step.phase == .embedding {
                    wrote = .some(OnAnotherThread.run(within: 20) { [added] in
                        try collection.update(replaced)
                        try collection.add([added[0]])
                        try collection.delete(tenant: gone.tenant, id: gone.id!)
                        try other.add([added[1]])
                        try other.delete(tenant: goneElsewhere.tenant, id: goneElsewhere.id!)
                    })
                }
                if case .none = wroteLate, step.phase == .catchingUp {
                    #expect(step.done == 5, "the first catch-up took in the five rows written while embedding")
                    wroteLate = .some(OnAnotherThread.run(within: 20) { [added] in
                        try other.add([added[2]])
                        try other.delete(tenant: goneLate.tenant, id: goneLate.id!)
                    })
                }
            }
            #expect(phases.filter { $0 == .catchingUp }.count == 2)
            for result in [wrote, wroteLate] {
                guard case .some(.some(.success)) = result else {
                    Issue.record("the writes midway: \(String(describing: result))")
                    return
                }
            }
            rows += added
            let note = "\(store) trained \(trained) tenants \(String(describing: tenants))"
            // Before this process follows the other's writes: the switch took them in.
            let reopened = try Casebook(path: database.path).collection("c")
            #expect(reopened.count == rows.count, "\(note)")
            try Self.expectSameAnswers(collection, reopened, note)
            try casebook.catchUp()
            try Self.expectSameAnswers(collection, reopened, "\(note), followed")
            try ReembedTests.expectConsistent(collection, rows, note, sampleEvery: 97)
        }
    }
}
