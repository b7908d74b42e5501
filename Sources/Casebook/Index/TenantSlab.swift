import CasebookKernels

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// One tenant's rows in one index: vectors in one contiguous row-major float32 block, plus the
/// per-row key, id and filterable attributes as parallel arrays (struct of arrays, so a filter
/// check touches only the column it needs).
///
/// Removal moves the last row into the hole: row numbers are not stable across removals, ids are.
///
/// An IVF list slab may also keep its vectors in half precision (``keepsHalves``): scanning those
/// reads half the bytes, and `HalfScan` re-scores in float32 every row an error bound cannot rule
/// out, so answers stay exact. A flat slab may keep int8 codes (``keepsCodes``) for `CodedScan`,
/// which reads a quarter of the bytes the same way. A coded slab may then let its float32 rows go
/// (``dropFloats()``): the few rows a scan re-scores are read back from the store by key.
struct TenantSlab: Sendable {
    let dimension: Int
    /// The float32 rows, row-major; empty once ``keepsFloats`` is false.
    private(set) var vectors = FloatStorage()
    /// Whether ``vectors`` holds the rows (false: only ``codes`` do).
    private(set) var keepsFloats = true
    /// ‖x‖² per row, kept only for L2 (the batched path expands ‖q − x‖²).
    private(set) var squaredNorms: [Float] = []
    private(set) var keys: [Int64] = []
    private(set) var ids: [PrecedentID] = []
    /// Per row, the codes of its filterable text values (``AttributeVocabulary/textWidth`` each).
    private(set) var textCodes: [Int32] = []
    private(set) var successes: [Int8] = []
    private(set) var createdAts: [Double] = []
    private(set) var tags: [[Int32]] = []
    private var rowOfID: [PrecedentID: Int32] = [:]
    let keepsNorms: Bool
    /// Whether ``halves`` mirrors ``vectors``.
    let keepsHalves: Bool
    /// The vectors in IEEE half precision, row-major (only when ``keepsHalves``).
    private(set) var halves: [UInt16] = []
    /// At least the largest ‖x‖ of any row (not lowered by removals): the half scan's error bound.
    private(set) var maxNorm: Float = 0
    /// False once a value beyond half precision's range was stored: the half copy is then unusable.
    private(set) var halvesInRange = true
    /// Whether ``codes`` mirrors ``vectors``.
    let keepsCodes: Bool
    /// The vectors as int8 codes with one scale per row (`cb_quantize_i8`), row-major.
    private(set) var codes: [Int8] = []
    private(set) var codeScales: [Float] = []
    /// ‖x‖ and ‖x − scale·code‖ per row, computed in double and rounded up: the coded scan's bound.
    private(set) var codeNorms: [Float] = []
    private(set) var codeErrors: [Float] = []
    /// False once a row too large for its codes' scores was stored (``CodedCentroids/largestNorm``).
    private(set) var codesInRange = true

    init(dimension: Int, keepsNorms: Bool, keepsHalves: Bool = false, keepsCodes: Bool = false) {
        self.dimension = dimension
        self.keepsNorms = keepsNorms
        self.keepsHalves = keepsHalves
        self.keepsCodes = keepsCodes
    }

    /// Whether a scan may read ``codes``.
    var hasUsableCodes: Bool { keepsCodes && codesInRange }

    /// Whether a scan may read ``halves``.
    var hasUsableHalves: Bool { keepsHalves && halvesInRange }

    var count: Int { keys.count }

    func row(of id: PrecedentID) -> Int32? { rowOfID[id] }

    /// Rows whose outcome is known, and those of them that succeeded.
    var outcomeCounts: OutcomeCounts {
        var counts = OutcomeCounts()
        for success in successes where success >= 0 {
            counts.known += 1
            counts.successful += Int(success)
        }
        return counts
    }

    /// Makes room for `extra` more rows, growing geometrically: reserving the exact size on every
    /// batch would reallocate and copy the whole slab each time.
    mutating func reserve(_ extra: Int) {
        let needed = count + extra
        guard keys.capacity < needed else { return }
        let rows = max(needed, keys.capacity * 2)
        if keepsFloats { vectors.reserveCapacity(rows * dimension) }
        keys.reserveCapacity(rows)
        ids.reserveCapacity(rows)
        textCodes.reserveCapacity(rows * AttributeVocabulary.textWidth)
        successes.reserveCapacity(rows)
        createdAts.reserveCapacity(rows)
        tags.reserveCapacity(rows)
        rowOfID.reserveCapacity(rows)
        if keepsNorms { squaredNorms.reserveCapacity(rows) }
        if keepsHalves { halves.reserveCapacity(rows * dimension) }
        if keepsCodes {
            codes.reserveCapacity(rows * dimension)
            codeScales.reserveCapacity(rows)
            codeNorms.reserveCapacity(rows)
            codeErrors.reserveCapacity(rows)
        }
    }

    /// Appends a row. `vector` nil means the caller already appended it with
    /// ``appendVector(storedBytes:)`` (loading decodes straight into the slab).
    mutating func append(
        vector: [Float]?, key: Int64, id: PrecedentID, texts: some Collection<Int32>, success: Int8,
        createdAt: Double, tags rowTags: [Int32]
    ) {
        if let vector, !keepsFloats {
            vector.withUnsafeBufferPointer {
                append(codedRow: $0.baseAddress!, key: key, id: id, texts: texts, success: success, createdAt: createdAt, tags: rowTags)
            }
            return
        }
        if let vector { vectors.append(contentsOf: vector) }
        let row = appendAttributes(key: key, id: id, texts: texts, success: success, createdAt: createdAt, tags: rowTags)
        if keepsNorms { squaredNorms.append(norm(ofRow: row)) }
        if keepsHalves { appendHalves(ofRow: row) }
        if keepsCodes {
            // Copied out first: coding writes to `self` while the row would be read from it.
            withUnsafeTemporaryAllocation(of: Float.self, capacity: dimension) { copy in
                vectors.withUnsafeBufferPointer {
                    copy.baseAddress!.update(from: $0.baseAddress! + row * dimension, count: dimension)
                }
                appendCodes(of: copy.baseAddress!)
            }
        }
    }

    /// Appends a row of a slab without float32 rows: only its codes are kept of `vector`.
    mutating func append(
        codedRow vector: UnsafePointer<Float>, key: Int64, id: PrecedentID, texts: some Collection<Int32>,
        success: Int8, createdAt: Double, tags rowTags: [Int32]
    ) {
        precondition(!keepsFloats, "a slab keeping float32 rows appends them")
        appendAttributes(key: key, id: id, texts: texts, success: success, createdAt: createdAt, tags: rowTags)
        appendCodes(of: vector)
    }

    /// Appends a row's key, id and filterable fields; returns its row number.
    @discardableResult
    private mutating func appendAttributes(
        key: Int64, id: PrecedentID, texts: some Collection<Int32>, success: Int8, createdAt: Double, tags rowTags: [Int32]
    ) -> Int {
        let row = count
        keys.append(key)
        ids.append(id)
        textCodes.append(contentsOf: texts)
        successes.append(success)
        createdAts.append(createdAt)
        tags.append(rowTags)
        rowOfID[id] = Int32(row)
        return row
    }

    /// Appends the next row's vector from a stored BLOB (either ``VectorBlob`` layout); false when it is neither.
    mutating func appendVector(storedBytes bytes: UnsafeRawBufferPointer) -> Bool {
        vectors.appendStored(bytes, dimension: dimension)
    }

    /// Lets the float32 rows go: scans read the codes, and the rows they re-score come from the
    /// store. Only a slab whose codes can serve every scan may (cosine or inner product, codes in range).
    mutating func dropFloats() {
        precondition(hasUsableCodes && !keepsNorms && !keepsHalves, "dropping float32 rows the scans need")
        vectors = FloatStorage()
        keepsFloats = false
    }

    /// Takes the float32 rows back (an IVF index adopting the slab): `rows` holds every row, in row order.
    mutating func restoreFloats(_ rows: FloatStorage) {
        precondition(rows.count == count * dimension, "restoring float32 rows of another slab")
        vectors = rows
        keepsFloats = true
    }

    mutating func replace(
        row: Int, vector: [Float], texts: [Int32], success: Int8, createdAt: Double,
        tags rowTags: [Int32]
    ) {
        if keepsFloats { vectors.replace(at: row * dimension, with: vector) }
        let width = AttributeVocabulary.textWidth
        textCodes.replaceSubrange(row * width..<(row + 1) * width, with: texts)
        successes[row] = success
        createdAts[row] = createdAt
        tags[row] = rowTags
        if keepsNorms { squaredNorms[row] = norm(ofRow: row) }
        if keepsHalves { storeHalves(ofRow: row) }
        if keepsCodes { vector.withUnsafeBufferPointer { storeCodes(ofRow: row, from: $0.baseAddress!) } }
    }

    mutating func remove(row: Int) {
        let last = count - 1
        rowOfID[ids[row]] = nil
        if row != last {
            if keepsFloats { vectors.move(from: last * dimension, to: row * dimension, count: dimension) }
            keys[row] = keys[last]
            ids[row] = ids[last]
            let width = AttributeVocabulary.textWidth
            for j in 0..<width { textCodes[row * width + j] = textCodes[last * width + j] }
            successes[row] = successes[last]
            createdAts[row] = createdAts[last]
            tags[row] = tags[last]
            if keepsNorms { squaredNorms[row] = squaredNorms[last] }
            if keepsHalves {
                for j in 0..<dimension { halves[row * dimension + j] = halves[last * dimension + j] }
            }
            if keepsCodes {
                for j in 0..<dimension { codes[row * dimension + j] = codes[last * dimension + j] }
                codeScales[row] = codeScales[last]
                codeNorms[row] = codeNorms[last]
                codeErrors[row] = codeErrors[last]
            }
            rowOfID[ids[row]] = Int32(row)
        }
        if keepsFloats { vectors.removeLast(dimension) }
        keys.removeLast()
        ids.removeLast()
        textCodes.removeLast(AttributeVocabulary.textWidth)
        successes.removeLast()
        createdAts.removeLast()
        tags.removeLast()
        if keepsNorms { squaredNorms.removeLast() }
        if keepsHalves { halves.removeLast(dimension) }
        if keepsCodes {
            codes.removeLast(dimension)
            codeScales.removeLast()
            codeNorms.removeLast()
            codeErrors.removeLast()
        }
    }

    /// Appends the int8 codes of the last row (coded straight into the arrays' new tails).
    private mutating func appendCodes(of vector: UnsafePointer<Float>) {
        codes.append(contentsOf: repeatElement(0, count: dimension))
        codeScales.append(0)
        codeNorms.append(0)
        codeErrors.append(0)
        storeCodes(ofRow: codeScales.count - 1, from: vector)
    }

    /// Whether `vector` codes to the row's codes and scale (the coder is deterministic, so the
    /// vector the codes were made from does). `scratch` holds `dimension` codes.
    func codesMatch(row: Int, vector: UnsafePointer<Float>, scratch: UnsafeMutablePointer<Int8>) -> Bool {
        let d = dimension
        var norm = 0.0, error = 0.0
        let scale = cb_quantize_i8(vector, d, scratch, &norm, &error)
        guard scale.bitPattern == codeScales[row].bitPattern else { return false }
        return codes.withUnsafeBufferPointer { memcmp($0.baseAddress! + row * d, scratch, d) == 0 }
    }

    /// Codes a row in place, with its norm and coding error rounded up.
    private mutating func storeCodes(ofRow row: Int, from vector: UnsafePointer<Float>) {
        let d = dimension
        var norm = 0.0, error = 0.0
        let scale = codes.withUnsafeMutableBufferPointer { codes in
            cb_quantize_i8(vector, d, codes.baseAddress! + row * d, &norm, &error)
        }
        codeScales[row] = scale
        codeNorms[row] = CodeErrorBound.roundedUp(norm)
        codeErrors[row] = CodeErrorBound.roundedUp(error)
        if !(norm <= CodedCentroids.largestNorm) || !(error <= CodedCentroids.largestNorm) { codesInRange = false }
    }

    /// Appends the half-precision copy of the last row (converted straight into the array's new
    /// tail, no zero-fill first).
    private mutating func appendHalves(ofRow row: Int) {
        let d = dimension
        var inRange = true
        vectors.withUnsafeBufferPointer { values in
            withUnsafeTemporaryAllocation(of: UInt16.self, capacity: d) { converted in
                inRange = cb_to_half(values.baseAddress! + row * d, d, converted.baseAddress!)
                halves.append(contentsOf: UnsafeBufferPointer(converted))
            }
        }
        noteHalves(ofRow: row, inRange: inRange)
    }

    /// Rewrites a row's half-precision copy in place (an update).
    private mutating func storeHalves(ofRow row: Int) {
        let d = dimension
        var inRange = true
        vectors.withUnsafeBufferPointer { values in
            halves.withUnsafeMutableBufferPointer { halves in
                inRange = cb_to_half(values.baseAddress! + row * d, d, halves.baseAddress! + row * d)
            }
        }
        noteHalves(ofRow: row, inRange: inRange)
    }

    /// Widens ``maxNorm`` for a row just copied, and retires the copy if it could not hold it.
    private mutating func noteHalves(ofRow row: Int, inRange: Bool) {
        let norm = self.norm(ofRow: row).squareRoot()
        maxNorm = max(maxNorm, norm)
        if !inRange || !norm.isFinite { halvesInRange = false }
    }

    private func norm(ofRow row: Int) -> Float {
        vectors.withUnsafeBufferPointer {
            ScanKernel.squaredNorm($0.baseAddress! + row * dimension, dimension: dimension)
        }
    }

    /// Checks the parallel arrays agree (tests call it after every mutation).
    func _checkInvariants() -> Bool {
        let n = count
        guard vectors.count == (keepsFloats ? n * dimension : 0), ids.count == n, textCodes.count == n * AttributeVocabulary.textWidth,
            !keepsHalves || halves.count == n * dimension,
            !keepsCodes || (codes.count == n * dimension && codeScales.count == n && codeNorms.count == n && codeErrors.count == n),
            successes.count == n, createdAts.count == n, tags.count == n, rowOfID.count == n,
            !keepsNorms || squaredNorms.count == n
        else { return false }
        for (row, id) in ids.enumerated() where rowOfID[id] != Int32(row) { return false }
        return true
    }
}
