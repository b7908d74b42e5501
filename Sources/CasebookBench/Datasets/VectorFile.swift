import Casebook
import Foundation

/// Reading and writing the vector files of ANN benchmarks (`.fvecs`, `.ivecs`, `.bvecs`, as
/// distributed with SIFT/GIST) and NumPy `.npy` arrays. The format follows the file's extension.
///
/// Reads map the file and copy each record once; every inconsistency (a short record, a dimension
/// that changes between records, a header NumPy would not write) is an error naming the place.
/// Writes go to a temporary file renamed into place, so a failed write leaves no partial file.
public enum VectorFile {
    public enum Format: String, Sendable, CaseIterable {
        case fvecs, ivecs, bvecs, npy

        /// The format of a path, from its extension.
        public init(path: String) throws(VectorFileError) {
            let ext = (path as NSString).pathExtension.lowercased()
            guard let format = Format(rawValue: ext) else {
                throw VectorFileError(
                    path: path, problem: "unknown extension \".\(ext)\" (expected .fvecs, .ivecs, .bvecs or .npy)")
            }
            self = format
        }
    }

    /// Float vectors from `.fvecs`, `.bvecs` (bytes widened to floats) or a float32 `.npy`.
    public static func readFloats(_ path: String) throws(VectorFileError) -> FloatMatrix {
        let format = try Format(path: path)
        let bytes = try mapped(path)
        switch format {
        case .fvecs: return try VecsFormat.read(bytes, path: path, scalar: Float.self)
        case .bvecs: return try VecsFormat.readBytes(bytes, path: path)
        case .npy: return try NpyFormat.readFloats(bytes, path: path)
        case .ivecs:
            throw VectorFileError(path: path, problem: ".ivecs holds integers; expected float vectors")
        }
    }

    /// Integer rows (neighbour ids) from `.ivecs` or an int32/int64 `.npy`.
    public static func readInts(_ path: String) throws(VectorFileError) -> Int32Matrix {
        let format = try Format(path: path)
        let bytes = try mapped(path)
        switch format {
        case .ivecs: return try VecsFormat.read(bytes, path: path, scalar: Int32.self)
        case .npy: return try NpyFormat.readInts(bytes, path: path)
        case .fvecs, .bvecs:
            throw VectorFileError(path: path, problem: ".\(format.rawValue) holds vectors; expected integer rows")
        }
    }

    /// Writes float vectors as `.fvecs` or float32 `.npy`.
    public static func write(_ matrix: FloatMatrix, to path: String) throws(VectorFileError) {
        switch try Format(path: path) {
        case .fvecs: try replace(path) { (handle) throws(VectorFileError) in try VecsFormat.write(matrix, to: handle, path: path) }
        case .npy: try replace(path) { (handle) throws(VectorFileError) in try NpyFormat.write(matrix, descr: "<f4", to: handle, path: path) }
        case .ivecs, .bvecs:
            throw VectorFileError(path: path, problem: "float vectors are written as .fvecs or .npy")
        }
    }

    /// Writes integer rows as `.ivecs` or int32 `.npy`.
    public static func write(_ matrix: Int32Matrix, to path: String) throws(VectorFileError) {
        switch try Format(path: path) {
        case .ivecs: try replace(path) { (handle) throws(VectorFileError) in try VecsFormat.write(matrix, to: handle, path: path) }
        case .npy: try replace(path) { (handle) throws(VectorFileError) in try NpyFormat.write(matrix, descr: "<i4", to: handle, path: path) }
        case .fvecs, .bvecs:
            throw VectorFileError(path: path, problem: "integer rows are written as .ivecs or .npy")
        }
    }

    static func mapped(_ path: String) throws(VectorFileError) -> Data {
        do {
            return try Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped)
        } catch {
            throw VectorFileError(path: path, problem: "cannot read: \(error.localizedDescription)")
        }
    }

    /// Runs `body` on a handle to a temporary sibling of `path`, then renames it over `path`.
    static func replace(_ path: String, _ body: (FileHandle) throws(VectorFileError) -> Void) throws(VectorFileError) {
        let temporary = path + ".partial-\(ProcessInfo.processInfo.processIdentifier)"
        guard FileManager.default.createFile(atPath: temporary, contents: nil) else {
            throw VectorFileError(path: path, problem: "cannot create \(temporary)")
        }
        var renamed = false
        defer { if !renamed { try? FileManager.default.removeItem(atPath: temporary) } }
        do {
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: temporary))
            do throws(VectorFileError) {
                try body(handle)
            } catch {
                try? handle.close()
                throw error
            }
            try handle.synchronize()
            try handle.close()
            if rename(temporary, path) != 0 {
                throw VectorFileError(path: path, problem: "cannot rename into place: \(String(cString: strerror(errno)))")
            }
            renamed = true
        } catch let error as VectorFileError {
            throw error
        } catch {
            throw VectorFileError(path: path, problem: "cannot write: \(error.localizedDescription)")
        }
    }

    /// Writes bytes to a handle, translating the error.
    static func append(_ bytes: [UInt8], to handle: FileHandle, path: String) throws(VectorFileError) {
        do {
            try handle.write(contentsOf: bytes)
        } catch {
            throw VectorFileError(path: path, problem: "cannot write: \(error.localizedDescription)")
        }
    }
}
