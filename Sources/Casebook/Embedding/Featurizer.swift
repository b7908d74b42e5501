/// Extracts the `hashed-v1` features of one document or query at a time and turns them into a
/// vector. Reusable: `reset()` keeps every buffer, so a loop over documents allocates little more
/// than the output vectors.
///
/// Each feature is the MurmurHash3 of `"<namespace>:<token>"`. Features are accumulated in the
/// order they are met — text in reading order, then context keys sorted, tags, category — so equal
/// input always gives equal bits, whatever the key order of the JSON object.
struct Featurizer {
    let parameters: HashedNGramParameters
    /// Whether the table keeps each token's text (explanations, `casebook embed`).
    let recordsTokens: Bool
    let table: FeatureTable

    private let token = TokenBuffer()
    /// MurmurHash3 states after "word" and "char", read once rather than through a lazy global
    /// on every feature.
    private let wordState = FeatureNamespace.word.prefixState
    private let charState = FeatureNamespace.char.prefixState
    private let padded = TokenBuffer()
    private var textBuffer: [UInt8] = []
    private let textBytes = ScratchBuffer<UInt8>()
    private let bounds = ScratchBuffer<Int>()
    private let gramKeys = ScratchBuffer<UInt64>()
    private var wordBounds: [Int] = []

    /// hashed-v2's numeric scales (nil: hashed-v1).
    let scales: ScaleTable?
    /// The scales of the tenant whose precedent or query is being added.
    private var tenantScales: [UInt32: NumericScale]?
    /// That tenant's field weights (nil: every field weighs 1), and the weight of the context
    /// field being added, which multiplies each of its features.
    private var tenantWeights: ScaleTable.FieldWeightTable?
    private var fieldWeight = 1.0

    init(parameters: HashedNGramParameters, scales: ScaleTable? = nil, recordsTokens: Bool = false) {
        self.parameters = parameters
        self.scales = scales
        self.recordsTokens = recordsTokens
        table = FeatureTable(recordsTokens: recordsTokens)
    }

    func reset() { table.removeAll() }

    /// What a precedent is embedded from: text, context, tags and category (never its outcome).
    mutating func add(_ precedent: Precedent) {
        tenantScales = scales?.fields(of: precedent.tenant)
        tenantWeights = scales?.fieldWeights(of: precedent.tenant)
        if let text = precedent.text { addText(text) }
        addContext(precedent.context)
        for tag in precedent.tags { addLabel(tag, namespace: .tag) }
        if let category = precedent.category { addLabel(category, namespace: .category) }
    }

    mutating func add(_ query: QueryInput) {
        tenantScales = scales?.fields(of: query.tenant)
        tenantWeights = scales?.fieldWeights(of: query.tenant)
        if let text = query.text { addText(text) }
        if let context = query.context { addContext(context) }
    }

    // MARK: Free text

    mutating func addText(_ text: String) {
        normalizeAndSplit(text)
        let words = bounds.count / 2
        let wordRange = parameters.wordNgrams[0]...parameters.wordNgrams[1]
        let charRange = parameters.charNgrams[0]...parameters.charNgrams[1]
        let base = UnsafePointer(textBytes.base)
        let bounds = UnsafePointer(self.bounds.base)
        addWordNgrams(base, bounds, words: words, lengths: wordRange)
        for w in 0..<words {
            let start = bounds[2 * w]
            addCharNgrams(base + start, bounds[2 * w + 1] - start, lengths: charRange)
        }
    }

    /// Whether the words `first..<first+n` are separated by single spaces, so that the n-gram is
    /// one run of the normalised text.
    @inline(__always)
    private static func isContiguous(_ bounds: UnsafePointer<Int>, first: Int, n: Int) -> Bool {
        for j in 1..<n where bounds[2 * (first + j)] != bounds[2 * (first + j) - 1] + 1 { return false }
        return true
    }

    /// Word n-grams, all hashed before any is added (the hashes overlap in the processor). An
    /// n-gram whose words are separated by single spaces is already one run of the normalised
    /// text and is hashed where it lies; others are assembled in the token buffer.
    private func addWordNgrams(
        _ base: UnsafePointer<UInt8>, _ bounds: UnsafePointer<Int>, words: Int, lengths: ClosedRange<Int>
    ) {
        let total = lengths.reduce(0) { $0 + max(0, words - $1 + 1) }
        let keys = gramKeys.emptied(room: total)
        var texts: [String] = []
        var k = 0
        for n in lengths where n <= words {
            for first in 0...(words - n) {
                let start = bounds[2 * first]
                let length = bounds[2 * (first + n - 1) + 1] - start
                let hash: UInt32
                if length >= 3, Self.isContiguous(bounds, first: first, n: n) {
                    hash = directHash(wordState, base + start, length)
                    if recordsTokens {
                        texts.append(String(decoding: UnsafeBufferPointer(start: base + start, count: length), as: UTF8.self))
                    }
                } else {
                    token.begin(.word)
                    for j in 0..<n {
                        if j > 0 { token.append(0x20) }
                        let start = bounds[2 * (first + j)]
                        token.append(base + start, bounds[2 * (first + j) + 1] - start)
                    }
                    hash = token.hash
                    if recordsTokens { texts.append(token.token) }
                }
                keys[k] = FeatureTable.key(.word, hash)
                k += 1
            }
        }
        for i in 0..<k { table.add(keys[i], weight: 1, token: recordsTokens ? texts[i] : nil) }
    }

    /// Fills `textBytes` with the normalised text (plus 4 bytes of slack for `emitDirect`'s
    /// loads) and `bounds` with its words. ASCII text, the common case, is normalised and split
    /// in one pass that gives exactly what `TextNormalizer` and `WordSplitter` give.
    private mutating func normalizeAndSplit(_ text: String) {
        textBytes.removeAll()
        bounds.removeAll()
        var text = text
        let handled = text.withUTF8 { source -> Bool in
            for byte in source where byte >= 0x80 { return false }
            textBytes.reserve(source.count + 4)
            bounds.reserve(source.count + 2)
            // Local cursors: a byte store through a pointer may alias any memory, so counters kept
            // in the buffers' objects would be reloaded after every byte.
            let out = textBytes.base
            let marks = bounds.base
            var written = 0
            var marked = 0
            var pendingSpace = false
            var wordStart = -1
            for var byte in source {
                if TextNormalizer.isASCIIWhitespace(byte) {
                    pendingSpace = written > 0
                    if wordStart >= 0 {
                        marks[marked] = wordStart
                        marks[marked + 1] = written
                        marked += 2
                        wordStart = -1
                    }
                    continue
                }
                if pendingSpace {
                    out[written] = 0x20
                    written += 1
                    pendingSpace = false
                }
                if (0x41...0x5A).contains(byte) { byte |= 0x20 }
                if (0x61...0x7A).contains(byte) || (0x30...0x39).contains(byte) {
                    if wordStart < 0 { wordStart = written }
                } else if wordStart >= 0 {
                    marks[marked] = wordStart
                    marks[marked + 1] = written
                    marked += 2
                    wordStart = -1
                }
                out[written] = byte
                written += 1
            }
            if wordStart >= 0 {
                marks[marked] = wordStart
                marks[marked + 1] = written
                marked += 2
            }
            for i in 0..<4 { out[written + i] = 0 }
            textBytes.setCount(written + 4)
            bounds.setCount(marked)
            return true
        }
        guard !handled else { return }
        textBuffer.removeAll(keepingCapacity: true)
        TextNormalizer.normalize(text, into: &textBuffer)
        WordSplitter.split(textBuffer, into: &wordBounds)
        textBuffer.append(contentsOf: [0, 0, 0, 0] as [UInt8])
        textBuffer.withUnsafeBufferPointer { textBytes.append(contentsOf: $0) }
        wordBounds.withUnsafeBufferPointer { bounds.append(contentsOf: $0) }
    }

    /// Character n-grams of `<word>`, counted in Unicode scalars.
    private func addCharNgrams(_ word: UnsafePointer<UInt8>, _ length: Int, lengths: ClosedRange<Int>) {
        padded.begin(.char)
        let start = padded.count
        padded.append(0x3C)
        padded.append(word, length)
        padded.append(0x3E)
        for _ in 0..<4 { padded.append(0) }  // slack for emitDirect's 4-byte loads
        let bytes = padded.base + start
        let paddedLength = length + 2
        var isASCII = true
        for i in 0..<length where word[i] >= 0x80 { isASCII = false; break }
        if isASCII, lengths.lowerBound >= 3 {
            // All hashes first, then all inserts: the hashes are independent, so the processor
            // overlaps them instead of waiting on each one's multiply chain before its probe.
            let grams = lengths.reduce(0) { $0 + max(0, paddedLength - $1 + 1) }
            let keys = gramKeys.emptied(room: grams)
            var k = 0
            for n in lengths where n <= paddedLength {
                for first in 0...(paddedLength - n) {
                    keys[k] = FeatureTable.key(.char, directHash(charState, bytes + first, n))
                    k += 1
                }
            }
            for i in 0..<k { table.add(keys[i], weight: 1, token: recordsTokens ? Self.text(bytes, paddedLength, at: i, lengths) : nil) }
            return
        }
        // Rare (non-ASCII words): a small array of scalar offsets.
        var scalarStarts: [Int] = []
        for offset in 0..<paddedLength where bytes[offset] & 0xC0 != 0x80 { scalarStarts.append(offset) }
        scalarStarts.append(paddedLength)
        let scalars = scalarStarts.count - 1
        for n in lengths where n <= scalars {
            for first in 0...(scalars - n) {
                emitDirect(.char, bytes + scalarStarts[first], scalarStarts[first + n] - scalarStarts[first])
            }
        }
    }

    // MARK: Structured context

    mutating func addContext(_ context: [String: JSONValue]) {
        var path: [UInt8] = []
        addMembers(context, path: &path)
    }

    /// Members in the order of their normalised keys (then the original keys, for keys that
    /// normalise alike), so the object's key order never matters.
    private mutating func addMembers(_ members: [String: JSONValue], path: inout [UInt8]) {
        let ordered = members.map { (key: TextNormalizer.normalizedBytes($0.key), original: $0.key, value: $0.value) }
            .sorted { a, b in
                a.key.lexicographicallyPrecedes(b.key) || (a.key == b.key && a.original < b.original)
            }
        for member in ordered {
            let mark = path.count
            if !path.isEmpty { path.append(0x2E) }
            path.append(contentsOf: member.key)
            if case .object = member.value {} else { fieldWeight = tenantWeights?.weight(of: path) ?? 1 }
            addValue(member.value, path: &path)
            path.removeSubrange(mark...)
        }
    }

    private mutating func addValue(_ value: JSONValue, path: inout [UInt8]) {
        switch value {
        case .null:
            return
        case .bool(let flag):
            emitContext(path, "=", flag ? "true" : "false", weight: 1)
        case .number(let number):
            addNumber(number, path: path)
        case .string(let text):
            addString(text, path: path)
        case .array(let items):
            // Items are the array's field, also after an object item set its members' weights.
            let weight = fieldWeight
            for item in items {
                fieldWeight = weight
                addValue(item, path: &path)
            }
        case .object(let members):
            addMembers(members, path: &path)
        }
    }

    /// Small integers are exact tokens. Other numbers fall between two log2 buckets and are
    /// shared between them in proportion to their distance, so 1450 and 1500 share most of their
    /// weight while 1450 and 90000 share none.
    private mutating func addNumber(_ number: Double, path: [UInt8]) {
        if let fields = tenantScales, let scale = ScaleTable.scale(in: fields, path: path) {
            addScaled(scale.standardized(number), path: path)
            return
        }
        if number == number.rounded(), number.magnitude <= Double(parameters.smallIntegerLimit) {
            emitContext(path, "=", String(Int(number)), weight: 1)
            return
        }
        let perOctave = parameters.numberBucketsPerOctave
        let position = PortableMath.log2(number.magnitude) * Double(perOctave)
        let lower = position.rounded(.down)
        let upperShare = position - lower
        let marker = number < 0 ? "~-2^" : "~2^"
        let bucket = Int(lower)
        if upperShare < 1 {
            emitContext(path, marker, Self.exponent(bucket, perOctave), weight: 1 - upperShare)
        }
        if upperShare > 0 {
            emitContext(path, marker, Self.exponent(bucket + 1, perOctave), weight: upperShare)
        }
    }

    /// hashed-v2: a number `z` deviations from its field's mean, placed between the two nearest
    /// of ``ScaleTable/bins`` bin centres spread over ±``ScaleTable/range`` deviations (shares in
    /// proportion to the distance, unit length together), as `key~z=<bin>`. Values within one
    /// bin width of each other share weight; a scaled field weighs what one categorical value
    /// does.
    private mutating func addScaled(_ z: Double, path: [UInt8]) {
        // Beyond the outer centres, all in the outer bin.
        let at = ScaleTable.binPosition(z)
        let lower = at.rounded(.down)
        let upper = at - lower
        let norm = ((1 - upper) * (1 - upper) + upper * upper).squareRoot()
        if upper < 1 { emitContext(path, "~z=", ScaleTable.binNames[Int(lower)], weight: (1 - upper) / norm) }
        if upper > 0 { emitContext(path, "~z=", ScaleTable.binNames[Int(lower) + 1], weight: upper / norm) }
    }

    /// Bucket b of `perOctave` per doubling, written as its power of two: "10", "10.5".
    static func exponent(_ bucket: Int, _ perOctave: Int) -> String {
        bucket % perOctave == 0 ? String(bucket / perOctave) : String(Double(bucket) / Double(perOctave))
    }

    /// `key=value`, and `key~w=word` for each word of a value that is more than one word.
    private mutating func addString(_ text: String, path: [UInt8]) {
        textBuffer.removeAll(keepingCapacity: true)
        TextNormalizer.normalize(text, into: &textBuffer)
        guard !textBuffer.isEmpty else { return }
        token.begin(.context)
        token.append(path)
        token.append(0x3D)
        token.append(textBuffer)
        finish(weight: fieldWeight)

        WordSplitter.split(textBuffer, into: &wordBounds)
        if wordBounds.count == 2, wordBounds[0] == 0, wordBounds[1] == textBuffer.count { return }
        textBuffer.withUnsafeBufferPointer { value in
            for w in stride(from: 0, to: wordBounds.count, by: 2) {
                token.begin(.context)
                token.append(path)
                token.append("~w=")
                token.append(value.baseAddress! + wordBounds[w], wordBounds[w + 1] - wordBounds[w])
                finish(weight: fieldWeight)
            }
        }
    }

    /// A context feature, weighed by its field's weight.
    private func emitContext(_ path: [UInt8], _ separator: String, _ value: String, weight: Double) {
        token.begin(.context)
        token.append(path)
        token.append(separator)
        token.append(value)
        finish(weight: weight * fieldWeight)
    }

    // MARK: Tags and category

    mutating func addLabel(_ label: String, namespace: FeatureNamespace) {
        textBuffer.removeAll(keepingCapacity: true)
        TextNormalizer.normalize(label, into: &textBuffer)
        guard !textBuffer.isEmpty else { return }
        token.begin(namespace)
        token.append(textBuffer)
        finish(weight: 1)
    }

    // MARK: Hashing

    /// Hashes `"<namespace>:" + bytes` without copying them: the 5-byte prefixes `word:` and
    /// `char:` are one fixed block plus ":", so the second block is ":" and the token's first
    /// three bytes, read straight from where the token lies (which needs one readable byte past a
    /// 3-byte token: callers leave 4 bytes of slack). Copying each n-gram next to its prefix and
    /// hashing the copy stalls on store-to-load forwarding, which cost more than the hash itself.
    /// MurmurHash3 of a 5-byte prefix (`state` after its first four bytes), ":" and `length` >= 3
    /// bytes read in place (one byte of slack after them).
    @inline(__always)
    private func directHash(_ state: UInt32, _ bytes: UnsafePointer<UInt8>, _ length: Int) -> UInt32 {
        let first = UInt32(littleEndian: UnsafeRawPointer(bytes).loadUnaligned(as: UInt32.self))
        return MurmurHash3.x86_32(
            continuing: MurmurHash3.mixBlock(state, 0x3A | (first << 8)), UnsafeRawPointer(bytes + 3),
            count: length - 3, totalLength: length + 5)
    }

    /// The text of the i-th n-gram of a padded ASCII word, in the order `addCharNgrams` makes them.
    private static func text(_ bytes: UnsafePointer<UInt8>, _ length: Int, at index: Int, _ lengths: ClosedRange<Int>) -> String {
        var i = index
        for n in lengths where n <= length {
            let count = length - n + 1
            if i < count { return String(decoding: UnsafeBufferPointer(start: bytes + i, count: n), as: UTF8.self) }
            i -= count
        }
        return ""
    }

    @inline(__always)
    private func emitDirect(_ namespace: FeatureNamespace, _ bytes: UnsafePointer<UInt8>, _ length: Int) {
        assert(namespace == .word || namespace == .char, "only 5-byte prefixes")
        guard length >= 3 else {
            token.begin(namespace)
            token.append(bytes, length)
            finish(weight: 1)
            return
        }
        let hash = directHash(namespace == .char ? charState : wordState, bytes, length)
        table.add(
            FeatureTable.key(namespace, hash), weight: 1,
            token: recordsTokens ? String(decoding: UnsafeBufferPointer(start: bytes, count: length), as: UTF8.self) : nil)
    }

    @inline(__always)
    private func finish(weight: Double) {
        table.add(
            FeatureTable.key(token.namespace, token.hash), weight: weight,
            token: recordsTokens ? token.token : nil)
    }
}
