/// Offers a block of similarities to a top-k heap.
///
/// Almost every candidate loses to the current k-th best, so the block is tested 16 at a time
/// (``ScanKernel/anyGreater(_:than:)``) and only groups holding a winner are walked one by one;
/// only winners pay for the filter check.
enum SelectionKernel {
    @inline(__always)
    static func offer(
        _ similarities: UnsafePointer<Float>, count n: Int, firstRow: Int, into top: inout TopK,
        passes: (Int) -> Bool
    ) {
        var threshold = top.threshold
        var i = 0
        while i + 16 <= n {
            if ScanKernel.anyGreater(similarities + i, than: threshold) {
                for j in i..<(i + 16) where similarities[j] > threshold && passes(firstRow + j) {
                    top.push(similarities[j], row: Int32(firstRow + j))
                    threshold = top.threshold
                }
            }
            i += 16
        }
        while i < n {
            if similarities[i] > threshold, passes(firstRow + i) {
                top.push(similarities[i], row: Int32(firstRow + i))
                threshold = top.threshold
            }
            i += 1
        }
    }
}
