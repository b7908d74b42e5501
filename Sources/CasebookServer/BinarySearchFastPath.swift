import Casebook
import Foundation
import Hummingbird
import HummingbirdCore
import NIOCore
import NIOHTTP1

/// Answers a binary-vector search (`POST /v1/collections/{name}/search`, `application/octet-stream`)
/// in the connection's channel pipeline, before Hummingbird's request handling; every other
/// request, and any of these the library refuses, goes on to the router unchanged.
///
/// Why: the socket's latency target. Hummingbird hands each request to a Swift task through
/// `NIOAsyncChannel` and writes the response back through an async writer; around a 100,000 x 384
/// scan (which streams the caches out) the socket's share of a request measured 0.38-0.44 ms that
/// way on the 2-core VM, 0.23-0.25 ms through this handler, 0.19-0.20 ms in a plain NIO server
/// (benchmarks/RESULTS.md, "Socket API").
/// The hot route's request and response bytes are the router's (same parsing code, same JSON); it
/// sits right after HTTP decoding (``CasebookHTTP1Channel``), before the conversion to
/// Hummingbird's HTTP types, on the event loop that runs the router's handlers too.
///
/// Order and shutdown stay the router's: the fast path answers only while no request handed to the
/// router is waiting for its response (so pipelined responses keep their order), and a quiesce
/// event (graceful shutdown) that arrives while it holds a request's head and body waits until
/// that request is answered.
final class BinarySearchFastPath: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    private let casebook: Casebook
    private let limit: Int
    private let serverName: String

    private enum State {
        case idle
        /// A fast-path candidate: its head and the body so far, held back from the router.
        case holding(HTTPRequestHead, collection: String, body: ByteBuffer)
        /// A request going to the router, part by part.
        case forwarding
    }

    private var state = State.idle
    /// Requests handed to the router whose response has not ended yet.
    private var routerRequests = 0
    private var heldQuiesce: Any?
    /// `Date` header of the current second, made once a second per connection.
    private var dateSecond = Int64.min
    private var dateHeader = ""

    init(casebook: Casebook, limit: Int, serverName: String) {
        self.casebook = casebook
        self.limit = limit
        self.serverName = serverName
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch (unwrapInboundIn(data), state) {
        case (.head(let head), _):
            if routerRequests == 0, let name = Self.candidate(head) {
                state = .holding(head, collection: name, body: context.channel.allocator.buffer(capacity: 4096))
            } else {
                forward(.head(head), context: context)
            }
        case (.body(var chunk), .holding(let head, let name, var body)):
            guard body.readableBytes + chunk.readableBytes <= limit else {
                // Over the limit: the router refuses it with its documented 413.
                release(head, body, context: context)
                context.fireChannelRead(wrapInboundOut(.body(chunk)))
                return
            }
            state = .idle  // drop the reference so `body` stays uniquely owned while it grows
            body.writeBuffer(&chunk)
            state = .holding(head, collection: name, body: body)
        case (.end(let trailers), .holding(let head, let name, let body)):
            if !answer(head, collection: name, body: body, context: context) {
                release(head, body, context: context)
                context.fireChannelRead(wrapInboundOut(.end(trailers)))
            }
            state = .idle
            if let event = heldQuiesce {
                heldQuiesce = nil
                context.fireUserInboundEventTriggered(event)
            }
        case (let part, _):
            context.fireChannelRead(wrapInboundOut(part))
            if case .end = part { state = .idle }
        }
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data), routerRequests > 0 { routerRequests -= 1 }
        context.write(data, promise: promise)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is ChannelShouldQuiesceEvent, case .holding = state {
            heldQuiesce = event
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    /// The collection's name when `head` is a binary search this handler may answer: HTTP/1.1
    /// keep-alive without `Expect`, and a name of the characters collection names allow (anything
    /// else, percent-escapes included, is the router's to read).
    static func candidate(_ head: HTTPRequestHead) -> String? {
        guard head.method == .POST, head.version == .http1_1, head.isKeepAlive,
            head.headers.first(name: "content-type")?.hasPrefix("application/octet-stream") == true,
            !head.headers.contains(name: "expect")
        else { return nil }
        let route = head.uri.prefix { $0 != "?" }
        let parts = route.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 5, parts[0].isEmpty, parts[1] == "v1", parts[2] == "collections", parts[4] == "search",
            !parts[3].isEmpty,
            parts[3].utf8.allSatisfy({ byte in
                (byte >= 0x30 && byte <= 0x39) || (byte | 0x20 >= 0x61 && byte | 0x20 <= 0x7A) || byte == 0x2D || byte == 0x5F
                    || byte == 0x2E
            })
        else { return nil }
        return String(parts[3])
    }

    /// Runs the search and writes its response; false (nothing written) when the request is
    /// refused, for the router to answer with its documented error.
    private func answer(_ head: HTTPRequestHead, collection name: String, body: ByteBuffer, context: ChannelHandlerContext) -> Bool {
        let started = ContinuousClock.now
        let parameters = URI(head.uri).queryParameters
        guard let request = try? SearchController.binary(parameters: parameters, body: body) else { return false }
        let response: SearchResponse
        do {
            response = try casebook.collection(name).search(request)
        } catch {
            return false
        }
        let json = response.jsonBytes
        var headers = HTTPHeaders()
        headers.reserveCapacity(6)
        headers.add(name: "Content-Type", value: "application/json")
        headers.add(name: "Content-Length", value: String(json.count))
        headers.add(name: "Server-Timing", value: SearchController.handlerDuration(ContinuousClock.now - started))
        headers.add(name: "Date", value: currentDate())
        headers.add(name: "Server", value: serverName)
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: headers))), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(bytes: json)))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        return true
    }

    /// Hands a held request's head and body to the router.
    private func release(_ head: HTTPRequestHead, _ body: ByteBuffer, context: ChannelHandlerContext) {
        forward(.head(head), context: context)
        if body.readableBytes > 0 { context.fireChannelRead(wrapInboundOut(.body(body))) }
    }

    private func forward(_ head: HTTPServerRequestPart, context: ChannelHandlerContext) {
        routerRequests += 1
        state = .forwarding
        context.fireChannelRead(wrapInboundOut(head))
    }

    private func currentDate() -> String {
        let now = Date()
        let second = Int64(now.timeIntervalSince1970.rounded(.down))
        if second != dateSecond {
            dateSecond = second
            dateHeader = Timestamp.httpDate(now)
        }
        return dateHeader
    }
}
