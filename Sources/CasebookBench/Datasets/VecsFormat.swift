import Casebook
import Foundation

#if _endian(big)
#error("vector files are little-endian; this reader copies them as they are")
#endif

/// `.fvecs` / `.ivecs` / `.bvecs`: each record is a little-endian int32 dimension d followed by d
/// scalars (float32, int32 or uint8). Every record must have the same d.
enum VecsFormat {
    static func read<Scalar: BinaryFloatingPointOrInt32>(
        _ data: Data, path: String, scalar: Scalar.Type
    ) throws(VectorFileError) -> VectorMatrix<Scalar> {
        let (rows, dimension) = try layout(data, path: path, scalarSize: 4)
        var values = [Scalar](repeating: .zero, count: rows * dimension)
        let recordSize = 4 + dimension * 4
        data.withUnsafeBytes { raw in
            values.withUnsafeMutableBytes { out in
                for row in 0..<rows {
                    let source = UnsafeRawBufferPointer(rebasing: raw[(row * recordSize + 4)..<((row + 1) * recordSize)])
                    UnsafeMutableRawBufferPointer(rebasing: out[(row * dimension * 4)...]).copyMemory(from: source)
                }
            }
        }
        return VectorMatrix(rowCount: rows, dimension: dimension, values: values)
    }

    static func readBytes(_ data: Data, path: String) throws(VectorFileError) -> FloatMatrix {
        let (rows, dimension) = try layout(data, path: path, scalarSize: 1)
        var values = [Float](repeating: 0, count: rows * dimension)
        let recordSize = 4 + dimension
        data.withUnsafeBytes { raw in
            values.withUnsafeMutableBufferPointer { out in
                for row in 0..<rows {
                    let base = row * recordSize + 4
                    for j in 0..<dimension { out[row * dimension + j] = Float(raw[base + j]) }
                }
            }
        }
        return FloatMatrix(rowCount: rows, dimension: dimension, values: values)
    }

    /// Rows and dimension, after checking every record's header and the file's length.
    private static func layout(_ data: Data, path: String, scalarSize: Int) throws(VectorFileError) -> (Int, Int) {
        guard data.count >= 4 else {
            throw VectorFileError(path: path, problem: data.isEmpty ? "file is empty" : "file is shorter than one record header")
        }
        let problem: String? = data.withUnsafeBytes { raw in
            let dimension = Int(raw.loadUnaligned(as: Int32.self))
            guard dimension > 0, dimension <= 1 << 20 else { return "record 0 declares dimension \(dimension)" }
            let recordSize = 4 + dimension * scalarSize
            var offset = 0, row = 0
            while offset < raw.count {
                guard offset + 4 <= raw.count else {
                    return "truncated: \(raw.count - offset) bytes after \(row) whole records of dimension \(dimension) (\(recordSize) bytes each)"
                }
                let declared = Int(raw.loadUnaligned(fromByteOffset: offset, as: Int32.self))
                if declared != dimension {
                    return "record \(row) (byte \(offset)) declares dimension \(declared), record 0 declared \(dimension)"
                }
                guard offset + recordSize <= raw.count else {
                    return "truncated: \(raw.count - offset) bytes after \(row) whole records of dimension \(dimension) (\(recordSize) bytes each)"
                }
                offset += recordSize
                row += 1
            }
            return nil
        }
        if let problem { throw VectorFileError(path: path, problem: problem) }
        let dimension = data.withUnsafeBytes { Int($0.loadUnaligned(as: Int32.self)) }
        return (data.count / (4 + dimension * scalarSize), dimension)
    }

    static func write<Scalar: BinaryFloatingPointOrInt32>(
        _ matrix: VectorMatrix<Scalar>, to handle: FileHandle, path: String
    ) throws(VectorFileError) {
        let d = matrix.dimension
        let recordSize = 4 + d * 4
        let rowsPerChunk = max(1, (1 << 22) / recordSize)
        var chunk = [UInt8]()
        for start in stride(from: 0, to: matrix.rowCount, by: rowsPerChunk) {
            let end = min(matrix.rowCount, start + rowsPerChunk)
            chunk.removeAll(keepingCapacity: true)
            chunk.reserveCapacity((end - start) * recordSize)
            matrix.values.withUnsafeBytes { values in
                for row in start..<end {
                    withUnsafeBytes(of: Int32(d).littleEndian) { chunk.append(contentsOf: $0) }
                    chunk.append(contentsOf: values[(row * d * 4)..<((row + 1) * d * 4)])
                }
            }
            try VectorFile.append(chunk, to: handle, path: path)
        }
    }
}

/// The 4-byte scalars a `.fvecs` or `.ivecs` record holds.
protocol BinaryFloatingPointOrInt32: Sendable {
    static var zero: Self { get }
}

extension Float: BinaryFloatingPointOrInt32 {}
extension Int32: BinaryFloatingPointOrInt32 {}
