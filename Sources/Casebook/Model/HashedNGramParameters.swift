/// The tunable part of `hashed-v1`, stored with the collection so that every process embeds the
/// same way. Changing any value changes the vectors: a collection keeps the parameters it was
/// created with.
public struct HashedNGramParameters: Sendable, Hashable, Codable {
    /// Word n-gram lengths, `[min, max]` (default 1-2).
    public var wordNgrams: [Int]
    /// Character n-gram lengths within `<word>`, `[min, max]` (default 3-5).
    public var charNgrams: [Int]
    /// Weight of each namespace after it is L2-normalised on its own.
    public var weights: NamespaceWeights
    /// Log2 buckets per doubling for numbers that are not small integers (default 2: 1000 and
    /// 1414 are one bucket apart).
    public var numberBucketsPerOctave: Int
    /// Integers with |v| up to this are exact tokens (`attempts=3`); larger ones are bucketed.
    public var smallIntegerLimit: Int
    /// How a query's features are weighed (stored vectors do not depend on it). A collection
    /// stored before it existed reads as `.none`, so its searches answer as they did.
    public var queryWeighting: QueryWeighting

    public init(
        wordNgrams: [Int] = [1, 2], charNgrams: [Int] = [3, 5], weights: NamespaceWeights = NamespaceWeights(),
        numberBucketsPerOctave: Int = 2, smallIntegerLimit: Int = 16, queryWeighting: QueryWeighting = .idf
    ) {
        self.wordNgrams = wordNgrams
        self.charNgrams = charNgrams
        self.weights = weights
        self.numberBucketsPerOctave = numberBucketsPerOctave
        self.smallIntegerLimit = smallIntegerLimit
        self.queryWeighting = queryWeighting
    }

    /// hashed-v2's defaults: word unigrams only, and the text's characters weighing more than its
    /// words. Word pairs are mostly seen once in a collection, so a query's rare pairs took most
    /// of its inverse-document-frequency weight while matching almost nothing, and character
    /// n-grams, which also catch a name's other forms, told long passages apart better. Chosen on
    /// four text sets and checked on two others (benchmarks/RESULTS.md, "Retrieval quality on real
    /// data"). hashed-v1 keeps its own, so its vectors never change.
    public static let hashedV2Defaults = HashedNGramParameters(
        wordNgrams: [1, 1], weights: NamespaceWeights(words: 0.15, chars: 0.45))

    /// The defaults of an embedder kind (hashed-v1's for any other), with this query weighting.
    public static func defaults(for kind: String, queryWeighting: QueryWeighting = .idf) -> HashedNGramParameters {
        var parameters = kind == EmbedderConfig.hashedV2Kind ? hashedV2Defaults : HashedNGramParameters()
        parameters.queryWeighting = queryWeighting
        return parameters
    }

    private enum CodingKeys: String, CodingKey {
        case wordNgrams, charNgrams, weights, numberBucketsPerOctave, smallIntegerLimit, queryWeighting
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        wordNgrams = try container.decode([Int].self, forKey: .wordNgrams)
        charNgrams = try container.decode([Int].self, forKey: .charNgrams)
        weights = try container.decode(NamespaceWeights.self, forKey: .weights)
        numberBucketsPerOctave = try container.decode(Int.self, forKey: .numberBucketsPerOctave)
        smallIntegerLimit = try container.decode(Int.self, forKey: .smallIntegerLimit)
        queryWeighting = try container.decodeIfPresent(QueryWeighting.self, forKey: .queryWeighting) ?? .none
    }

    func validate() throws(CasebookError) {
        func range(_ name: String, _ pair: [Int], within bounds: ClosedRange<Int>) throws(CasebookError) {
            guard pair.count == 2, bounds.contains(pair[0]), bounds.contains(pair[1]), pair[0] <= pair[1] else {
                throw .unsupportedConfiguration(
                    "hashed-v1 \(name) must be [min, max] within \(bounds.lowerBound)-\(bounds.upperBound)")
            }
        }
        try range("wordNgrams", wordNgrams, within: 1...4)
        try range("charNgrams", charNgrams, within: 1...8)
        let all = FeatureNamespace.allCases.map { weights[$0] }
        guard all.allSatisfy({ $0.isFinite && $0 >= 0 }), all.contains(where: { $0 > 0 }) else {
            throw .unsupportedConfiguration("hashed-v1 weights must be finite, non-negative and not all zero")
        }
        guard (1...16).contains(numberBucketsPerOctave) else {
            throw .unsupportedConfiguration("hashed-v1 numberBucketsPerOctave must be 1-16")
        }
        guard (0...1_000_000).contains(smallIntegerLimit) else {
            throw .unsupportedConfiguration("hashed-v1 smallIntegerLimit must be 0-1000000")
        }
    }
}

/// How a featurizing collection weighs the features of a query.
public enum QueryWeighting: String, Sendable, Hashable, Codable, CaseIterable {
    /// Every feature as the document side weighs it (hashed-v1 as first released).
    case none
    /// Each feature times its inverse document frequency among the tenant's precedents
    /// (``FeatureFrequencies/queryWeight(of:)``); features no precedent holds are dropped.
    case idf
}

/// How much each namespace counts in the final vector. The defaults favour the structured
/// context, which carries most of what makes two operational decisions alike.
public struct NamespaceWeights: Sendable, Hashable, Codable {
    public var context: Double
    public var words: Double
    public var chars: Double
    public var tags: Double
    public var category: Double

    public init(context: Double = 0.45, words: Double = 0.25, chars: Double = 0.15, tags: Double = 0.10, category: Double = 0.05) {
        self.context = context
        self.words = words
        self.chars = chars
        self.tags = tags
        self.category = category
    }

    public subscript(namespace: FeatureNamespace) -> Double {
        switch namespace {
        case .context: return context
        case .word: return words
        case .char: return chars
        case .tag: return tags
        case .category: return category
        }
    }
}

/// The feature families of `hashed-v1`. The raw value is the prefix hashed with every token
/// (`"word:not available"`), so the families never share a feature.
public enum FeatureNamespace: String, CaseIterable, Sendable, Codable, Comparable {
    /// Structured context: `key=value`, `key~w=word`, `key~2^E` for bucketed numbers.
    case context = "ctx"
    /// Word 1- and 2-grams of the free text.
    case word
    /// Character n-grams of each word of the free text, with `<` and `>` marking the word's ends.
    case char
    case tag
    case category = "cat"

    /// The order namespaces are accumulated in, so that equal input gives equal bits.
    var ordinal: Int {
        switch self {
        case .context: return 0
        case .word: return 1
        case .char: return 2
        case .tag: return 3
        case .category: return 4
        }
    }

    /// `allCases` without building an array on every use.
    static let ordered: [FeatureNamespace] = allCases

    public static func < (a: FeatureNamespace, b: FeatureNamespace) -> Bool { a.ordinal < b.ordinal }
}
