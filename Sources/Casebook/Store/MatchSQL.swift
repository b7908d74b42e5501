/// SQL shared by both stores' match-log queries.
enum MatchSQL {
    /// The use types that count as a use (``UseType/isUse``), as an SQL list.
    static let useTypes = UseType.allCases.filter(\.isUse).map { "'\($0.rawValue)'" }.joined(separator: ", ")
}
