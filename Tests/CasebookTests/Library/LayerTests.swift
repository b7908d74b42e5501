import Foundation
import Testing

/// The library's folders are layers (README, Architecture): a file may name types of its own
/// layer and of the layers it is allowed to use, never one above. Checked from the source text:
/// every top-level type is owned by the layer whose folder declares it, and every capitalised
/// identifier a file uses (outside comments and string literals) is looked up there.
@Suite struct LayerTests {
    /// What each layer of `Sources/Casebook` may use besides itself, bottom up.
    static let allowed: [String: Set<String>] = [
        "Support": [],
        "Model": ["Support"],
        "Embedding": ["Model", "Support"],
        "Index": ["Model", "Support"],
        "Store": ["Model", "Support"],
        "Matches": ["Store", "Model", "Support"],
        "Facade": ["Matches", "Store", "Embedding", "Index", "Model", "Support"],
    ]

    static let sources = Repository.path("Sources")

    struct SourceFile {
        /// Path under the target's folder, e.g. `Index/FlatIndex.swift`.
        var path: String
        var text: String
        var layer: String { String(path.prefix { $0 != "/" }) }
    }

    struct Violation: CustomStringConvertible, Equatable {
        var file: String
        var type: String
        var owner: String
        var description: String { "\(file) uses \(type) of \(owner)" }
    }

    static func files(of target: String) throws -> [SourceFile] {
        let root = sources.appendingPathComponent(target)
        let enumerator = FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil)
        var found: [SourceFile] = []
        while let url = enumerator?.nextObject() as? URL {
            guard url.pathExtension == "swift" else { continue }
            let path = String(url.standardizedFileURL.path.dropFirst(root.standardizedFileURL.path.count + 1))
            found.append(SourceFile(path: path, text: try String(contentsOf: url, encoding: .utf8)))
        }
        return found.sorted { $0.path < $1.path }
    }

    /// Top-level type declarations (not indented): `struct X`, `public final class X`, `enum X`, ...
    static var declaration: Regex<(Substring, Substring)> { #/^(?:@\w+(?:\([^)\n]*\))?\s+)*(?:(?:public|package|internal|private|fileprivate|final|indirect)\s+)*(?:struct|class|enum|protocol|actor|typealias)\s+([A-Z]\w*)/#
        .anchorsMatchLineEndings() }

    /// A member declared `package` directly inside a type or extension.
    static var packageMember: Regex<(Substring, Substring)> {
        #/^    (?:@\w+\s+)*package\s+(?:(?:static|final|mutating)\s+)*(?:func|var|let)\s+(\w+)/#
    }

    /// What the library declares `package` (visible to the package's other targets, for the
    /// benchmark target only): top-level types, and members of its public types.
    static func packageNames(_ files: [SourceFile]) -> Set<String> {
        var publicTypes: Set<String> = []
        for file in files {
            for line in code(file.text).split(separator: "\n") where line.hasPrefix("public ") {
                if let match = line.firstMatch(of: declaration) { publicTypes.insert(String(match.output.1)) }
            }
        }
        var names: Set<String> = []
        for file in files {
            var enclosingIsPublic = false
            for line in code(file.text).split(separator: "\n") {
                if let first = line.first, !first.isWhitespace, first != "}" {
                    if line.hasPrefix("package "), let match = line.firstMatch(of: declaration) {
                        names.insert(String(match.output.1))
                    }
                    let extended = line.firstMatch(of: #/^extension\s+(\w+)/#).map { String($0.output.1) }
                    enclosingIsPublic = line.hasPrefix("public ") || extended.map(publicTypes.contains) == true
                } else if enclosingIsPublic, let match = line.firstMatch(of: packageMember) {
                    names.insert(String(match.output.1))
                }
            }
        }
        return names
    }

    /// The text without comments and string literals (interpolations included), so that prose
    /// never counts as a use. Line breaks are kept.
    static func code(_ text: String) -> String {
        let scalars = Array(text.unicodeScalars)
        var out = String.UnicodeScalarView()
        var i = 0
        func at(_ j: Int) -> Unicode.Scalar? { j < scalars.count ? scalars[j] : nil }
        while i < scalars.count {
            let c = scalars[i]
            if c == "/", at(i + 1) == "/" {
                while i < scalars.count, scalars[i] != "\n" { i += 1 }
            } else if c == "/", at(i + 1) == "*" {
                var depth = 0
                repeat {
                    if scalars[i] == "/", at(i + 1) == "*" { depth += 1; i += 2 }
                    else if scalars[i] == "*", at(i + 1) == "/" { depth -= 1; i += 2 }
                    else { if scalars[i] == "\n" { out.append("\n") }; i += 1 }
                } while depth > 0 && i < scalars.count
            } else if c == "\"", at(i + 1) == "\"", at(i + 2) == "\"" {
                i += 3
                while i < scalars.count, !(scalars[i] == "\"" && at(i + 1) == "\"" && at(i + 2) == "\"") {
                    if scalars[i] == "\n" { out.append("\n") }
                    i += scalars[i] == "\\" ? 2 : 1
                }
                i += 3
                out.append(" ")
            } else if c == "\"" {
                i += 1
                while i < scalars.count, scalars[i] != "\"", scalars[i] != "\n" { i += scalars[i] == "\\" ? 2 : 1 }
                i += 1
                out.append(" ")
            } else {
                out.append(c)
                i += 1
            }
        }
        return String(out)
    }

    static func identifiers(_ code: String) -> Set<String> {
        // Whole runs of word characters (Regex's default `\b` follows Unicode word rules, which do
        // not break "Casebook.workerThreads").
        Set(code.matches(of: #/\w+/#).map { String($0.output) }.filter { $0.first!.isUppercase })
    }

    /// Every use of a type from a layer the file's own layer may not use.
    static func violations(_ files: [SourceFile]) -> [Violation] {
        var owner: [String: String] = [:]
        for file in files {
            for match in code(file.text).matches(of: declaration) { owner[String(match.output.1)] = file.layer }
        }
        var found: [Violation] = []
        for file in files {
            let allowed = (Self.allowed[file.layer] ?? []).union([file.layer])
            for name in identifiers(code(file.text)).sorted() {
                if let layer = owner[name], !allowed.contains(layer) {
                    found.append(Violation(file: file.path, type: name, owner: layer))
                }
            }
        }
        return found
    }

    @Test func everyFolderIsALayer() throws {
        let files = try Self.files(of: "Casebook")
        #expect(files.count > 80)
        let layers = Set(files.map(\.layer))
        #expect(layers == Set(Self.allowed.keys), "folders of Sources/Casebook: \(layers.sorted())")
    }

    @Test func noFileUsesALayerAboveIt() throws {
        let violations = Self.violations(try Self.files(of: "Casebook"))
        #expect(violations.isEmpty, "\(violations.map(\.description).joined(separator: "\n"))")
    }

    /// The check itself: a back-reference added to a real file is caught, and comments and
    /// strings naming a higher layer's type are not uses.
    @Test func aBackReferenceIsCaught() throws {
        var files = try Self.files(of: "Casebook")
        let slab = try #require(files.firstIndex { $0.path == "Index/TenantSlab.swift" })
        files[slab].text += """

            // Casebook.workerThreads in a comment is no use; "Casebook" in a string neither.
            let label = "MatchLog \\(1) PrecedentCollection"
            """
        #expect(Self.violations(files).isEmpty)
        files[slab].text += "\nlet threads = Casebook.workerThreads\n"
        #expect(Self.violations(files) == [Violation(file: "Index/TenantSlab.swift", type: "Casebook", owner: "Facade")])
        let spec = try #require(files.firstIndex { $0.path == "Model/CollectionSpec.swift" })
        files[spec].text += "\nextension CollectionSpec { var store: SQLiteStore? { nil } }\n"
        #expect(Self.violations(files).contains(Violation(file: "Model/CollectionSpec.swift", type: "SQLiteStore", owner: "Store")))
    }

    /// The server, the MCP tools and the CLI use the library's public API only: nothing it declares `package`
    /// (for the benchmark target) is named there.
    @Test func serverAndCommandsUseThePublicAPIOnly() throws {
        let packageNames = Self.packageNames(try Self.files(of: "Casebook"))
        #expect(packageNames.isSuperset(of: ["MatchLog", "KMeans", "withTenantVectors", "recordID"]), "\(packageNames.sorted())")
        #expect(!packageNames.contains("dimension"), "a member of a package type counted: \(packageNames.sorted())")
        for target in ["CasebookServer", "CasebookMCP", "casebook"] {
            for file in try Self.files(of: target) {
                let code = Self.code(file.text)
                let used = Set(code.matches(of: #/\w+/#).map { String($0.output) }).intersection(packageNames)
                #expect(used.isEmpty, "\(target)/\(file.path) uses \(used.sorted())")
            }
        }
    }
}
