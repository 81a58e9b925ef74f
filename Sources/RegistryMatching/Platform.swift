// The C math library (log, exp, log2) and Dispatch for data-parallel loops; no Foundation.
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Dispatch

/// A fixed-size buffer that parallel workers write to at disjoint indices.
final class SharedBuffer<Element>: @unchecked Sendable {
    let pointer: UnsafeMutableBufferPointer<Element>

    init(repeating value: Element, count: Int) {
        pointer = .allocate(capacity: count)
        pointer.initialize(repeating: value)
    }

    deinit {
        pointer.deinitialize()
        pointer.deallocate()
    }

    subscript(i: Int) -> Element {
        get { pointer[i] }
        set { pointer[i] = newValue }
    }

    var array: [Element] { Array(pointer) }
}

/// Runs `body` over `count` items split in chunks, on all cores when `parallel` is true.
func forEachChunk(count: Int, chunkSize: Int, parallel: Bool, _ body: @escaping @Sendable (Int, Range<Int>) -> Void) {
    let chunks = (count + chunkSize - 1) / chunkSize
    if chunks == 0 { return }
    let run: @Sendable (Int) -> Void = { (c: Int) in body(c, (c * chunkSize)..<min(count, (c + 1) * chunkSize)) }
    if parallel && chunks > 1 {
        DispatchQueue.concurrentPerform(iterations: chunks, execute: run)
    } else {
        for c in 0..<chunks { run(c) }
    }
}

@inline(__always) func ln(_ x: Double) -> Double { log(x) }
@inline(__always) func expe(_ x: Double) -> Double { exp(x) }
@inline(__always) func lg2(_ x: Double) -> Double { log2(x) }
@inline(__always) func pow2(_ x: Double) -> Double { exp2(x) }
