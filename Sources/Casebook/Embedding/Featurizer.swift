/// Extracts the `hashed-v1` features of one document or query at a time and turns them into a
/// vector. Reusable: `reset()` keeps every buffer, so a loop over documents allocates only the
/// output vectors.
///
/// Each feature is the MurmurHash3 of `"<namespace>:<token>"`. Features are accumulated in the
/// order they are met — text in reading order, context keys sorted — so equal input always gives
/// equal bits, whatever the key order of the JSON object.
struct Featurizer {
    let parameters: HashedNGramParameters
    /// Whether feature tables keep each token's text (explanations, `casebook embed`).
    let recordsTokens: Bool
    private(set) var tables: [FeatureTable]

    private var token: [UInt8] = []
    private var prefixLength = 0
    private var namespace = FeatureNamespace.word
    private var textBuffer: [UInt8] = []
    private var wordBounds: [Int] = []
    private var padded: [UInt8] = []
    private var scalarStarts: [Int] = []

    init(parameters: HashedNGramParameters, recordsTokens: Bool = false) {
        self.parameters = parameters
        self.recordsTokens = recordsTokens
        tables = FeatureNamespace.allCases.map { _ in FeatureTable(recordsTokens: recordsTokens) }
        token.reserveCapacity(256)
    }

    var isEmpty: Bool { tables.allSatisfy { $0.count == 0 } }

    mutating func reset() {
        for i in tables.indices { tables[i].removeAll() }
    }

    /// What a precedent is embedded from: text, context, tags and category (never its outcome).
    mutating func add(_ precedent: Precedent) {
        if let text = precedent.text { addText(text) }
        addContext(precedent.context)
        for tag in precedent.tags { addLabel(tag, namespace: .tag) }
        if let category = precedent.category { addLabel(category, namespace: .category) }
    }

    mutating func add(_ query: QueryInput) {
        if let text = query.text { addText(text) }
        if let context = query.context { addContext(context) }
    }

    // MARK: Free text

    mutating func addText(_ text: String) {
        var bytes: [UInt8] = []
        swap(&bytes, &textBuffer)
        defer { swap(&bytes, &textBuffer) }
        bytes.removeAll(keepingCapacity: true)
        TextNormalizer.normalize(text, into: &bytes)
        var bounds: [Int] = []
        swap(&bounds, &wordBounds)
        defer { swap(&bounds, &wordBounds) }
        WordSplitter.split(bytes, into: &bounds)

        let words = bounds.count / 2
        for n in parameters.wordNgrams[0]...parameters.wordNgrams[1] where n <= words {
            for first in 0...(words - n) {
                begin(.word)
                for j in 0..<n {
                    if j > 0 { token.append(0x20) }
                    token.append(contentsOf: bytes[bounds[2 * (first + j)]..<bounds[2 * (first + j) + 1]])
                }
                finish(weight: 1)
            }
        }
        for w in 0..<words {
            addCharNgrams(bytes[bounds[2 * w]..<bounds[2 * w + 1]])
        }
    }

    /// Character n-grams of `<word>`, counted in Unicode scalars.
    private mutating func addCharNgrams(_ word: ArraySlice<UInt8>) {
        padded.removeAll(keepingCapacity: true)
        padded.append(0x3C)
        padded.append(contentsOf: word)
        padded.append(0x3E)
        scalarStarts.removeAll(keepingCapacity: true)
        for (offset, byte) in padded.enumerated() where byte & 0xC0 != 0x80 {
            scalarStarts.append(offset)
        }
        scalarStarts.append(padded.count)
        let scalars = scalarStarts.count - 1
        for n in parameters.charNgrams[0]...parameters.charNgrams[1] where n <= scalars {
            for first in 0...(scalars - n) {
                begin(.char)
                token.append(contentsOf: padded[scalarStarts[first]..<scalarStarts[first + n]])
                finish(weight: 1)
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
            for item in items { addValue(item, path: &path) }
        case .object(let members):
            addMembers(members, path: &path)
        }
    }

    /// Small integers are exact tokens. Other numbers fall between two log2 buckets and are
    /// shared between them in proportion to their distance, so 1450 and 1500 share most of their
    /// weight while 1450 and 90000 share none.
    private mutating func addNumber(_ number: Double, path: [UInt8]) {
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

    /// Bucket b of `perOctave` per doubling, written as its power of two: "10", "10.5".
    static func exponent(_ bucket: Int, _ perOctave: Int) -> String {
        bucket % perOctave == 0 ? String(bucket / perOctave) : String(Double(bucket) / Double(perOctave))
    }

    /// `key=value`, and `key~w=word` for each word of a value that is more than one word.
    private mutating func addString(_ text: String, path: [UInt8]) {
        var value: [UInt8] = []
        swap(&value, &textBuffer)
        defer { swap(&value, &textBuffer) }
        value.removeAll(keepingCapacity: true)
        TextNormalizer.normalize(text, into: &value)
        guard !value.isEmpty else { return }
        begin(.context)
        token.append(contentsOf: path)
        token.append(0x3D)
        token.append(contentsOf: value)
        finish(weight: 1)

        var bounds: [Int] = []
        swap(&bounds, &wordBounds)
        defer { swap(&bounds, &wordBounds) }
        WordSplitter.split(value, into: &bounds)
        if bounds.count == 2, bounds[0] == 0, bounds[1] == value.count { return }
        for w in stride(from: 0, to: bounds.count, by: 2) {
            begin(.context)
            token.append(contentsOf: path)
            token.append(contentsOf: "~w=".utf8)
            token.append(contentsOf: value[bounds[w]..<bounds[w + 1]])
            finish(weight: 1)
        }
    }

    private mutating func emitContext(_ path: [UInt8], _ separator: String, _ value: String, weight: Double) {
        begin(.context)
        token.append(contentsOf: path)
        token.append(contentsOf: separator.utf8)
        token.append(contentsOf: value.utf8)
        finish(weight: weight)
    }

    // MARK: Tags and category

    mutating func addLabel(_ label: String, namespace: FeatureNamespace) {
        var bytes: [UInt8] = []
        swap(&bytes, &textBuffer)
        defer { swap(&bytes, &textBuffer) }
        bytes.removeAll(keepingCapacity: true)
        TextNormalizer.normalize(label, into: &bytes)
        guard !bytes.isEmpty else { return }
        begin(namespace)
        token.append(contentsOf: bytes)
        finish(weight: 1)
    }

    // MARK: Hashing

    private mutating func begin(_ namespace: FeatureNamespace) {
        self.namespace = namespace
        token.removeAll(keepingCapacity: true)
        token.append(contentsOf: namespace.rawValue.utf8)
        token.append(0x3A)
        prefixLength = token.count
    }

    private mutating func finish(weight: Double) {
        let hash = token.withUnsafeBytes { MurmurHash3.x86_32($0) }
        let text = recordsTokens ? String(decoding: token[prefixLength...], as: UTF8.self) : nil
        tables[namespace.ordinal].add(hash: hash, weight: weight, token: text)
    }
}
