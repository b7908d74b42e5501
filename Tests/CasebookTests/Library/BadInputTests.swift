import Foundation
import Testing

@testable import Casebook

/// Limits and malformed requests are refused with a clear error, and nothing is written.
@Suite struct BadInputTests {
    let database = TemporaryDatabase()
    let collection: PrecedentCollection

    init() throws {
        collection = try Casebook(path: database.path).createCollection(
            CollectionSpec(name: "c", dimension: 4, metric: .l2))
        try collection.add([Precedent(id: "x", tenant: "t", vector: [1, 2, 3, 4])])
    }

    @Test func searchArgumentsAreChecked() throws {
        let v: [Float] = [1, 0, 0, 0]
        #expect(throws: CasebookError.invalidK(0, max: SearchRequest.maxK)) {
            try collection.search(SearchRequest(tenant: "t", k: 0, vector: v))
        }
        #expect(throws: CasebookError.invalidK(1_001, max: SearchRequest.maxK)) {
            try collection.search(SearchRequest(tenant: "t", k: 1_001, vector: v))
        }
        #expect(throws: CasebookError.missingTenant) { try collection.search(SearchRequest(tenant: "", vector: v)) }
        #expect(throws: CasebookError.invalidIdentifier("tenant contains a control character")) {
            try collection.search(SearchRequest(tenant: "t\u{0}", vector: v))
        }
        #expect(throws: CasebookError.dimensionMismatch(expected: 4, actual: 2)) {
            try collection.search(SearchRequest(tenant: "t", vector: [1, 2]))
        }
        #expect(throws: CasebookError.nonFiniteVector(position: 3)) {
            try collection.search(SearchRequest(tenant: "t", vector: [1, 2, 3, .nan]))
        }
        #expect(throws: CasebookError.self) { try collection.search(SearchRequest(tenant: "t", text: "no vector")) }
        #expect(throws: CasebookError.emptyBatch) {
            try collection.search(batch: BatchSearchRequest(tenant: "t", vectors: []))
        }
        #expect(throws: CasebookError.item(index: 1, id: nil, problem: .dimensionMismatch(expected: 4, actual: 3))) {
            try collection.search(batch: BatchSearchRequest(tenant: "t", vectors: [v, [1, 2, 3]]))
        }
        let tooMany = Array(repeating: v, count: BatchSearchRequest.maxQueries + 1)
        #expect(throws: CasebookError.batchTooLarge(tooMany.count, max: BatchSearchRequest.maxQueries)) {
            try collection.search(batch: BatchSearchRequest(tenant: "t", vectors: tooMany))
        }
        // An empty time window is a valid, empty answer.
        let now = Date()
        let empty = try collection.search(SearchRequest(tenant: "t", vector: v, filter: SearchFilter(since: now, until: now)))
        #expect(empty.results.isEmpty)
    }

    @Test func writeLimitsAreChecked() throws {
        let v: [Float] = [1, 0, 0, 0]
        #expect(throws: CasebookError.emptyBatch) { try collection.add([]) }
        let cases: [(Precedent, CasebookError)] = [
            (Precedent(id: "a", tenant: TenantID(String(repeating: "t", count: 129)), vector: v),
             .invalidIdentifier("tenant is longer than 128 characters")),
            (Precedent(id: PrecedentID(String(repeating: "i", count: 257)), tenant: "t", vector: v),
             .invalidIdentifier("id is longer than 256 characters")),
            (Precedent(id: "a", tenant: "t", text: String(repeating: "x", count: Limits.maxTextCharacters + 1), vector: v),
             .invalidField("text is longer than 65536 characters")),
            // Lengths count characters (Unicode scalars, as JSON Schema's maxLength does), not
            // bytes: one past the limit in two-byte characters is refused...
            (Precedent(id: PrecedentID(String(repeating: "é", count: 257)), tenant: "t", vector: v),
             .invalidIdentifier("id is longer than 256 characters")),
            (Precedent(id: "a", tenant: "t", action: String(repeating: "日", count: 257), vector: v),
             .invalidField("action must be 1 to 256 characters")),
            (Precedent(id: "a", tenant: "t", tags: (0...Limits.maxTags).map { "tag\($0)" }, vector: v),
             .invalidField("more than 64 tags")),
            (Precedent(id: "a", tenant: "t", context: Self.nested(depth: 9), vector: v),
             .invalidField("context nests deeper than 8 levels")),
            (Precedent(id: "a", tenant: "t", context: ["k": .string(String(repeating: "x", count: Limits.maxContextBytes))], vector: v),
             .invalidField("context is larger than 1048576 bytes as JSON")),
            // A NUL would be stored whole but read back cut short ("t\0x" as "t", another tenant's
            // name): found by FuzzTests. Identifiers refuse every control character.
            (Precedent(id: "a", tenant: "t\u{0}x", vector: v), .invalidIdentifier("tenant contains a control character")),
            (Precedent(id: "a\nb", tenant: "t", vector: v), .invalidIdentifier("id contains a control character")),
            (Precedent(id: "a", tenant: "t", text: "x\u{0}y", vector: v), .invalidField("text contains a NUL character")),
            (Precedent(id: "a", tenant: "t", category: "c\u{0}", vector: v), .invalidField("category contains a NUL character")),
            (Precedent(id: "a", tenant: "t", tags: ["ok", "n\u{0}"], vector: v), .invalidField("a tag contains a NUL character")),
        ]
        for (precedent, problem) in cases {
            #expect(throws: CasebookError.item(index: 0, id: precedent.id, problem: problem)) {
                try collection.add([precedent])
            }
        }
        // ...and exactly the limit is taken, though it is twice (three times, four times) as many bytes.
        let longest = [
            Precedent(id: PrecedentID(String(repeating: "é", count: 256)), tenant: TenantID(String(repeating: "ü", count: 128)), vector: v),
            Precedent(id: "b", tenant: "t", text: String(repeating: "日", count: Limits.maxTextCharacters), action: String(repeating: "😀", count: 256), vector: v),
        ]
        #expect(try collection.add(longest).count == 2)
        for precedent in longest { try collection.delete(tenant: precedent.tenant, id: precedent.id!) }
        #expect(collection.count == 1)
        #expect(throws: CasebookError.invalidIdentifier("an update needs the precedent's id")) {
            try collection.update(Precedent(tenant: "t", vector: v))
        }
        #expect(throws: CasebookError.missingTenant) { try collection.delete(tenant: "", id: "x") }
        #expect(try collection.get(tenant: "t", id: "x").vector == [1, 2, 3, 4])
    }

    /// Found by schemathesis: `{"nlist": 0, "sample": 0}` divided by zero and took the server down.
    @Test func trainingParametersAreCheckedBeforeUse() throws {
        let cases: [(nlist: Int?, sample: Int?, problem: String)] = [
            (0, 0, "nlist must be between 1 and 65536, got 0"),
            (-3, nil, "nlist must be between 1 and 65536, got -3"),
            (nil, 0, "a training sample of 0 rows is smaller than nlist (1)"),
            (1, -1, "a training sample of -1 rows is smaller than nlist (1)"),
        ]
        for (nlist, sample, problem) in cases {
            #expect(throws: CasebookError.invalidParameter(problem)) {
                try collection.trainIndex(nlist: nlist, sampleRows: sample)
            }
        }
        #expect(collection.spec.index == .flat)
        #expect(try collection.trainIndex(nlist: 1, sampleRows: 1).nlist == 1)
    }

    @Test func generatedIdsAreUniqueAndReturned() throws {
        let ids = try collection.add((0..<20).map { _ in Precedent(tenant: "t", vector: [0, 1, 0, 0]) })
        #expect(Set(ids).count == 20)
        for id in ids { #expect(try collection.get(tenant: "t", id: id).id == id) }
    }

    static func nested(depth: Int) -> [String: JSONValue] {
        var value: JSONValue = "leaf"
        for _ in 1..<depth { value = ["k": value] }
        return ["k": value]
    }
}
