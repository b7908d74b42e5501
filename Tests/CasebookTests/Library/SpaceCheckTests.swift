import Foundation
import Testing

@testable import Casebook

/// `spaceId` is checked: a request that names the space of its vectors is refused when it is not
/// the collection's, before anything is read or written; a request naming none is not checked.
/// Over the socket and the command line: `SpaceCheckAPITests`.
@Suite struct SpaceCheckTests {
    static let rows = [
        Precedent(id: "a", tenant: "t", wasSuccessful: true, vector: [1, 0, 0, 0]),
        Precedent(id: "b", tenant: "t", wasSuccessful: false, vector: [0, 1, 0, 0]),
    ]

    @Test(arguments: StoreKind.allCases) func externalCollectionsCheckTheNamedSpace(store: StoreKind) throws {
        let database = TemporaryDatabase(store)
        let casebook = try Casebook(path: database.path)
        let minilm = try casebook.createCollection(
            CollectionSpec(name: "m", dimension: 4, metric: .cosine, embedder: .external(spaceId: "minilm-l6-384")))
        let wrong = CasebookError.wrongSpace(named: "e5-base-v2", collection: "minilm-l6-384")
        #expect(throws: wrong) { try minilm.add(Self.rows, space: "e5-base-v2") }
        #expect(minilm.count(tenant: "t") == 0)
        try minilm.add(Self.rows, space: "minilm-l6-384")
        try minilm.add([Precedent(id: "c", tenant: "t", vector: [0, 0, 1, 0])])
        #expect(minilm.count(tenant: "t") == 3)

        let query: [Float] = [1, 0, 0, 0]
        #expect(throws: wrong) { try minilm.search(SearchRequest(tenant: "t", vector: query, spaceId: "e5-base-v2")) }
        #expect(throws: wrong) {
            try minilm.search(batch: BatchSearchRequest(tenant: "t", vectors: [query], spaceId: "e5-base-v2"))
        }
        #expect(throws: wrong) { try minilm.suggest(SuggestRequest(tenant: "t", vector: query, spaceId: "e5-base-v2")) }
        var changed = try minilm.get(tenant: "t", id: "a")
        changed.vector = [0, 0, 0, 1]
        #expect(throws: wrong) { try minilm.update(changed, space: "e5-base-v2") }
        #expect(try minilm.get(tenant: "t", id: "a").vector == [1, 0, 0, 0])

        #expect(try minilm.search(SearchRequest(tenant: "t", vector: query, spaceId: "minilm-l6-384")).results.first?.id == "a")
        #expect(try minilm.search(batch: BatchSearchRequest(tenant: "t", vectors: [query], spaceId: "minilm-l6-384")).count == 1)
        #expect(try minilm.search(SearchRequest(tenant: "t", vector: query)).results.first?.id == "a")

        // A collection that names no space cannot vouch for one.
        let unnamed = try casebook.createCollection(CollectionSpec(name: "u", dimension: 4, metric: .cosine))
        #expect(throws: CasebookError.wrongSpace(named: "minilm-l6-384", collection: nil)) {
            try unnamed.add(Self.rows, space: "minilm-l6-384")
        }
        try unnamed.add(Self.rows)
        #expect(unnamed.count(tenant: "t") == 2)
    }

    @Test func featurizingCollectionsAreInTheirEmbedderSpace() throws {
        let database = TemporaryDatabase()
        let hashed = try Casebook(path: database.path).createCollection(
            CollectionSpec(name: "h", dimension: 64, embedder: .hashedV1()))
        try hashed.add([Precedent(id: "a", tenant: "t", text: "customer not answering")], space: "hashed-v1")
        #expect(try hashed.search(SearchRequest(tenant: "t", text: "customer", spaceId: "hashed-v1")).results.count == 1)
        #expect(throws: CasebookError.wrongSpace(named: "minilm-l6-384", collection: "hashed-v1")) {
            try hashed.search(SearchRequest(tenant: "t", text: "customer", spaceId: "minilm-l6-384"))
        }
    }
}
