import HTTPTypes

/// The served routes as path patterns, to tell a path nothing serves (404 `no_route`) from a known
/// path asked with a method it does not serve (405 `method_not_allowed`, with `Allow`).
struct RouteTable: Sendable {
    private struct Route: Sendable {
        let method: HTTPRequest.Method
        /// The path's segments; `{name}` (or `:name`) matches any one segment.
        let segments: [String]
    }

    private let routes: [Route]

    /// From `METHOD`, `/path/{parameter}` pairs.
    init(_ served: [(method: HTTPRequest.Method, path: String)]) {
        routes = served.map { Route(method: $0.method, segments: Self.segments(of: $0.path)) }
    }

    /// The methods served at `path`, in a fixed order (empty: no route has this path).
    func methods(at path: String) -> [HTTPRequest.Method] {
        let asked = Self.segments(of: path)
        let found = routes.filter { route in
            route.segments.count == asked.count
                && zip(route.segments, asked).allSatisfy { pattern, segment in Self.isParameter(pattern) || pattern == segment }
        }
        var methods: [HTTPRequest.Method] = []
        for route in found where !methods.contains(route.method) { methods.append(route.method) }
        return methods.sorted { $0.rawValue < $1.rawValue }
    }

    private static func segments(of path: String) -> [String] {
        path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
    }

    private static func isParameter(_ segment: String) -> Bool {
        segment.hasPrefix(":") || (segment.hasPrefix("{") && segment.hasSuffix("}"))
    }
}
