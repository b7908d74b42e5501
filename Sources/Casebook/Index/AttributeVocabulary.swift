/// Interns category and tag strings to small integers, so a filter check in the scan is an
/// integer comparison. Codes are never reused within an index's lifetime.
struct AttributeVocabulary: Sendable {
    private(set) var categories: [String: Int32] = [:]
    private(set) var tags: [String: Int32] = [:]

    /// Code meaning "no category".
    static let none: Int32 = -1

    mutating func categoryCode(_ name: String?) -> Int32 {
        guard let name else { return AttributeVocabulary.none }
        if let code = categories[name] { return code }
        let code = Int32(categories.count)
        categories[name] = code
        return code
    }

    /// Sorted, unique codes, so "has all of" is a merge.
    mutating func tagCodes(_ names: [String]) -> [Int32] {
        guard !names.isEmpty else { return [] }
        var codes: [Int32] = []
        codes.reserveCapacity(names.count)
        for name in names {
            if let code = tags[name] {
                codes.append(code)
            } else {
                let code = Int32(tags.count)
                tags[name] = code
                codes.append(code)
            }
        }
        codes.sort()
        return codes
    }
}
