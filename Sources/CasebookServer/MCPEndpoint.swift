import Casebook
import CasebookMCP
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import MCP
import NIOCore
import ServiceLifecycle

/// `/mcp`: Casebook's MCP tools over the streamable-HTTP transport (`casebook serve --mcp`), on
/// the same listeners as the socket API. Each session is one MCP server bound, when it starts, to
/// the tenant in the request's `X-Casebook-Tenant` header, which the platform (not the model)
/// sets; every later request of the session must carry the same tenant. `X-Casebook-Collection`
/// and `X-Casebook-Actor` optionally fix the collection and name the actor.
actor MCPEndpoint {
    static let path = "mcp"
    static let tenantHeader = "X-Casebook-Tenant"
    static let collectionHeader = "X-Casebook-Collection"
    static let actorHeader = "X-Casebook-Actor"
    /// Sessions idle longer than this are closed.
    static let idleSeconds: Double = 3_600
    /// Open sessions at most: a client that opens sessions in a loop cannot exhaust memory.
    static let maxSessions = 1_024

    private struct Session {
        let server: Server
        let transport: StatefulHTTPServerTransport
        let tenant: TenantID
        var lastUsed: ContinuousClock.Instant
    }

    private let casebook: Casebook
    private let logger: Logger
    private var sessions: [String: Session] = [:]
    /// The SSE streams being sent, each relayed so shutdown can end it: a stream the transport
    /// has lost track of (a request id sent twice) would otherwise never finish.
    private var relays: [UUID: AsyncThrowingStream<Data, any Error>.Continuation] = [:]

    init(casebook: Casebook, logger: Logger) {
        self.casebook = casebook
        self.logger = logger
    }

    /// The route on `router` (POST, GET and DELETE, as the transport defines them).
    nonisolated func register(on router: Router<BasicRequestContext>, limit: Int) {
        for method in [HTTPRequest.Method.post, .get, .delete] {
            router.on(RouterPath(Self.path), method: method) { request, _ in
                var request = request
                return try await self.handle(&request, limit: limit)
            }
        }
    }

    private func handle(_ request: inout Request, limit: Int) async throws -> Response {
        let body = request.method == .post ? try await RequestBody.bytes(&request, limit: limit) : nil
        let incoming = MCP.HTTPRequest(
            method: request.method.rawValue,
            headers: Dictionary(request.headers.map { ($0.name.canonicalName, $0.value) }) { first, next in "\(first), \(next)" },
            body: body.map { Data($0.readableBytesView) }, path: request.uri.path)
        return response(await route(incoming))
    }

    private func route(_ request: MCP.HTTPRequest) async -> MCP.HTTPResponse {
        closeIdleSessions()
        let tenant = request.header(Self.tenantHeader).map(TenantID.init(rawValue:))
        if let id = request.header(HTTPHeaderName.sessionID), var session = sessions[id] {
            guard tenant == session.tenant else {
                return .error(
                    statusCode: 403,
                    .invalidRequest("\(Self.tenantHeader) must name the tenant this session was started for"),
                    sessionID: id)
            }
            session.lastUsed = .now
            sessions[id] = session
            let response = await session.transport.handleRequest(request)
            if request.method == "DELETE", response.statusCode == 200 { await close(id) }
            return response
        }
        guard request.method == "POST", Self.isInitialize(request.body) else {
            if request.header(HTTPHeaderName.sessionID) != nil {
                return .error(statusCode: 404, .invalidRequest("no such session (it ended or expired): initialize again"))
            }
            return .error(statusCode: 400, .invalidRequest("no \(HTTPHeaderName.sessionID) header: initialize a session first"))
        }
        guard let tenant else {
            return .error(statusCode: 400, .invalidRequest("an MCP session needs the \(Self.tenantHeader) header"))
        }
        guard sessions.count < Self.maxSessions else {
            return .error(statusCode: 503, .invalidRequest("too many open sessions: end one (DELETE) or retry later"))
        }
        let tools: CasebookTools
        do {
            tools = try CasebookTools(
                casebook: casebook, tenant: tenant, collection: request.header(Self.collectionHeader),
                actor: request.header(Self.actorHeader))
        } catch {
            return .error(statusCode: 400, .invalidRequest("\(error)"))
        }
        let id = UUID().uuidString
        let transport = StatefulHTTPServerTransport(sessionIDGenerator: FixedSessionID(id: id), logger: logger)
        let server = await CasebookMCPServer.make(tools)
        do {
            try await server.start(transport: transport)
        } catch {
            await transport.disconnect()
            return .error(statusCode: 500, .internalError("the session could not start"))
        }
        let response = await transport.handleRequest(request)
        if case .error = response {
            await server.stop()
        } else {
            sessions[id] = Session(server: server, transport: transport, tenant: tenant, lastUsed: .now)
        }
        return response
    }

    /// Ends every session and every stream (the server is shutting down).
    func closeAll() async {
        for id in sessions.keys { await close(id) }
        for continuation in relays.values { continuation.finish() }
        relays.removeAll()
    }

    private func relay(_ events: AsyncThrowingStream<Data, any Error>) -> AsyncThrowingStream<Data, any Error> {
        let (stream, continuation) = AsyncThrowingStream<Data, any Error>.makeStream()
        let id = UUID()
        relays[id] = continuation
        let forward = Task {
            do {
                for try await event in events { continuation.yield(event) }
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
            self.dropRelay(id)
        }
        continuation.onTermination = { _ in forward.cancel() }
        return stream
    }

    private func dropRelay(_ id: UUID) { relays[id] = nil }

    private func close(_ id: String) async {
        guard let session = sessions.removeValue(forKey: id) else { return }
        await session.server.stop()
    }

    private func closeIdleSessions() {
        let cutoff = ContinuousClock.now - .seconds(Self.idleSeconds)
        for (id, session) in sessions where session.lastUsed < cutoff {
            sessions[id] = nil
            Task { await session.server.stop() }
        }
    }

    private static func isInitialize(_ body: Data?) -> Bool {
        guard let body, let text = String(data: body, encoding: .utf8),
            case .object(let message)? = try? JSONValue.parse(text)
        else { return false }
        return message["method"] == .string("initialize")
    }

    /// The transport's answer as a Hummingbird response; an SSE stream is forwarded as it comes.
    private func response(_ answer: MCP.HTTPResponse) -> Response {
        var headers = HTTPFields()
        for (name, value) in answer.headers {
            if let field = HTTPField.Name(name) { headers[field] = value }
        }
        let status = HTTPResponse.Status(code: answer.statusCode)
        switch answer {
        case .stream(let transportEvents, _):
            let events = relay(transportEvents)
            return Response(status: status, headers: headers, body: ResponseBody { writer in
                for try await chunk in events { try await writer.write(ByteBuffer(bytes: chunk)) }
                try await writer.finish(nil)
            })
        default:
            return Response(
                status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: answer.bodyData ?? Data())))
        }
    }
}

/// The session id decided before the transport starts, so the endpoint can file the session.
private struct FixedSessionID: SessionIDGenerator {
    let id: String
    func generateSessionID() -> String { id }
}

/// Ends every MCP session when the server begins to shut down.
struct MCPSessionsService: Service {
    let endpoint: MCPEndpoint

    func run() async throws {
        try? await gracefulShutdown()
        await endpoint.closeAll()
    }
}
