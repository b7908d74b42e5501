import Casebook
import Foundation
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle

#if canImport(Glibc)
    import Glibc
#endif

/// Casebook over HTTP/1.1 + JSON on a Unix domain socket (and optionally TCP on loopback), for
/// other services on the machine. One controller per resource; every route is under `/v1`.
///
/// `run()` returns after SIGTERM or SIGINT once in-flight requests have finished; the match log
/// is then written and the socket file removed.
public struct CasebookServer: Sendable {
    public let casebook: Casebook
    public let configuration: ServerConfiguration
    /// What `GET /metrics` reports; shared by the socket and TCP listeners.
    let metrics = ServerMetrics()

    public init(casebook: Casebook, configuration: ServerConfiguration) {
        self.casebook = casebook
        self.configuration = configuration
    }

    /// Every route, on one router (shared by the socket and TCP listeners); `/mcp` with `mcp`.
    func makeRouter(mcp: MCPEndpoint? = nil) -> Router<BasicRequestContext> {
        // The routes are learnt from a router of their own first: the error middleware, added
        // before them, answers a known path asked with another method 405 with `Allow`.
        let learnt = Router(context: BasicRequestContext.self)
        addRoutes(to: learnt, mcp: mcp)
        let router = Router(context: BasicRequestContext.self)
        router.middlewares.add(RequestMetricsMiddleware(metrics: metrics))
        router.middlewares.add(ErrorMiddleware(
            routes: RouteTable(learnt.routes.map { ($0.method, "\($0.path)") }), metrics: metrics))
        addRoutes(to: router, mcp: mcp)
        return router
    }

    private func addRoutes(to router: Router<BasicRequestContext>, mcp: MCPEndpoint?) {
        let limit = configuration.maxBodyBytes
        router.addRoutes(HealthController(casebook: casebook).routes, atPath: "/v1")
        router.addRoutes(CollectionsController(casebook: casebook, limit: limit).routes, atPath: "/v1")
        router.addRoutes(PrecedentsController(casebook: casebook, limit: limit).routes, atPath: "/v1")
        router.addRoutes(SearchController(casebook: casebook, limit: limit, metrics: metrics).routes, atPath: "/v1")
        router.addRoutes(MatchesController(casebook: casebook, limit: limit).routes, atPath: "/v1")
        router.addRoutes(IndexController(casebook: casebook, limit: limit).routes, atPath: "/v1")
        router.addRoutes(ReembedController(casebook: casebook, limit: limit).routes, atPath: "/v1")
        router.addRoutes(MetricsController(casebook: casebook, metrics: metrics).routes)
        mcp?.register(on: router, limit: limit)
    }

    /// Every served route as `METHOD /path/{parameter}` (openapi.yaml is checked against it).
    public var routes: [String] {
        makeRouter().routes.map { "\($0.method) \($0.path)" }.sorted()
    }

    /// Makes Swift concurrency run its tasks on the server's event-loop threads, so a request's
    /// handler runs where its connection's I/O is done, without a thread switch each way. Call once,
    /// first thing in a process that serves. Returns false where the runtime does not allow it.
    @discardableResult
    public static func runTasksOnEventLoops() -> Bool {
        NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
    }

    static let serverName = "casebook"

    /// Serves until SIGTERM/SIGINT. `onReady` runs once the socket accepts connections.
    public func run(onReady: @escaping @Sendable () -> Void = {}) async throws {
        let path = configuration.socketPath
        try SocketFile.prepare(path)
        let logger = Logger(label: "casebook.server") { ServerLogHandler(label: $0) }
        let mcp = configuration.mcp ? MCPEndpoint(casebook: casebook, logger: logger) : nil
        let router = makeRouter(mcp: mcp)
        // The socket is created owner-only: umask 0177 while it is bound, then chmod for certain.
        let previousMask = umask(0o177)
        let socket = Application(
            router: router, server: .http1(),
            configuration: .init(address: .unixDomainSocket(path: path), serverName: Self.serverName),
            onServerRunning: { _ in
                umask(previousMask)
                SocketFile.restrict(path)
                onReady()
            },
            logger: logger)
        var services: [any Service] = [socket]
        if let tcp = configuration.tcp {
            services.append(Application(
                router: router, server: .http1(),
                configuration: .init(address: .hostname(tcp.host, port: tcp.port), serverName: Self.serverName),
                logger: logger))
        }
        // Last, so graceful shutdown reaches it first: open MCP sessions hold SSE streams that
        // would keep their connections, and so the listeners, from finishing.
        if let mcp { services.append(MCPSessionsService(endpoint: mcp)) }
        let group = ServiceGroup(
            configuration: .init(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        defer { SocketFile.remove(path) }
        try await group.run()
        try casebook.flushMatchLog()
    }
}

/// Turns anything a handler throws into the API's error body: library and API errors keep their
/// status; an oversized body is 413; anything else is a 500 that says nothing of internals.
struct ErrorMiddleware: RouterMiddleware {
    typealias Context = BasicRequestContext
    let routes: RouteTable
    let metrics: ServerMetrics
    /// The codes of a request the database refused or could not take, counted as store errors.
    static let storeErrorCodes: Set<String> = ["internal", "read_only", "storage_full", "storage_unavailable"]

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as APIError {
            // Library errors mostly arrive here, already mapped by LibraryCall.
            return try answer(error, request, context)
        } catch let error as CasebookError {
            return try answer(APIError(error), request, context)
        } catch is NIOTooManyBytesError {
            return try APIError(.contentTooLarge, "body_too_large", "body is larger than the server's limit")
                .response(from: request, context: context)
        } catch let error as HTTPError where error.status == .notFound {
            let allowed = routes.methods(at: request.uri.path)
            guard allowed.isEmpty else {
                var refusal = APIError(
                    .methodNotAllowed, "method_not_allowed",
                    "\(request.uri.path) answers \(allowed.map(\.rawValue).joined(separator: ", ")), not \(request.method)")
                refusal.allow = allowed
                return try refusal.response(from: request, context: context)
            }
            return try APIError(.notFound, "no_route", "no route \(request.method) \(request.uri.path)")
                .response(from: request, context: context)
        } catch let error as HTTPError {
            return try APIError(error.status, "http_error", error.body ?? "\(error.status)")
                .response(from: request, context: context)
        } catch {
            context.logger.error("unexpected error: \(String(describing: type(of: error)))")
            return try APIError(.internalServerError, "internal", "the server could not complete the request")
                .response(from: request, context: context)
        }
    }

    /// An API error's answer, counted as a store error when the database refused or was away.
    private func answer(_ error: APIError, _ request: Request, _ context: Context) throws -> Response {
        if Self.storeErrorCodes.contains(error.code) { metrics.countStoreError(code: error.code) }
        return try error.response(from: request, context: context)
    }
}
