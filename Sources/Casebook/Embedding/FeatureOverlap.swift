/// The features a query and a precedent share, and how much of their dot product each carries.
struct FeatureOverlap {
    let query: (vector: [Float], features: [WeightedFeature])
    let document: (vector: [Float], features: [WeightedFeature])

    private struct Key: Hashable {
        let namespace: FeatureNamespace
        let hash: UInt32
    }

    func explanation(limit: Int) -> SearchExplanation {
        var documentByKey: [Key: WeightedFeature] = [:]
        for feature in document.features {
            documentByKey[Key(namespace: feature.namespace, hash: feature.hash)] = feature
        }
        var shared: [ExplainedFeature] = []
        var similarity: [FeatureNamespace: Double] = [:]
        var contribution: [FeatureNamespace: Double] = [:]
        for feature in query.features {
            guard let match = documentByKey[Key(namespace: feature.namespace, hash: feature.hash)] else { continue }
            let share = feature.weight * match.weight
            shared.append(ExplainedFeature(namespace: feature.namespace.rawValue, token: feature.token, contribution: share))
            similarity[feature.namespace, default: 0] += feature.namespaceWeight * match.namespaceWeight
            contribution[feature.namespace, default: 0] += share
        }
        var dot = 0.0
        for (a, b) in zip(query.vector, document.vector) { dot += Double(a) * Double(b) }
        let explained = shared.reduce(0) { $0 + $1.contribution }
        shared.sort { ($0.contribution, $1.token) > ($1.contribution, $0.token) }
        let namespaces = FeatureNamespace.allCases.compactMap { namespace -> NamespaceSimilarity? in
            guard let value = similarity[namespace] else { return nil }
            return NamespaceSimilarity(
                namespace: namespace.rawValue, similarity: value, contribution: contribution[namespace] ?? 0)
        }
        return SearchExplanation(features: Array(shared.prefix(limit)), namespaces: namespaces, collisions: dot - explained)
    }
}
