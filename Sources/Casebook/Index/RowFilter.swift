/// A ``SearchFilter`` compiled against one index's vocabulary and one tenant's slab: integer and
/// float comparisons only, evaluated per row in the scan (only for rows that would enter the top-k,
/// so an unselective filter costs almost nothing and a selective one never loses results).
struct RowFilter {
    /// (field, code) pairs every passing row carries (fields of ``PrecedentField/filterableTexts``).
    private let texts: [(field: Int, code: Int32)]
    private let requiredTags: [Int32]
    private let success: Int8?
    /// Whether the row's success must be known (true) or unknown (false).
    private let known: Bool?
    private let since: Double
    private let until: Double
    private let excludedRows: Set<Int32>
    /// The filter names a category or tag that no row has ever carried.
    let matchesNothing: Bool
    let isTrivial: Bool

    init(_ filter: SearchFilter, vocabulary: AttributeVocabulary, slab: TenantSlab) {
        var impossible = false
        var texts: [(field: Int, code: Int32)] = []
        for (field, description) in PrecedentField.filterableTexts.enumerated() {
            guard let value = filter[text: description] else { continue }
            if let code = vocabulary.texts[field][value] { texts.append((field, code)) } else { impossible = true }
        }
        self.texts = texts
        var tags: [Int32] = []
        for name in filter.tags {
            if let code = vocabulary.tags[name] { tags.append(code) } else { impossible = true }
        }
        requiredTags = Array(Set(tags)).sorted()
        success = filter.wasSuccessful.map { $0 ? 1 : 0 }
        known = filter.outcomeKnown
        if filter.wasSuccessful != nil, filter.outcomeKnown == false { impossible = true }
        since = filter.since?.timeIntervalSince1970 ?? -.infinity
        until = filter.until?.timeIntervalSince1970 ?? .infinity
        excludedRows = Set(filter.excludeIds.compactMap { slab.row(of: $0) })
        if since >= until { impossible = true }
        matchesNothing = impossible
        isTrivial = !impossible && texts.isEmpty && requiredTags.isEmpty && success == nil && known == nil
            && since == -.infinity && until == .infinity && excludedRows.isEmpty
    }

    @inline(__always)
    func passes(_ row: Int, in slab: TenantSlab) -> Bool {
        if isTrivial { return true }
        for text in texts where slab.textCodes[row * AttributeVocabulary.textWidth + text.field] != text.code { return false }
        if let success, slab.successes[row] != success { return false }
        if let known, (slab.successes[row] >= 0) != known { return false }
        let createdAt = slab.createdAts[row]
        if createdAt < since || createdAt >= until { return false }
        if !requiredTags.isEmpty, !RowFilter.containsAll(slab.tags[row], requiredTags) { return false }
        if !excludedRows.isEmpty, excludedRows.contains(Int32(row)) { return false }
        return true
    }

    /// Both arrays sorted ascending.
    private static func containsAll(_ have: [Int32], _ need: [Int32]) -> Bool {
        var i = 0
        for code in need {
            while i < have.count, have[i] < code { i += 1 }
            if i == have.count || have[i] != code { return false }
            i += 1
        }
        return true
    }
}
