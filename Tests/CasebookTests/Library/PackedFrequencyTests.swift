import Foundation
import GRDB
import Testing

@testable import Casebook

/// Small tenants' feature frequencies packed in one stored value: the layout against bytes worked
/// out by hand, round trips and malformed values; on both stores, a tenant moving to rows when it
/// outgrows a packed value, staying there, emptying, being re-embedded and being migrated from a
/// file that kept every count as rows, read back each time as a recount.
@Suite struct PackedFrequencyTests {
    /// 3 documents; features 2³² + 5 (count 2) and 2³² + 300 (count 1). 2³² + 5 in seven-bit
    /// groups, least significant first: 5, 0, 0, 0, 16; the second key is 295 further: 39, 2.
    static let handWorked: [UInt8] = [3, 2, 0x85, 0x80, 0x80, 0x80, 0x10, 2, 0xA7, 0x02, 1]

    @Test func layoutIsTheDocumentedVarints() {
        let value = FeatureFrequencies(documents: 3, counts: [1 << 32 | 5: 2, 1 << 32 | 300: 1])
        #expect(PackedFrequencies.encode(value) == Self.handWorked)
        #expect(PackedFrequencies.decode(Self.handWorked) == value)
        #expect(PackedFrequencies.empty == Data([0, 0]))
        #expect(PackedFrequencies.decode([0, 0]) == FeatureFrequencies())
    }

    @Test func randomCountsReadBackAndTheLimitHolds() throws {
        var random = SplitMix64(seed: 3)
        func counts(_ size: Int) -> [UInt64: Int] {
            var counts: [UInt64: Int] = [:]
            while counts.count < size {
                counts[UInt64(1 + random.next() % 5) << 32 | random.next() & 0xFFFF_FFFF] = 1 + Int(random.next() % 100_000)
            }
            return counts
        }
        for size in [0, 1, 7, 500, PackedFrequencies.maximumFeatures] {
            let value = FeatureFrequencies(documents: Int(random.next() % 1_000_000), counts: counts(size))
            let bytes = try #require(PackedFrequencies.encode(value), "\(size) features")
            #expect(PackedFrequencies.decode(bytes) == value, "\(size) features")
        }
        #expect(PackedFrequencies.encode(FeatureFrequencies(documents: 1, counts: counts(PackedFrequencies.maximumFeatures + 1))) == nil)
    }

    /// The one-pass merge a store uses on packed counts equals ``FeatureFrequencies/apply(_:)``:
    /// changes that add, lower, remove and bring features, with pending changes on either side.
    @Test func addingAChangeEqualsApplyingIt() {
        var random = SplitMix64(seed: 9)
        for round in 0..<200 {
            var counts = FeatureFrequencies()
            var change = FeatureFrequencies()
            let keys = (0..<(1 + Int(random.next() % 300))).map { _ in UInt64(1 + random.next() % 3) << 32 | random.next() % 400 }
            for _ in 0..<Int(random.next() % 20) { counts.count(document: Set(keys.filter { _ in random.next() % 3 == 0 })) }
            for _ in 0..<Int(random.next() % 4) { change.count(document: Set(keys.filter { _ in random.next() % 4 == 0 })) }
            // Take away documents the counts hold, some of them whole.
            let held = counts.counts.keys.sorted()
            for _ in 0..<Int(random.next() % 3) where counts.documents > change.documents.magnitude {
                change.count(document: held.filter { _ in random.next() % 2 == 0 }.filter { counts.frequency(of: $0) > 1 }, sign: -1)
            }
            var applied = counts
            applied.apply(change)
            #expect(counts.adding(change) == applied, "round \(round)")
        }
    }

    @Test func malformedValuesAreRefused() {
        let overflowing: [UInt8] = [1, 2] + Array(repeating: 0xFF, count: 9) + [0x01, 1, 5, 1]
        let cases: [(String, [UInt8])] = [
            ("nothing", []),
            ("documents only", [3]),
            ("one byte short", Array(Self.handWorked.dropLast())),
            ("a byte left over", Self.handWorked + [0]),
            ("a key equal to the previous", [3, 2, 5, 1, 0, 1]),
            ("a count of 0", [3, 1, 5, 0]),
            ("more features than a value holds (8,193)", [3, 0x81, 0x40]),
            ("a varint past 64 bits", Array(repeating: 0xFF, count: 9) + [0x02, 0]),
            ("a key past 64 bits", overflowing),
        ]
        for (name, bytes) in cases { #expect(PackedFrequencies.decode(bytes) == nil, "\(name)") }
        #expect(PackedFrequencies.decode([1, 1] + overflowing[2..<12] + [1]) != nil, "its first key alone, the largest, reads")
    }

    // MARK: In the stores

    /// Where a tenant's counts are: nil (no row), "rows", or its packed value in hex.
    static func form(_ database: TemporaryDatabase, _ tenant: String) throws -> String? {
        let sql = "SELECT CASE WHEN packed IS NULL THEN 'rows' ELSE lower(%@) END FROM %@feature_frequency_tenant WHERE tenant = '\(tenant)'"
        switch database.kind {
        case .sqlite:
            return try DatabaseQueue(path: database.path).read { db in
                try String.fetchOne(db, sql: String(format: sql, "hex(packed)", ""))
            }
        case .postgres:
            return try TestPostgres.query(database.path, String(format: sql, "encode(packed, 'hex')", "casebook.")).first ?? nil
        }
    }

    /// A tenant's rows of `feature_frequency`.
    static func rows(_ database: TemporaryDatabase, _ tenant: String) throws -> Int {
        switch database.kind {
        case .sqlite:
            return try DatabaseQueue(path: database.path).read { db in
                try Int.fetchOne(db, sql: "SELECT count(*) FROM feature_frequency WHERE tenant = ?", arguments: [tenant]) ?? -1
            }
        case .postgres:
            let sql = "SELECT count(*)::text FROM casebook.feature_frequency WHERE tenant = '\(tenant)'"
            return Int(try TestPostgres.query(database.path, sql).first?.flatMap { $0 } ?? "") ?? -1
        }
    }

    /// Collection `c` (hashed-v1, idf, 64 dims) and the embedder that recounts its precedents.
    static func hashedCollection(_ database: TemporaryDatabase) throws -> (PrecedentCollection, HashedNGramEmbedder) {
        let collection = try Casebook(path: database.path).createCollection(
            CollectionSpec(name: "c", dimension: 64, embedder: .hashedV1()))
        return (collection, try HashedNGramEmbedder(dimension: 64))
    }

    /// Precedents of random eight-letter words: each brings some 900 features no other shares.
    struct Words {
        var random = SplitMix64(seed: 41)

        mutating func precedent(_ id: String, tenant: String, words: Int = 40) -> Precedent {
            let text = (0..<words).map { _ in
                String((0..<8).map { _ in Character(Unicode.Scalar(97 + UInt8(random.next() % 26))) })
            }
            return Precedent(id: PrecedentID(id), tenant: TenantID(tenant), category: "ndr", text: text.joined(separator: " "))
        }
    }

    @Test(arguments: StoreKind.allCases) func aTenantMovesToRowsWhenItOutgrowsAPackedValue(store: StoreKind) throws {
        let database = TemporaryDatabase(store)
        let (collection, embedder) = try Self.hashedCollection(database)
        func recount(_ precedents: [Precedent]) -> FeatureFrequencies { FeatureFrequencyTests.recount(precedents, embedder) }
        func stored(_ tenant: TenantID) throws -> FeatureFrequencies {
            try collection.store.featureFrequencies(collection: collection.recordID, tenant: tenant)
        }
        var words = Words()
        var small = (0..<3).map { words.precedent("s\($0)", tenant: "small") }
        try collection.add(small)
        #expect(try Self.form(database, "small") == PackedFrequencies.encode(recount(small)).map { Data($0).hex })
        #expect(try Self.rows(database, "small") == 0)

        // One precedent at a time, until the counts outgrow a packed value.
        var big: [Precedent] = []
        while recount(big).counts.count <= PackedFrequencies.maximumFeatures {
            big.append(words.precedent("b\(big.count)", tenant: "big"))
            try collection.add([big.last!])
            let fits = recount(big).counts.count <= PackedFrequencies.maximumFeatures
            #expect(try Self.form(database, "big") == (fits ? PackedFrequencies.encode(recount(big)).map { Data($0).hex } : "rows"))
            #expect(try Self.rows(database, "big") == (fits ? 0 : recount(big).counts.count + 1))
            #expect(try stored("big") == recount(big), "\(big.count) precedents")
        }
        #expect(big.count > 2)

        // Rows stay rows, as the counts change and fall back under the limit.
        big[0] = words.precedent("b0", tenant: "big", words: 3)
        try collection.update(big[0])
        while big.count > 2 {
            try collection.delete(tenant: "big", id: big.removeLast().id!)
        }
        #expect(recount(big).counts.count <= PackedFrequencies.maximumFeatures)
        #expect(try Self.form(database, "big") == "rows")
        #expect(try stored("big") == recount(big))

        // Emptied: the packed value holds nothing, and the tenant counts nothing.
        for precedent in small { try collection.delete(tenant: "small", id: precedent.id!) }
        #expect(try Self.form(database, "small") == "0000")
        #expect(try collection.store.featureFrequencies(collection: collection.recordID)["small"] == nil)
        #expect(try stored("small") == FeatureFrequencies())
        small = [words.precedent("s9", tenant: "small")]
        try collection.add(small)

        let reopened = try Casebook(path: database.path).collection("c")
        #expect(try reopened.featureFrequencies(tenant: "big") == recount(big))
        #expect(try reopened.featureFrequencies(tenant: "small") == recount(small))

        // A re-embedding counts again: the tenant that fits now is packed.
        _ = try collection.reembed()
        #expect(try Self.form(database, "big") == PackedFrequencies.encode(recount(big)).map { Data($0).hex })
        #expect(try Self.rows(database, "big") == 0)
        #expect(try stored("big") == recount(big))
        #expect(try stored("small") == recount(small))
        #expect(try collection.featureFrequencies(tenant: "big") == recount(big))
    }

    /// More packed tenants than PostgreSQL reads in one page: a reopened instance holds each
    /// one's counts, read back as recounts.
    @Test(arguments: StoreKind.allCases) func packedTenantsOfManyPagesReadBackWhole(store: StoreKind) throws {
        let database = TemporaryDatabase(store)
        let (collection, embedder) = try Self.hashedCollection(database)
        var words = Words()
        let precedents = (0..<(PostgresStore.packedPerPage + 150)).map { words.precedent("p", tenant: "t\($0)", words: 2) }
        try collection.add(precedents)
        let stored = try Casebook(path: database.path).collection("c").store.featureFrequencies(collection: collection.recordID)
        #expect(stored.count == precedents.count)
        let mismatched = precedents.filter { stored[$0.tenant] != FeatureFrequencyTests.recount([$0], embedder) }
        #expect(mismatched.isEmpty, "\(mismatched.count) tenants differ, first \(mismatched.first?.tenant.rawValue ?? "")")
    }

    /// A database whose counts were all rows (as format 2 kept them) migrates: its tenants stay in
    /// rows, read back whole, and take further writes there.
    @Test(arguments: StoreKind.allCases) func countsStoredAsRowsBeforePackingMigrate(store: StoreKind) throws {
        let database = TemporaryDatabase(store)
        let (created, embedder) = try Self.hashedCollection(database)
        var collection = created
        var words = Words()
        var held: [TenantID: [Precedent]] = [:]
        for tenant in ["acme", "globex"] {
            held[TenantID(tenant)] = (0..<3).map { words.precedent("p\($0)", tenant: tenant, words: 5) }
            try collection.add(held[TenantID(tenant)]!)
        }
        // The format-2 layout, by hand: every count a row, no packed values, the migration undone.
        let counts = try collection.store.featureFrequencies(collection: collection.recordID)
        let values = counts.flatMap { tenant, frequencies in
            ([(Int64(0), frequencies.documents)] + frequencies.counts.sorted { $0.key < $1.key }.map { (Int64($0.key), $0.value) }).map {
                "(\(collection.recordID), '\(tenant.rawValue)', \($0.0), \($0.1))"
            }
        }.joined(separator: ", ")
        switch store {
        case .sqlite:
            try DatabaseQueue(path: database.path).write { db in
                try db.execute(sql: "INSERT INTO feature_frequency (collection_id, tenant, feature, documents) VALUES \(values)")
                try db.execute(sql: "DROP TABLE feature_frequency_tenant")
                try db.execute(sql: "DELETE FROM grdb_migrations WHERE identifier = 'v10-packed-frequencies'")
                try db.execute(sql: "UPDATE casebook_meta SET value = '2' WHERE key = 'format_version'")
            }
        case .postgres:
            for sql in [
                "INSERT INTO casebook.feature_frequency (collection_id, tenant, feature, documents) VALUES \(values)",
                "DROP TABLE casebook.feature_frequency_tenant",
                "DELETE FROM casebook.migration WHERE name = 'v6-packed-frequencies'",
                "UPDATE casebook.meta SET value = '2' WHERE key = 'format_version'",
            ] { _ = try TestPostgres.query(database.path, sql) }
        }
        collection = try Casebook(path: database.path).collection("c")
        for (tenant, precedents) in held {
            #expect(try Self.form(database, tenant.rawValue) == "rows")
            #expect(try collection.featureFrequencies(tenant: tenant) == FeatureFrequencyTests.recount(precedents, embedder))
        }
        held["acme"]!.append(words.precedent("p3", tenant: "acme", words: 5))
        try collection.add([held["acme"]!.last!])
        held["globex"]!.removeFirst()
        try collection.delete(tenant: "globex", id: "p0")
        for (tenant, precedents) in held {
            let expected = FeatureFrequencyTests.recount(precedents, embedder)
            #expect(try Self.form(database, tenant.rawValue) == "rows")
            #expect(try Self.rows(database, tenant.rawValue) == expected.counts.count + 1)
            #expect(try Casebook(path: database.path).collection("c").featureFrequencies(tenant: tenant) == expected)
        }
    }
}

extension Data {
    fileprivate var hex: String { map { String(format: "%02x", $0) }.joined() }
}
