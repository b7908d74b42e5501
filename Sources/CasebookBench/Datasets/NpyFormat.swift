import Casebook
import Foundation

/// NumPy's `.npy` format (versions 1-3): the magic `\x93NUMPY`, a version, a header length, a
/// Python dict literal `{'descr': '<f4', 'fortran_order': False, 'shape': (n, d), }` padded to
/// a multiple of 64 bytes, then the C-ordered data. Float vectors must be little-endian float32
/// (`<f4`); integer rows may be `<i4` or `<i8` (ids beyond Int32 are refused).
enum NpyFormat {
    struct Header {
        var descr: String
        var shape: [Int]
        var dataOffset: Int
    }

    static func readFloats(_ data: Data, path: String) throws(VectorFileError) -> FloatMatrix {
        let header = try parseHeader(data, path: path)
        guard header.descr == "<f4" else {
            throw VectorFileError(path: path, problem: "dtype \(header.descr) is not little-endian float32 (<f4); convert with astype('<f4')")
        }
        guard header.shape.count == 2 else {
            throw VectorFileError(path: path, problem: "shape \(header.shape) is not 2-D (vectors x dimension)")
        }
        return try copy(data, header: header, rows: header.shape[0], dimension: header.shape[1], path: path)
    }

    static func readInts(_ data: Data, path: String) throws(VectorFileError) -> Int32Matrix {
        let header = try parseHeader(data, path: path)
        guard header.shape.count == 1 || header.shape.count == 2 else {
            throw VectorFileError(path: path, problem: "shape \(header.shape) is not 1-D or 2-D")
        }
        let rows = header.shape[0]
        let dimension = header.shape.count == 2 ? header.shape[1] : 1
        switch header.descr {
        case "<i4":
            return try copy(data, header: header, rows: rows, dimension: dimension, path: path)
        case "<i8":
            let wide: VectorMatrix<Int64> = try copy(data, header: header, rows: rows, dimension: dimension, path: path)
            var narrow = [Int32](repeating: 0, count: wide.values.count)
            for (i, value) in wide.values.enumerated() {
                guard let fitted = Int32(exactly: value) else {
                    throw VectorFileError(path: path, problem: "value \(value) at element \(i) does not fit in int32")
                }
                narrow[i] = fitted
            }
            return Int32Matrix(rowCount: rows, dimension: dimension, values: narrow)
        default:
            throw VectorFileError(path: path, problem: "dtype \(header.descr) is not little-endian int32 (<i4) or int64 (<i8)")
        }
    }

    private static func copy<Scalar: Sendable>(
        _ data: Data, header: Header, rows: Int, dimension: Int, path: String
    ) throws(VectorFileError) -> VectorMatrix<Scalar> {
        let expected = rows * dimension * MemoryLayout<Scalar>.size
        let actual = data.count - header.dataOffset
        guard actual == expected else {
            throw VectorFileError(
                path: path,
                problem: actual < expected
                    ? "truncated: shape \(header.shape) needs \(expected) data bytes, file has \(actual)"
                    : "\(actual - expected) bytes after the data of shape \(header.shape)")
        }
        var values = [Scalar]()
        values.reserveCapacity(rows * dimension)
        data.withUnsafeBytes { raw in
            let source = UnsafeRawBufferPointer(rebasing: raw[header.dataOffset...])
            values = Array(unsafeUninitializedCapacity: rows * dimension) { buffer, count in
                UnsafeMutableRawBufferPointer(buffer).copyMemory(from: source)
                count = rows * dimension
            }
        }
        return VectorMatrix(rowCount: rows, dimension: dimension, values: values)
    }

    static func parseHeader(_ data: Data, path: String) throws(VectorFileError) -> Header {
        let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]  // \x93NUMPY
        guard data.count >= 10, Array(data.prefix(6)) == magic else {
            throw VectorFileError(path: path, problem: "not a .npy file (no \\x93NUMPY magic)")
        }
        let bytes = [UInt8](data.prefix(12))
        let major = bytes[6]
        let (length, start): (Int, Int)
        switch major {
        case 1: (length, start) = (Int(bytes[8]) | Int(bytes[9]) << 8, 10)
        case 2, 3:
            guard bytes.count >= 12 else { throw VectorFileError(path: path, problem: "truncated header") }
            (length, start) = (Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24, 12)
        default:
            throw VectorFileError(path: path, problem: "unsupported .npy version \(major)")
        }
        guard data.count >= start + length else {
            throw VectorFileError(path: path, problem: "truncated header (declares \(length) bytes)")
        }
        let text = String(decoding: data[(data.startIndex + start)..<(data.startIndex + start + length)], as: UTF8.self)
        guard let descr = quotedValue(of: "descr", in: text) else {
            throw VectorFileError(path: path, problem: "header has no 'descr': \(text)")
        }
        guard let fortran = rawValue(of: "fortran_order", in: text), fortran.hasPrefix("False") else {
            throw VectorFileError(path: path, problem: "Fortran-ordered or unreadable 'fortran_order'; save a C-ordered array")
        }
        guard let shape = shapeValue(in: text) else {
            throw VectorFileError(path: path, problem: "header has no readable 'shape': \(text)")
        }
        return Header(descr: descr, shape: shape, dataOffset: start + length)
    }

    /// The text after `'key':`, trimmed.
    private static func rawValue(of key: String, in text: String) -> Substring? {
        guard let range = text.range(of: "'\(key)':") else { return nil }
        return text[range.upperBound...].drop { $0 == " " }
    }

    private static func quotedValue(of key: String, in text: String) -> String? {
        guard let value = rawValue(of: key, in: text), let quote = value.first, quote == "'" || quote == "\"" else {
            return nil
        }
        let body = value.dropFirst()
        guard let end = body.firstIndex(of: quote) else { return nil }
        return String(body[..<end])
    }

    private static func shapeValue(in text: String) -> [Int]? {
        guard let value = rawValue(of: "shape", in: text), value.first == "(",
              let end = value.firstIndex(of: ")") else { return nil }
        let parts = value[value.index(after: value.startIndex)..<end]
            .split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        let dims = parts.compactMap { Int($0) }
        guard dims.count == parts.count, !dims.isEmpty, dims.allSatisfy({ $0 >= 0 }) else { return nil }
        return dims
    }

    static func write<Scalar: Sendable>(
        _ matrix: VectorMatrix<Scalar>, descr: String, to handle: FileHandle, path: String
    ) throws(VectorFileError) {
        var dict = "{'descr': '\(descr)', 'fortran_order': False, 'shape': (\(matrix.rowCount), \(matrix.dimension)), }"
        // Pad with spaces so that magic + version + length + header is a multiple of 64, ending in \n.
        let unpadded = 10 + dict.utf8.count + 1
        dict += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"
        let length = dict.utf8.count
        var header: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0, UInt8(length & 0xFF), UInt8(length >> 8)]
        header += Array(dict.utf8)
        try VectorFile.append(header, to: handle, path: path)
        let chunkBytes = 1 << 22
        let total = matrix.values.count * MemoryLayout<Scalar>.size
        for start in stride(from: 0, to: total, by: chunkBytes) {
            let chunk = matrix.values.withUnsafeBytes { Array($0[start..<min(total, start + chunkBytes)]) }
            try VectorFile.append(chunk, to: handle, path: path)
        }
    }
}
