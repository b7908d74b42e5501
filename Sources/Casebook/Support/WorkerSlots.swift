/// One slot per worker (or per item) of a `DispatchQueue.concurrentPerform`: each worker writes
/// only its own slots, and the caller reads them after every worker has returned.
///
/// `@unchecked Sendable`: the slots live in one allocation written through a pointer, so two
/// workers writing different slots never access the same memory, and nothing reads a slot until
/// `concurrentPerform` has returned (which orders every write before the reads).
final class WorkerSlots<Value>: @unchecked Sendable {
    private let slots: UnsafeMutableBufferPointer<Value>

    init(count: Int, initial: Value) {
        slots = .allocate(capacity: count)
        slots.initialize(repeating: initial)
    }

    deinit {
        slots.deinitialize()
        slots.deallocate()
    }

    func store(_ index: Int, _ value: Value) { slots[index] = value }

    /// Every slot, in order (after the workers have returned).
    var values: [Value] { Array(slots) }
}
