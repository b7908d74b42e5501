import Foundation

/// `hashed-v1`: Casebook's own featurizer. A precedent's text, context, tags and category become
/// a unit vector through the hashing trick (DESIGN.md, Embedding), with no model and no training:
/// the same input gives the same bits on every machine.
public struct HashedNGramEmbedder: Embedder {
    /// The name and version stored with a collection; a vector of another version is refused.
    public static let version = EmbedderConfig.hashedV1Kind
    /// Dimension of a `hashed-v1` collection when none is given; chosen by measurement
    /// (benchmarks/RESULTS.md, Embedding).
    public static let defaultDimension = CollectionOptions.defaultHashedDimension

    public let config: EmbedderConfig
    public let dimension: Int
    public let metric: Metric
    public let parameters: HashedNGramParameters

    public init(dimension: Int = defaultDimension, parameters: HashedNGramParameters = HashedNGramParameters(), metric: Metric = .cosine)
        throws(CasebookError)
    {
        try self.init(config: .hashedV1(parameters), dimension: dimension, metric: metric)
    }

    init(config: EmbedderConfig, dimension: Int, metric: Metric) throws(CasebookError) {
        guard config.isHashed else { throw .unsupportedConfiguration("embedder \"\(config.kind)\"") }
        let parameters = config.hashed ?? .defaults(for: config.kind)
        try parameters.validate()
        guard (1...CollectionSpec.maxDimension).contains(dimension) else {
            throw .invalidDimension(dimension, max: CollectionSpec.maxDimension)
        }
        let scales = config.kind == EmbedderConfig.hashedV2Kind ? config.numericScales ?? NumericScales() : nil
        self.config = EmbedderConfig(kind: config.kind, hashed: parameters, numericScales: scales)
        self.dimension = dimension
        self.metric = metric
        self.parameters = parameters
        scaleTable = scales.map(ScaleTable.init)
    }

    /// hashed-v2 with these scales (and hashed-v2's default parameters unless given).
    public init(
        dimension: Int = defaultDimension, parameters: HashedNGramParameters = .hashedV2Defaults,
        scales: NumericScales, metric: Metric = .cosine
    ) throws(CasebookError) {
        try self.init(config: .hashedV2(parameters, scales: scales), dimension: dimension, metric: metric)
    }

    /// The featurizer a hashed collection embeds with: its kind, dimension, parameters and state.
    /// - Throws: ``CasebookError/unsupportedConfiguration(_:)`` for a collection of external
    ///   vectors or a hybrid one.
    public init(collection spec: CollectionSpec) throws(CasebookError) {
        guard spec.embedder.isHashed, !spec.embedder.isHybrid else {
            throw .unsupportedConfiguration(
                "\(spec.name) is \(spec.embedder.kind)\(spec.embedder.isHybrid ? " (hybrid)" : ""), not a hashed collection")
        }
        try self.init(config: spec.embedder, dimension: spec.dimension, metric: spec.metric)
    }

    /// hashed-v2's scales, looked up by the hash of a field's path (nil for hashed-v1).
    let scaleTable: ScaleTable?

    /// `hashed-v1` or `hashed-v2`.
    public var kind: String { config.kind }

    /// A featurizer of this configuration.
    func featurizer(recordsTokens: Bool = false) -> Featurizer {
        Featurizer(parameters: parameters, scales: scaleTable, recordsTokens: recordsTokens)
    }

    public var computesVectors: Bool { true }

    public func documentVector(for precedent: Precedent) throws(CasebookError) -> [Float] {
        guard precedent.vector == nil else {
            throw .embedding("this collection embeds precedents itself (\(kind)): leave out \"vector\"")
        }
        var featurizer = featurizer()
        featurizer.add(precedent)
        guard let vector = featurizer.vector(dimension: dimension) else {
            throw .embedding("precedent has nothing to embed: give text, context, tags or category")
        }
        return vector
    }

    public func queryVector(_ query: QueryInput) throws(CasebookError) -> [Float] {
        try queryVector(query, weighedBy: nil)!
    }

    public var weighsByFrequency: Bool { parameters.queryWeighting == .idf }

    public func queryVector(_ query: QueryInput, frequencies: FeatureFrequencies) throws(CasebookError) -> [Float]? {
        try queryVector(query, weighedBy: weighsByFrequency ? frequencies : nil)
    }

    /// A query's vector; with `frequencies`, nil when every feature is absent from the tenant's
    /// precedents (never nil without them).
    private func queryVector(_ query: QueryInput, weighedBy frequencies: FeatureFrequencies?) throws(CasebookError)
        -> [Float]?
    {
        if let vector = query.vector {
            guard query.text == nil, query.context == nil else {
                throw .embedding("give a query vector or text and context, not both")
            }
            // A vector made by `casebook embed --vectors` with the same configuration.
            return try ExternalVectors(dimension: dimension, metric: metric).prepared(vector)
        }
        guard query.text != nil || query.context != nil else {
            throw .embedding("a query needs text, context or a vector")
        }
        var featurizer = featurizer()
        featurizer.add(query)
        guard featurizer.table.count > 0 else {
            throw .embedding("the query's text and context have nothing to embed (no words or values)")
        }
        return featurizer.vector(dimension: dimension, frequencies: frequencies)
    }

    /// Every feature of a precedent with its bucket, sign and final weight (`casebook embed`), and
    /// the vector they sum to; nil when the precedent has nothing to embed.
    public func features(of precedent: Precedent) -> (vector: [Float], features: [WeightedFeature])? {
        var featurizer = featurizer(recordsTokens: true)
        featurizer.add(precedent)
        return featurizer.weightedFeatures(dimension: dimension)
    }

    /// The vectors of many precedents: each worker reuses one featurizer's buffers; batches of
    /// thousands are split over ``WorkerThreads`` cores. Vectors do not depend on the
    /// split.
    public func documentVectors(for precedents: [Precedent]) throws(CasebookError) -> [[Float]] {
        try embed(precedents, counting: false).vectors
    }

    public func documentVectorsAndFrequencies(for precedents: [Precedent]) throws(CasebookError)
        -> (vectors: [[Float]], frequencies: [TenantID: FeatureFrequencies])
    {
        try embed(precedents, counting: weighsByFrequency)
    }

    private typealias Embedded = (vectors: [[Float]], frequencies: [TenantID: FeatureFrequencies])

    /// Batches of thousands are split over ``WorkerThreads`` cores; vectors and counts do not
    /// depend on the split.
    private func embed(_ precedents: [Precedent], counting: Bool) throws(CasebookError) -> Embedded {
        let workers = precedents.count >= 4_096 ? min(WorkerThreads.count, precedents.count / 2_048) : 1
        guard workers > 1 else { return try embed(precedents[...], offset: 0, counting: counting) }
        let chunk = (precedents.count + workers - 1) / workers
        let results = WorkerSlots<Result<Embedded, CasebookError>?>(count: workers, initial: nil)
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            let range = (worker * chunk)..<min(precedents.count, (worker + 1) * chunk)
            results.store(worker, Result { () throws(CasebookError) in
                try embed(precedents[range], offset: range.lowerBound, counting: counting)
            })
        }
        var all: Embedded = ([], [:])
        all.vectors.reserveCapacity(precedents.count)
        // Chunks are in order, so the first failing chunk holds the first refused item.
        for chunk in results.values {
            let part = try chunk!.get()
            all.vectors.append(contentsOf: part.vectors)
            for (tenant, counts) in part.frequencies { all.frequencies[tenant, default: FeatureFrequencies()].apply(counts) }
        }
        return all
    }

    public func featureKeys(of precedent: Precedent) -> [UInt64] {
        guard weighsByFrequency else { return [] }
        var featurizer = featurizer()
        featurizer.add(precedent)
        var keys: [UInt64] = []
        featurizer.featureKeys(into: &keys)
        return keys
    }

    /// The vectors of a run of precedents and, when `counting`, their features counted per tenant
    /// as they are made (one featurizing for both).
    private func embed(_ precedents: ArraySlice<Precedent>, offset: Int, counting: Bool) throws(CasebookError)
        -> Embedded
    {
        // Per tenant: documents counted, and an open-addressing table of documents per feature
        // (a Dictionary's hashing, once per feature occurrence, cost more than embedding).
        var counters: [TenantID: (documents: Int, table: FeatureTable)] = [:]
        var featurizer = featurizer()
        var vectors: [[Float]] = []
        vectors.reserveCapacity(precedents.count)
        for (index, precedent) in zip(offset..., precedents) {
            featurizer.reset()
            featurizer.add(precedent)
            if counting, featurizer.table.count > 0 {
                if counters[precedent.tenant] == nil {
                    counters[precedent.tenant] = (0, FeatureTable(recordsTokens: false))
                }
                counters[precedent.tenant]!.documents += 1
                featurizer.count(into: counters[precedent.tenant]!.table)
            }
            guard precedent.vector == nil, let vector = featurizer.vector(dimension: dimension) else {
                do throws(CasebookError) {
                    _ = try documentVector(for: precedent)
                } catch {
                    throw .item(index: index, id: precedent.id, problem: error)
                }
                continue
            }
            vectors.append(vector)
        }
        let frequencies = counters.mapValues { FeatureFrequencies(documents: $0.documents, counts: $0.table.wholeCounts()) }
        return (vectors, frequencies)
    }

    public func explain(query: QueryInput, document: Precedent, limit: Int, frequencies: FeatureFrequencies?)
        -> SearchExplanation?
    {
        guard query.vector == nil, query.text != nil || query.context != nil else { return nil }
        var queryFeaturizer = featurizer(recordsTokens: true)
        queryFeaturizer.add(query)
        var documentFeaturizer = featurizer(recordsTokens: true)
        documentFeaturizer.add(document)
        let weighing = weighsByFrequency ? frequencies : nil
        guard let left = queryFeaturizer.weightedFeatures(dimension: dimension, frequencies: weighing),
            let right = documentFeaturizer.weightedFeatures(dimension: dimension)
        else { return nil }
        return FeatureOverlap(query: left, document: right).explanation(limit: limit)
    }
}
