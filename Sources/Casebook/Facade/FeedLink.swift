import Synchronization

/// How a collection reaches the ``Casebook`` it belongs to, to follow the change feed, without
/// keeping it alive.
final class FeedLink: Sendable {
    private struct Weak: Sendable {
        weak var casebook: Casebook?
    }

    private let link = Mutex(Weak())

    func attach(_ casebook: Casebook) {
        link.withLock { $0.casebook = casebook }
    }

    /// Follows the feed to its end; returns the position applied, or nil when the instance is gone.
    func catchUp() throws(CasebookError) -> Int64? {
        guard let casebook = link.withLock({ $0.casebook }) else { return nil }
        try casebook.catchUp()
        return casebook.appliedChangePosition
    }
}
