import Foundation
import Synchronization

/// Keeping hashed-v2 collections fitted as tenants arrive and grow: a tenant added after a fit has
/// its numbers bucketed as in hashed-v1, and one that has doubled since was fitted on what it no
/// longer is. Each round re-embeds only the stale tenants (``PrecedentCollection/staleTenants()``),
/// so the work over a tenant's life stays about twice its size.
extension Casebook {
    /// Fits and re-embeds the stale tenants of every hashed-v2 collection, a collection's together
    /// (its state, which holds every tenant's scales, is written once); returns what each
    /// re-embedding did (nothing when no tenant is stale). When another process wrote to one of
    /// them meanwhile and the switch is refused, they are tried one at a time, so that only that
    /// tenant waits for the next round. A failure does not stop the others: the first is thrown
    /// after all were tried.
    @discardableResult
    public func refitStaleTenants() throws(CasebookError) -> [ReembedReport] {
        var reports: [ReembedReport] = []
        try refitStaleTenants { reports.append($0) }
        return reports
    }

    /// The same, each re-embedding told to `done` as it ends (`progress`: each one's steps).
    func refitStaleTenants(
        _ done: (ReembedReport) -> Void, progress: (ReembedProgress) -> Void = { _ in }
    ) throws(CasebookError) {
        var failure: CasebookError?
        for collection in collections {
            let stale = collection.staleTenants()
            guard !stale.isEmpty else { continue }
            do {
                done(try collection.reembed(tenants: Set(stale), progress: progress))
                continue
            } catch .changedDuringReembedding where stale.count > 1 {
                // One at a time below.
            } catch {
                failure = failure ?? error
                continue
            }
            for tenant in stale {
                do {
                    done(try collection.reembed(tenants: [tenant], progress: progress))
                } catch {
                    failure = failure ?? error
                }
            }
        }
        if let failure { throw failure }
    }

    /// Runs ``refitStaleTenants()`` on a background thread every `interval` until this instance
    /// is released or ``stopRefittingStaleTenants()`` is called; `onRefit` hears of each
    /// re-embedding. Writes and searches go on while each reads and embeds; only its switch holds
    /// the collection's writes. On several nodes of one database, run it on one.
    public func startRefittingStaleTenants(
        every interval: Duration, onRefit: @escaping @Sendable (ReembedReport) -> Void = { _ in }
    ) {
        refitting.withLock { refitter in
            guard refitter == nil else { return }
            refitter = StaleTenantRefitter(casebook: self, interval: interval, onRefit: onRefit)
        }
    }

    /// Why the latest round failed; nil after a round that did not, or when none is running.
    public var refittingError: CasebookError? {
        refitting.withLock { $0 }?.lastError.withLock { $0 }
    }

    public func stopRefittingStaleTenants() {
        let refitter = refitting.withLock { refitter in
            defer { refitter = nil }
            return refitter
        }
        refitter?.stop()
    }
}

/// The thread behind ``Casebook/startRefittingStaleTenants(every:onRefit:)``. A thread of its own:
/// a re-embedding blocks while it runs, and the server's tasks run on its event loops.
final class StaleTenantRefitter: Sendable {
    private let stopped = Atomic<Bool>(false)
    let lastError = Mutex<CasebookError?>(nil)

    init(casebook: Casebook, interval: Duration, onRefit: @escaping @Sendable (ReembedReport) -> Void) {
        let seconds = Double(interval.components.seconds) + Double(interval.components.attoseconds) / 1e18
        let thread = Thread { [weak casebook, self] in
            while !self.stopped.load(ordering: .relaxed) {
                // Asleep in short steps, so that stopping does not wait a whole interval.
                let wake = Date().addingTimeInterval(seconds)
                while Date() < wake, !self.stopped.load(ordering: .relaxed) {
                    Thread.sleep(forTimeInterval: min(0.1, max(0, wake.timeIntervalSinceNow)))
                }
                guard !self.stopped.load(ordering: .relaxed), let casebook else { return }
                do throws(CasebookError) {
                    try casebook.refitStaleTenants(onRefit)
                    self.lastError.withLock { $0 = nil }
                } catch {
                    self.lastError.withLock { $0 = error }
                }
            }
        }
        thread.name = "casebook.refit"
        thread.start()
    }

    func stop() { stopped.store(true, ordering: .relaxed) }
}
