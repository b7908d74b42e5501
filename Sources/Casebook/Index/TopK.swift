/// The k largest similarities seen so far: a bounded min-heap whose root is the current k-th best.
///
/// Storage is allocated once at `init`; `push` never allocates. Candidates are offered only when
/// they beat ``threshold``, which keeps the scan's inner loop a single comparison.
package struct TopK {
    let k: Int
    private(set) var similarities: [Float]
    private(set) var rows: [Int32]
    private(set) var count = 0

    package init(k: Int) {
        self.k = k
        similarities = [Float](repeating: 0, count: k)
        rows = [Int32](repeating: 0, count: k)
    }

    /// A candidate must be strictly greater than this to enter.
    package var threshold: Float { count < k ? -.infinity : similarities[0] }

    package mutating func push(_ similarity: Float, row: Int32) {
        if count < k {
            var child = count
            count += 1
            while child > 0 {
                let parent = (child - 1) / 2
                if similarities[parent] <= similarity { break }
                similarities[child] = similarities[parent]
                rows[child] = rows[parent]
                child = parent
            }
            similarities[child] = similarity
            rows[child] = row
        } else if similarity > similarities[0] {
            siftDownFromRoot(similarity, row)
        }
    }

    private mutating func siftDownFromRoot(_ similarity: Float, _ row: Int32) {
        var parent = 0
        while true {
            var child = 2 * parent + 1
            if child >= count { break }
            if child + 1 < count, similarities[child + 1] < similarities[child] { child += 1 }
            if similarities[child] >= similarity { break }
            similarities[parent] = similarities[child]
            rows[parent] = rows[child]
            parent = child
        }
        similarities[parent] = similarity
        rows[parent] = row
    }

    /// (similarity, row) pairs, best first; ties by row so equal input gives equal order.
    package func sortedDescending() -> [(similarity: Float, row: Int32)] {
        (0..<count).map { (similarities[$0], rows[$0]) }.sorted {
            $0.similarity != $1.similarity ? $0.similarity > $1.similarity : $0.row < $1.row
        }
    }
}
