import ArgumentParser
import Casebook
import CasebookMCP
import Foundation

/// `casebook mcp`: Casebook's tools for an LLM agent over MCP on standard input and output, as an
/// MCP client (Claude Desktop, an agent framework) starts it.
struct MCPCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mcp",
        abstract: "Serve Casebook's tools to an LLM agent over the Model Context Protocol (stdio).",
        discussion: """
            Tools: search_precedents, suggest_decision, record_precedent, record_use, record_outcome, \
            precedent_stats. Every call acts for --tenant: no tool takes a tenant, so a model cannot \
            reach another one. Standard output carries only protocol messages; errors go to standard \
            error. `casebook serve --mcp` offers the same tools over HTTP at /mcp.
            """)

    @OptionGroup var database: DatabaseOptions

    @Option(help: "The tenant every tool acts for.")
    var tenant: String

    @Option(help: "The collection every tool uses (default: each call names one).")
    var collection: String?

    @Option(help: "Recorded as the actor of searches, suggestions and uses.")
    var actor: String?

    func run() async throws {
        let casebook = try database.open(only: collection.map { [$0] })
        // Another process's writes to the same database (a server, `casebook add`) reach this one.
        casebook.startFollowingChanges()
        let tools = try CasebookTools(casebook: casebook, tenant: TenantID(tenant), collection: collection, actor: actor)
        try await CasebookMCPServer.runStdio(tools)
        try casebook.flushMatchLog()
    }
}
