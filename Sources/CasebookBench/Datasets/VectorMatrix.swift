import Casebook
/// A dense row-major matrix read from or written to a vector file: `rowCount` rows of `dimension`
/// scalars each, stored contiguously.
public struct VectorMatrix<Scalar: Sendable>: Sendable {
    public var rowCount: Int
    public var dimension: Int
    /// rowCount · dimension scalars, row after row.
    public var values: [Scalar]

    public init(rowCount: Int, dimension: Int, values: [Scalar]) {
        precondition(values.count == rowCount * dimension, "values must hold rowCount x dimension scalars")
        self.rowCount = rowCount
        self.dimension = dimension
        self.values = values
    }

    public func row(_ index: Int) -> ArraySlice<Scalar> {
        values[(index * dimension)..<((index + 1) * dimension)]
    }

    /// The first `count` rows (all when fewer).
    public func prefix(_ count: Int) -> VectorMatrix {
        let rows = min(count, rowCount)
        return VectorMatrix(rowCount: rows, dimension: dimension, values: Array(values.prefix(rows * dimension)))
    }
}

public typealias FloatMatrix = VectorMatrix<Float>
public typealias Int32Matrix = VectorMatrix<Int32>

/// Why a vector file could not be read or written, naming the file and the place.
public struct VectorFileError: Error, CustomStringConvertible, Sendable, Equatable {
    public var path: String
    public var problem: String

    public init(path: String, problem: String) {
        self.path = path
        self.problem = problem
    }

    public var description: String { "\(path): \(problem)" }
}
