import Foundation

/// The repository's folders, for tests that read committed files (fixtures, documents, sources).
enum Repository {
    /// This file is Tests/CasebookTests/Support/Repository.swift.
    static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func path(_ relative: String) -> URL { root.appendingPathComponent(relative) }
}
