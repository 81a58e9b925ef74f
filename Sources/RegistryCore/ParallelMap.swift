import Dispatch

/// `transform` of every index in `0..<count`, computed on every core in chunks of `chunkSize`, in
/// order. For per-record work that is independent from record to record (validating an import's rows,
/// building the rows of new records) on a two-core field laptop.
public func parallelMap<T: Sendable>(_ count: Int, chunkSize: Int = 2_048, _ transform: @Sendable (Int) -> T) -> [T] {
    guard count > chunkSize else { return (0..<count).map(transform) }
    let chunks = (count + chunkSize - 1) / chunkSize
    var results = [[T]](repeating: [], count: chunks)
    results.withUnsafeMutableBufferPointer { buffer in
        nonisolated(unsafe) let slots = buffer
        DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
            slots[chunk] = (chunk * chunkSize..<min(count, (chunk + 1) * chunkSize)).map(transform)
        }
    }
    return results.flatMap { $0 }
}
