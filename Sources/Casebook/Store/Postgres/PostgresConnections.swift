import Foundation
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import PostgresNIO
import Synchronization

/// PostgreSQL connections for a synchronous store: a few connections kept open, each used by one
/// caller at a time, on an event loop thread of their own. A call blocks its thread on the
/// connection's future, so it never needs a thread of Swift's cooperative pool to finish: the
/// store works the same from a request handler, a Dispatch queue or a test.
///
/// A connection that fails is dropped; the next call opens a new one. While the server is
/// unreachable every call fails fast with ``CasebookError/storageUnavailable(_:)``.
final class PostgresConnections: Sendable {
    let address: PostgresAddress
    private let group: MultiThreadedEventLoopGroup
    private let configuration: PostgresConnection.Configuration
    private let idle = Mutex<[PostgresConnection]>([])
    private let nextID = Atomic<Int>(1)
    /// Connections kept open between calls; more may be open while many calls run at once.
    private static let maxIdle = 8
    let logger = Logger(label: "casebook.postgres", factory: { _ in SwiftLogNoOpLogHandler() })
    /// The change feed positions this instance's transactions committed.
    let localChanges = LocalChanges()

    init(address: PostgresAddress) throws(CasebookError) {
        self.address = address
        var tls = PostgresConnection.Configuration.TLS.disable
        if address.tls == .require {
            // libpq's `require`: encrypted, the server's certificate not verified.
            var settings = TLSConfiguration.makeClientConfiguration()
            settings.certificateVerification = .none
            do {
                tls = .require(try NIOSSLContext(configuration: settings))
            } catch {
                throw .storageUnavailable("TLS for \(address.redacted) could not be set up: \(error)")
            }
        }
        var configuration = PostgresConnection.Configuration(
            host: address.host, port: address.port, username: address.user, password: address.password,
            database: address.database, tls: tls)
        configuration.options.connectTimeout = .seconds(5)
        self.configuration = configuration
        group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    }

    deinit {
        // Closed and waited for: postgres-nio insists that a connection is closed before it goes.
        // (A deinit on one of the group's own threads cannot wait; the connections are then
        // only closed, and the group shut down when they are.)
        let connections = idle.withLock { $0 }
        let group = group
        if MultiThreadedEventLoopGroup.currentEventLoop == nil {
            for connection in connections { try? (connection.close() as EventLoopFuture<Void>).wait() }
            try? group.syncShutdownGracefully()
        } else {
            for connection in connections { Self.close(connection) }
            group.shutdownGracefully { _ in }
        }
    }

    /// Closes a connection without waiting, keeping it alive until it is closed.
    static func close(_ connection: PostgresConnection) {
        (connection.close() as EventLoopFuture<Void>).whenComplete { _ in withExtendedLifetime(connection) {} }
    }

    /// A new connection, outside the pool (the change feed's listener keeps one for itself).
    func open() throws(CasebookError) -> PostgresConnection {
        do {
            return try PostgresConnection.connect(
                on: group.next(), configuration: configuration, id: nextID.add(1, ordering: .relaxed).oldValue,
                logger: logger
            ).wait()
        } catch {
            throw .storageUnavailable("cannot reach PostgreSQL at \(address.redacted): \(PostgresErrors.describe(error))")
        }
    }

    /// Runs `body` on a connection of the pool, outside any transaction.
    func withSession<T>(_ body: (PostgresSession) throws(CasebookError) -> T) throws(CasebookError) -> T {
        var connection = idle.withLock { $0.popLast() }
        while let found = connection, found.isClosed {
            Self.close(found)
            connection = idle.withLock { $0.popLast() }
        }
        if connection == nil { connection = try open() }
        let session = PostgresSession(connection: connection!, logger: logger)
        defer { giveBack(session.connection) }
        return try body(session)
    }

    /// Runs `body` inside one transaction: committed when it returns, rolled back when it throws.
    /// A commit whose answer is lost with the connection reports ``CasebookError/storageUnavailable(_:)``:
    /// the batch is then whole or absent, and the change feed tells which.
    func transaction<T>(
        isolation: String = "READ COMMITTED", _ body: (PostgresSession) throws(CasebookError) -> T
    ) throws(CasebookError) -> T {
        try withSession { plain throws(CasebookError) in
            let session = PostgresSession(connection: plain.connection, logger: plain.logger, appended: AppendedPositions())
            // Sent without waiting: the connection runs its queries in order, so the body's first
            // statement follows it one round trip sooner.
            let begun = session.send("BEGIN ISOLATION LEVEL \(isolation)")
            do throws(CasebookError) {
                let result = try body(session)
                try session.wait(begun)
                try session.execute("COMMIT")
                localChanges.insert(session.appended!.positions)
                return result
            } catch {
                _ = try? session.execute("ROLLBACK")
                throw error
            }
        }
    }

    private func giveBack(_ connection: PostgresConnection) {
        guard !connection.isClosed else {
            Self.close(connection)
            return
        }
        let kept = idle.withLock { list in
            guard list.count < Self.maxIdle else { return false }
            list.append(connection)
            return true
        }
        if !kept { Self.close(connection) }
    }
}

/// One connection lent to one caller: queries with `$n` placeholders, answered in full.
struct PostgresSession {
    let connection: PostgresConnection
    let logger: Logger
    /// Inside a transaction: the change feed positions it appended, known as this instance's own
    /// once it commits.
    var appended: AppendedPositions? = nil

    func query(_ sql: String, _ binds: PostgresBindings = PostgresBindings()) throws(CasebookError) -> PostgresQueryResult {
        try wait(send(sql, binds))
    }

    /// Sends a statement without waiting for its answer (``wait(_:)`` takes it later); the
    /// connection answers its statements in the order they were sent.
    func send(_ sql: String, _ binds: PostgresBindings = PostgresBindings()) -> EventLoopFuture<PostgresQueryResult> {
        connection.query(PostgresQuery(unsafeSQL: sql, binds: binds), logger: logger)
    }

    @discardableResult
    func wait(_ answer: EventLoopFuture<PostgresQueryResult>) throws(CasebookError) -> PostgresQueryResult {
        do {
            return try answer.wait()
        } catch {
            throw PostgresErrors.translate(error)
        }
    }

    /// Runs a statement; returns the rows it changed (or returned).
    @discardableResult
    func execute(_ sql: String, _ binds: PostgresBindings = PostgresBindings()) throws(CasebookError) -> Int {
        try query(sql, binds).metadata.rows ?? 0
    }

    /// A multi-row `INSERT`: `head` names the table and its `width` columns, `tail` follows the
    /// VALUES list (ON CONFLICT, RETURNING); `bind` appends one row's `width` values. Rows go in
    /// statements of at most `rowsPerStatement`, within PostgreSQL's 65,535 parameters. Returns
    /// the rows RETURNING gave, in statement order.
    func insertRows<Rows: Collection>(
        _ head: String, width: Int, _ rows: Rows, tail: String = "", rowsPerStatement: Int = 1_000,
        bind: (inout PostgresBindings, Rows.Element) -> Void
    ) throws(CasebookError) -> [PostgresRow] {
        var returned: [PostgresRow] = []
        var start = rows.startIndex
        while start != rows.endIndex {
            let end = rows.index(start, offsetBy: rowsPerStatement, limitedBy: rows.endIndex) ?? rows.endIndex
            let count = rows.distance(from: start, to: end)
            var binds = PostgresBindings(capacity: count * width)
            for row in rows[start..<end] { bind(&binds, row) }
            let values = (0..<count).map { row in
                "(" + (1...width).map { "$\(row * width + $0)" }.joined(separator: ", ") + ")"
            }
            returned += try query("\(head) VALUES \(values.joined(separator: ", ")) \(tail)", binds).rows
            start = end
        }
        return returned
    }

    /// Runs statements separated by a semicolon at the end of a line, one after another
    /// (postgres-nio speaks only the extended protocol: one statement per query).
    func executeScript(_ script: String) throws(CasebookError) {
        for statement in script.components(separatedBy: ";\n") {
            let code = statement.split(separator: "\n").filter {
                !$0.trimmingCharacters(in: .whitespaces).hasPrefix("--")
            }.joined(separator: "\n")
            guard !code.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { continue }
            try execute(code)
        }
    }
}

final class AppendedPositions {
    var positions: [Int64] = []
}

extension PostgresBindings {
    /// Bindings for `$1`, `$2`, … in order; nil binds NULL.
    init(_ values: (any PostgresDynamicTypeEncodable)?...) {
        self.init(capacity: values.count)
        for value in values { append(value) }
    }

    mutating func append(_ value: (any PostgresDynamicTypeEncodable)?) {
        if let value { append(value) } else { appendNull() }
    }
}

/// How PostgreSQL's failures become ``CasebookError``s: a lost or refused connection is
/// "unavailable" (the operation may be retried once the server is back); a server's refusal keeps
/// its SQLSTATE and primary message, never a statement's arguments (they may hold precedent text).
enum PostgresErrors {
    static func translate(_ error: any Error) -> CasebookError {
        guard let error = error as? PSQLError, error.code == .server else {
            return .storageUnavailable("the connection to PostgreSQL failed: \(describe(error))")
        }
        let state = sqlState(error) ?? "?????"
        let message = error.serverInfo?[.message] ?? ""
        // 08: connection exceptions; 57P01-57P03: the server is shutting down or starting;
        // 53300: too many connections.
        if state.hasPrefix("08") || state.hasPrefix("57P") || state == "53300" {
            return .storageUnavailable("PostgreSQL \(state): \(message)")
        }
        // Codes the API maps like SQLite's: a full disk (SQLITE_FULL) and a read-only server
        // (SQLITE_READONLY, a hot standby).
        let code: Int32 = state == "53100" ? 13 : state == "25006" ? 8 : 1
        return .storage(code: code, message: "PostgreSQL \(state): \(message)")
    }

    static func sqlState(_ error: any Error) -> String? {
        (error as? PSQLError)?.serverInfo?[.sqlState]
    }

    /// A short description without the query (PSQLError's own description prints it).
    static func describe(_ error: any Error) -> String {
        guard let error = error as? PSQLError else { return String(describing: error) }
        if let message = error.serverInfo?[.message] { return message }
        if let underlying = error.underlying { return String(describing: underlying) }
        return String(describing: error.code)
    }
}
