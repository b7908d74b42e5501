import Foundation
import Testing

@testable import Casebook
@testable import CasebookBench

/// The readers against files NumPy wrote (Tests/Fixtures/vectors/make_fixtures.py), and the
/// writers against the same files byte for byte.
@Suite struct VectorFileTests {
    static let fixtures = Repository.path("Tests/Fixtures/vectors")

    static func fixture(_ name: String) -> String { fixtures.appendingPathComponent(name).path }

    /// What make_fixtures.py wrote: arange(12).reshape(3, 4) * 0.5 - 1.25 and arange(15) * 7 - 3.
    static let floats = FloatMatrix(rowCount: 3, dimension: 4, values: (0..<12).map { Float($0) * 0.5 - 1.25 })
    static let ints = Int32Matrix(rowCount: 3, dimension: 5, values: (0..<15).map { Int32($0) * 7 - 3 })

    @Test(arguments: ["small.fvecs", "small_f4.npy"])
    func readsFloatsNumPyWrote(_ name: String) throws {
        let matrix = try VectorFile.readFloats(Self.fixture(name))
        #expect(matrix.rowCount == 3 && matrix.dimension == 4)
        #expect(matrix.values == Self.floats.values)
        #expect(Array(matrix.row(2)) == [2.75, 3.25, 3.75, 4.25])
    }

    @Test(arguments: ["small.ivecs", "small_i4.npy", "small_i8.npy"])
    func readsIntsNumPyWrote(_ name: String) throws {
        let matrix = try VectorFile.readInts(Self.fixture(name))
        #expect(matrix.rowCount == 3 && matrix.dimension == 5)
        #expect(matrix.values == Self.ints.values)
    }

    @Test func readsBytesAsFloatsAndOneDimensionalInts() throws {
        let bytes = try VectorFile.readFloats(Self.fixture("small.bvecs"))
        #expect(bytes.rowCount == 2 && bytes.dimension == 3)
        #expect(bytes.values == [0, 1, 255, 128, 7, 64])
        let labels = try VectorFile.readInts(Self.fixture("labels_1d_i4.npy"))
        #expect(labels.rowCount == 3 && labels.dimension == 1 && labels.values == [4, -1, 9])
    }

    @Test(arguments: [
        ("small.fvecs", "small.fvecs"), ("small_f4.npy", "out.npy"),
    ])
    func writesFloatsAsNumPyDoes(_ reference: String, _ name: String) throws {
        let directory = TemporaryDatabase()
        let path = directory.directory.appendingPathComponent(name).path
        try VectorFile.write(Self.floats, to: path)
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == Data(contentsOf: URL(fileURLWithPath: Self.fixture(reference))))
    }

    @Test(arguments: [("small.ivecs", "out.ivecs"), ("small_i4.npy", "out.npy")])
    func writesIntsAsNumPyDoes(_ reference: String, _ name: String) throws {
        let directory = TemporaryDatabase()
        let path = directory.directory.appendingPathComponent(name).path
        try VectorFile.write(Self.ints, to: path)
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == Data(contentsOf: URL(fileURLWithPath: Self.fixture(reference))))
    }

    @Test func largeRoundTripCrossesWriteChunks() throws {
        let directory = TemporaryDatabase()
        var random = SeededRandom(seed: 5)
        let matrix = FloatMatrix(rowCount: 9_000, dimension: 130, values: (0..<(9_000 * 130)).map { _ in random.unit() })
        for ext in ["fvecs", "npy"] {
            let path = directory.directory.appendingPathComponent("big.\(ext)").path
            try VectorFile.write(matrix, to: path)
            let back = try VectorFile.readFloats(path)
            #expect(back.rowCount == 9_000 && back.dimension == 130 && back.values == matrix.values)
        }
    }

    @Test(arguments: [
        ("truncated.fvecs", "truncated: 14 bytes after 2 whole records of dimension 4 (20 bytes each)"),
        ("mixed_dims.fvecs", "record 1 (byte 20) declares dimension 3, record 0 declared 4"),
        ("float64.npy", "dtype <f8 is not little-endian float32"),
        ("fortran.npy", "Fortran-ordered"),
        ("truncated.npy", "truncated: shape [3, 4] needs 48 data bytes, file has 44"),
        ("small.ivecs", "holds integers"),
        ("make_fixtures.py", "unknown extension \".py\""),
        ("missing.fvecs", "cannot read"),
    ])
    func refusesBrokenFloatFiles(_ name: String, _ message: String) {
        #expect {
            _ = try VectorFile.readFloats(Self.fixture(name))
        } throws: { error in
            "\(error)".contains(message) && "\(error)".hasPrefix(Self.fixture(name))
        }
    }

    @Test func refusesIdsBeyondInt32AndFloatFilesAsInts() {
        #expect(throws: VectorFileError.self) { try VectorFile.readInts(Self.fixture("too_wide.npy")) }
        #expect(throws: VectorFileError.self) { try VectorFile.readInts(Self.fixture("small.fvecs")) }
        #expect(throws: VectorFileError.self) { try VectorFile.readInts(Self.fixture("small_f4.npy")) }
    }

    @Test func emptyAndGarbageFilesAreErrors() throws {
        let directory = TemporaryDatabase()
        let empty = directory.directory.appendingPathComponent("empty.fvecs").path
        _ = FileManager.default.createFile(atPath: empty, contents: Data())
        #expect { try VectorFile.readFloats(empty) } throws: { "\($0)".contains("file is empty") }
        let garbage = directory.directory.appendingPathComponent("garbage.npy").path
        _ = FileManager.default.createFile(atPath: garbage, contents: Data("not numpy at all".utf8))
        #expect { try VectorFile.readFloats(garbage) } throws: { "\($0)".contains("no \\x93NUMPY magic") }
        let negative = directory.directory.appendingPathComponent("negative.fvecs").path
        _ = FileManager.default.createFile(atPath: negative, contents: Data([0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0]))
        #expect { try VectorFile.readFloats(negative) } throws: { "\($0)".contains("declares dimension -1") }
    }

    @Test func failedWriteLeavesNoFile() {
        let path = "/nonexistent-directory-\(UUID().uuidString)/out.fvecs"
        #expect(throws: VectorFileError.self) { try VectorFile.write(Self.floats, to: path) }
        #expect(!FileManager.default.fileExists(atPath: path))
    }
}
