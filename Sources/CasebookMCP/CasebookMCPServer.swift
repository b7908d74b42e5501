import Casebook
import Logging
import MCP

/// MCP servers answering with ``CasebookTools``: one per stdio process, one per HTTP session.
public enum CasebookMCPServer {
    public static let name = "casebook"
    public static let version = "1"

    static let instructions = """
        Casebook holds this company's past decisions (precedents): the situation, what was done \
        (action) and how it went. Before deciding, call suggest_decision (or search_precedents) with \
        the new case; after deciding, record_use for the precedents you relied on and, once known, \
        record_outcome with the action taken. The tenant is fixed by the server.
        """

    /// A server with the tools registered, not yet started.
    public static func make(_ tools: CasebookTools) async -> Server {
        let server = Server(
            name: name, version: version, title: "Casebook precedents", instructions: instructions,
            capabilities: .init(tools: .init(listChanged: false)))
        await server.withMethodHandler(ListTools.self) { _ in
            ListTools.Result(tools: tools.tools)
        }
        await server.withMethodHandler(CallTool.self) { parameters in
            await tools.call(parameters.name, arguments: parameters.arguments)
        }
        return server
    }

    /// Serves MCP on standard input and output until the client closes its side. Logs go to
    /// standard error: standard output carries only protocol messages.
    public static func runStdio(_ tools: CasebookTools) async throws {
        let server = await make(tools)
        try await server.start(transport: StdioTransport())
        await server.waitUntilCompleted()
    }
}
