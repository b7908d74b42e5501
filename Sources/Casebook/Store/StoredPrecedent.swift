import Foundation

/// A precedent ready to store: id and time resolved, vector final for the collection's metric.
struct StoredPrecedent: Sendable {
    var precedent: Precedent
    var vector: [Float]
    /// `context` as stored: JSON text with sorted keys (measured against the size limit once).
    var contextJSON: String

    var id: PrecedentID { precedent.id! }
    var createdAt: Double { precedent.createdAt!.timeIntervalSince1970 }
}
