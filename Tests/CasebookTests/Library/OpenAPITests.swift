import Casebook
import CasebookServer
import Foundation
import Testing

/// openapi.yaml must describe exactly the routes the server serves.
@Suite struct OpenAPITests {
    static var documentURL: URL {
        Repository.path("openapi.yaml")
    }

    /// `METHOD /path` for every operation under `paths:` (two-space path keys, four-space methods).
    static func documentedRoutes() throws -> [String] {
        let text = try String(contentsOf: documentURL, encoding: .utf8)
        let methods: Set<String> = ["get", "post", "put", "patch", "delete"]
        var routes: [String] = []
        var inPaths = false
        var path: String?
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line == "paths:" { inPaths = true; continue }
            guard inPaths else { continue }
            if !line.isEmpty, !line.hasPrefix(" ") { break }  // the next top-level key
            if line.hasPrefix("  /"), line.hasSuffix(":") {
                path = String(line.dropFirst(2).dropLast())
            } else if line.hasPrefix("    "), !line.hasPrefix("     "), let path {
                let key = line.dropFirst(4).prefix { $0 != ":" }
                if methods.contains(String(key)) { routes.append("\(key.uppercased()) \(path)") }
            }
        }
        return routes.sorted()
    }

    @Test func documentMatchesServedRoutes() throws {
        let database = TemporaryDatabase()
        let server = CasebookServer(
            casebook: try Casebook(path: database.path), configuration: ServerConfiguration(socketPath: "unused"))
        let documented = try Self.documentedRoutes()
        #expect(documented.count >= 15)
        #expect(documented == server.routes)
    }

    /// The document is valid YAML to an independent parser (PyYAML), and lists the served routes.
    @Test func documentParsesAsYAMLWithTheServedRoutes() throws {
        let database = TemporaryDatabase()
        let server = CasebookServer(
            casebook: try Casebook(path: database.path), configuration: ServerConfiguration(socketPath: "unused"))
        let outcome = try TestPython.run("openapi_routes.py", [Self.documentURL.path])
        #expect(outcome.status == 0, "\(outcome.stderr)")
        #expect(outcome.stdout.split(separator: "\n").map(String.init) == server.routes)
    }

    /// The property names of a schema under `components: schemas:` (four-space schema keys,
    /// eight-space properties).
    static func properties(of schema: String) throws -> [String] {
        let text = try String(contentsOf: documentURL, encoding: .utf8)
        var inside = false
        var names: [String] = []
        for line in text.split(separator: "\n") {
            if line.hasPrefix("    "), !line.hasPrefix("     ") {
                inside = line == "    \(schema):"
            } else if inside, line.hasPrefix("        "), !line.hasPrefix("         "), line.contains(":") {
                names.append(String(line.dropFirst(8).prefix { $0 != ":" }))
            }
        }
        return names
    }

    /// The precedent's schemas list exactly the fields ``PrecedentField`` describes.
    @Test func precedentSchemasFollowTheFieldDescription() throws {
        #expect(try Self.properties(of: "Precedent") == PrecedentField.allCases.map(\.rawValue))
        #expect(try Self.properties(of: "PrecedentPatch") == PrecedentField.changeable.map(\.rawValue))
        let filter = try Self.properties(of: "Filter")
        #expect(filter.count >= 6 && Set(PrecedentField.filterableTexts.map(\.rawValue)).isSubset(of: filter))
    }
}
