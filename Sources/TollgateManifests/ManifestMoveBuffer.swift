/// A growable buffer whose elements are moved, never copied, between buffers and into the final
/// array: the streaming readers lay a collection's children out by moving them from the pending
/// stack, so building a tree retains and releases nothing per value. Single-threaded, owned by
/// one reader; everything left in it is destroyed with it.
final class ManifestMoveBuffer<Element> {
    private var base: UnsafeMutablePointer<Element>
    private var capacity: Int
    private(set) var count = 0

    init(capacity: Int) {
        self.capacity = max(capacity, 4)
        base = .allocate(capacity: self.capacity)
    }

    deinit {
        base.deinitialize(count: count)
        base.deallocate()
    }

    var isEmpty: Bool { count == 0 }

    subscript(index: Int) -> Element {
        get {
            precondition(index >= 0 && index < count)
            return base[index]
        }
        set {
            precondition(index >= 0 && index < count)
            base[index] = newValue
        }
    }

    func append(_ element: consuming Element) {
        reserve(count + 1)
        (base + count).initialize(to: element)
        count += 1
    }

    /// Moves `other`'s elements from `start` on to the end of this buffer.
    func moveAppend(from other: ManifestMoveBuffer<Element>, start: Int) {
        precondition(other !== self && start >= 0 && start <= other.count)
        let n = other.count - start
        reserve(count + n)
        (base + count).moveInitialize(from: other.base + start, count: n)
        count += n
        other.count = start
    }

    /// The elements from `start` on, moved out into an array.
    func moveOut(from start: Int) -> [Element] {
        precondition(start >= 0 && start <= count)
        let n = count - start
        guard n > 0 else { return [] }
        let out = [Element](unsafeUninitializedCapacity: n) { buffer, initialized in
            buffer.baseAddress!.moveInitialize(from: base + start, count: n)
            initialized = n
        }
        count = start
        return out
    }

    /// Whether any element from `start` on satisfies `predicate`.
    func contains(from start: Int, where predicate: (Element) -> Bool) -> Bool {
        var i = start
        while i < count {
            if predicate(base[i]) { return true }
            i += 1
        }
        return false
    }

    private func reserve(_ needed: Int) {
        guard needed > capacity else { return }
        let newCapacity = max(needed, 2 * capacity)
        let grown = UnsafeMutablePointer<Element>.allocate(capacity: newCapacity)
        grown.moveInitialize(from: base, count: count)
        base.deallocate()
        base = grown
        capacity = newCapacity
    }
}
