import Foundation
import GRDB
import Testing

@testable import Casebook

/// Precedent vectors in the sparse layout of Docs/StorageFormat.md: bytes as documented, and every
/// vector read back bit for bit, through the loader (into the index) and through `get`, on both
/// stores.
@Suite struct SparseVectorStorageTests {
    /// Element 2 = 1, element 9 = −2, element 15 = −0.0 (kept: its sign bit is set).
    static let example: [Float] = (0..<16).map { $0 == 2 ? 1 : $0 == 9 ? -2 : $0 == 15 ? -0.0 : 0 }

    @Test func aMostlyZeroVectorIsStoredAsBitmapAndValues() throws {
        let database = TemporaryDatabase()
        try Casebook(path: database.path).createCollection(
            CollectionSpec(name: "c", dimension: 16, metric: .innerProduct)
        ).add([Precedent(id: "v", tenant: "t", vector: Self.example)])
        let blob = try DatabaseQueue(path: database.path).read { db in
            try Data.fetchOne(db, sql: "SELECT data FROM precedent_vector")!
        }
        // Bitmap: byte 0 has bit 2; byte 1 has bits 1 (element 9) and 7 (element 15). Then the values.
        #expect(Array(blob) == [0x04, 0x82, 0x00, 0x00, 0x80, 0x3F, 0x00, 0x00, 0x00, 0xC0, 0x00, 0x00, 0x00, 0x80])
        #expect(StoredVectorBytes.decode(Array(blob), dimension: 16).map(Self.bits) == Self.bits(Self.example))
        let reopened = try Casebook(path: database.path).collection("c")
        #expect(try reopened.get(tenant: "t", id: "v").vector.map(Self.bits) == Self.bits(Self.example))
        #expect((try reopened.indexedVector(tenant: "t", id: "v")).map(Self.bits) == Self.bits(Self.example))
    }

    static func bits(_ vector: [Float]) -> [UInt32] { vector.map(\.bitPattern) }

    /// Vectors from all zeros but one to fully dense, with −0.0, subnormals and huge values, added,
    /// updated and reopened: the index and `get` hold exactly the bits given, and hashed vectors
    /// take the sparse layout.
    @Test(arguments: StoreKind.allCases) func everyVectorReadsBackBitForBit(_ store: StoreKind) throws {
        let database = TemporaryDatabase(store)
        var random = SeededRandom(seed: 2_026_120_4)
        var expected: [PrecedentID: [Float]] = [:]
        let dimension = 300
        do {
            let casebook = try Casebook(path: database.path)
            let collection = try casebook.createCollection(
                CollectionSpec(name: "c", dimension: dimension, metric: .innerProduct))
            var batch: [Precedent] = []
            for row in 0..<120 {
                let share = [0.004, 0.05, 0.3, 0.9, 0.97, 1.0][row % 6]
                var vector = [Float](repeating: 0, count: dimension)
                for i in 0..<dimension where Double(random.next() % 1000) < share * 1000 {
                    switch random.next() % 5 {
                    case 0: vector[i] = -0.0
                    case 1: vector[i] = Float.leastNonzeroMagnitude * Float(random.next() % 7 + 1)
                    case 2: vector[i] = Float(random.unit()) * 1e30
                    default: vector[i] = random.unit()
                    }
                }
                if vector.allSatisfy({ $0.bitPattern == 0 }) { vector[row % dimension] = 1 }
                let id = PrecedentID("r\(row)")
                expected[id] = vector
                batch.append(Precedent(id: id, tenant: "t", vector: vector))
            }
            try collection.add(batch)
            // An update rewrites one row's vector (the replace path).
            var changed = expected["r7"]!
            changed[0] = 0.25
            changed[1] = 0
            try collection.update(Precedent(id: "r7", tenant: "t", vector: changed))
            expected["r7"] = changed
        }
        let collection = try Casebook(path: database.path).collection("c")
        for (id, vector) in expected {
            #expect((try collection.indexedVector(tenant: "t", id: id)).map(Self.bits) == Self.bits(vector), "\(id)")
            #expect(try collection.get(tenant: "t", id: id).vector.map(Self.bits) == Self.bits(vector), "\(id)")
        }
    }

    @Test func hashedVectorsTakeTheSparseLayout() throws {
        let database = TemporaryDatabase()
        let collection = try Casebook(path: database.path).createCollection(
            CollectionSpec(name: "h", dimension: 1024, embedder: .hashedV1()))
        try collection.add([Precedent(id: "a", tenant: "t", context: ["carrier": "dtdc", "attempts": 2], text: "customer refused the parcel")])
        let length = try DatabaseQueue(path: database.path).read { db in
            try Int.fetchOne(db, sql: "SELECT length(data) FROM precedent_vector")!
        }
        let stored = try collection.get(tenant: "t", id: "a").vector!
        let nonZero = stored.filter { $0.bitPattern != 0 }.count
        #expect(length == 128 + 4 * nonZero && length < 4 * 1024, "\(length) bytes for \(nonZero) non-zero elements")
    }

    @Test(arguments: [
        ("a bitmap claiming more values than stored", [0x04, 0x82, 0x00, 0x00, 0x80, 0x3F, 0x00, 0x00, 0x00, 0xC0] as [UInt8]),
        ("a bit past the dimension", [0x00, 0x00, 0x01, 0x00, 0x00, 0x80, 0x3F] as [UInt8]),
        ("a length of neither layout", [0x00, 0x00, 0x00] as [UInt8]),
    ])
    func aMalformedSparseVectorFailsOpenWithoutChangingTheFile(_ problem: String, _ bytes: [UInt8]) throws {
        let database = TemporaryDatabase()
        try Casebook(path: database.path).createCollection(CollectionSpec(name: "c", dimension: 16, metric: .innerProduct))
            .add([Precedent(id: "v", tenant: "t", vector: Self.example)])
        let queue = try DatabaseQueue(path: database.path)
        try queue.write { try $0.execute(sql: "UPDATE precedent_vector SET data = ?", arguments: [Data(bytes)]) }
        #expect(throws: CasebookError.self, "\(problem)") { try Casebook(path: database.path) }
        #expect(try queue.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM precedent") } == 1)
    }
}
