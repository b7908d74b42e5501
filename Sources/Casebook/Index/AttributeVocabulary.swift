/// Interns the filterable text values (one dictionary per field of
/// ``PrecedentField/filterableTexts``) and tags to small integers, so a filter check in the scan is
/// an integer comparison. Codes are never reused within an index's lifetime.
struct AttributeVocabulary: Sendable {
    private(set) var texts: [[String: Int32]] = Array(repeating: [:], count: AttributeVocabulary.textWidth)
    private(set) var tags: [String: Int32] = [:]

    /// Code meaning "no value".
    static let none: Int32 = -1

    /// Filterable text fields per row.
    static let textWidth = PrecedentField.filterableTexts.count

    mutating func textCode(_ field: Int, _ value: String?) -> Int32 {
        guard let value else { return AttributeVocabulary.none }
        if let code = texts[field][value] { return code }
        let code = Int32(texts[field].count)
        texts[field][value] = code
        return code
    }

    /// The codes of one row's filterable text values, in field order.
    mutating func textCodes(_ values: [String?]) -> [Int32] {
        values.indices.map { textCode($0, values[$0]) }
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
