import ArgumentParser
import Casebook
import CasebookServer
import Foundation

/// `casebook serve`: the socket API (HTTP/JSON) for other services on this machine.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve the HTTP/JSON API on a Unix domain socket (mode 0600), optionally also TCP on loopback.")

    @OptionGroup var database: DatabaseOptions

    @Option(help: "Unix domain socket path (a stale socket there is replaced; removed on shutdown).")
    var socket: String

    @Option(help: "Also listen on TCP, loopback only: 127.0.0.1:PORT or [::1]:PORT.")
    var tcp: String?

    @Option(help: "Largest request body in bytes.")
    var maxBody: Int = ServerConfiguration.defaultMaxBodyBytes

    @Option(
        help: ArgumentHelp(
            "Hold only the tenants of shard I of N (FNV-1a of the tenant modulo N); others are answered 421 wrong_shard.",
            valueName: "I/N"))
    var shard: String?

    @Option(
        help: ArgumentHelp(
            "Every SECONDS, fit and re-embed the tenants of hashed-v2 collections that are new or have doubled since their fit (as reembed --stale). On several nodes of one database, give it to one.",
            valueName: "SECONDS"))
    var refitStaleEvery: Double?

    @Flag(help: "Also serve MCP tools for LLM agents (streamable HTTP) at /mcp; each session's tenant comes from its X-Casebook-Tenant header.")
    var mcp = false

    func validate() throws {
        guard maxBody > 0 else { throw ValidationError("--max-body must be positive") }
        if let refitStaleEvery, !(refitStaleEvery > 0 && refitStaleEvery <= 1e9) {
            throw ValidationError("--refit-stale-every must be a positive number of seconds")
        }
        if let tcp { _ = try ServerConfiguration.TCPAddress(tcp) }
        if let shard {
            do { _ = try TenantShard(shard) } catch { throw ValidationError(error.description) }
        }
    }

    func run() async throws {
        if ProcessInfo.processInfo.environment["CASEBOOK_EVENT_LOOP_TASKS"] != "0" { CasebookServer.runTasksOnEventLoops() }
        let casebook = try database.open(shard: try shard.map { text throws(CasebookError) in try TenantShard(text) })
        // What other processes commit to the same database (other nodes on PostgreSQL, or
        // `casebook add` into the same SQLite file) reaches this one's indexes.
        casebook.startFollowingChanges()
        if let refitStaleEvery {
            casebook.startRefittingStaleTenants(every: .milliseconds(Int64(refitStaleEvery * 1000))) { report in
                let line = "casebook: refitted tenants \((report.tenants ?? []).joined(separator: ", ")) of \(report.collection): \(report.precedents) precedents in \(String(format: "%.2f", report.seconds)) s\n"
                FileHandle.standardError.write(Data(line.utf8))
            }
        }
        let configuration = ServerConfiguration(
            socketPath: socket, tcp: try tcp.map { text throws(ServerError) in try ServerConfiguration.TCPAddress(text) },
            maxBodyBytes: maxBody, mcp: mcp)
        let socketPath = socket
        if let tcp {
            // The socket's 0600 mode keeps other users out; a TCP port has no such boundary.
            FileHandle.standardError.write(Data("casebook: warning: --tcp \(tcp) is open to every user of this machine (no authentication); the Unix socket is owner-only\n".utf8))
        }
        try await CasebookServer(casebook: casebook, configuration: configuration).run {
            // One line on stdout when ready: scripts and tests wait for it.
            FileHandle.standardOutput.write(Data("casebook: serving on \(socketPath)\n".utf8))
        }
    }
}
