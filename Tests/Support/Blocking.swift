import Foundation

/// Blocking work (sockets, `MetricsServer.start`) on threads of its own:
/// tests run on the Swift concurrency pool, a thread per core, which the
/// server under test needs for itself. A test that blocked a pool thread
/// while waiting for the server could wait forever.
public enum Blocking {
    /// `body` on a new thread; its result once done.
    public static func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            let thread = Thread { continuation.resume(with: Result { try body() }) }
            thread.start()
        }
    }

    /// `body(0)`, …, `body(count - 1)`, each on a thread of its own, all at once.
    public static func concurrently<T: Sendable>(_ count: Int, _ body: @escaping @Sendable (Int) -> T) async -> [T] {
        await withCheckedContinuation { continuation in
            let results = ResultSlots<T>(count)
            let group = DispatchGroup()
            for index in 0..<count {
                group.enter()
                let thread = Thread {
                    results.set(index, body(index))
                    group.leave()
                }
                thread.stackSize = 512 * 1024
                thread.start()
            }
            group.notify(queue: .global()) { continuation.resume(returning: results.all) }
        }
    }
}

/// One slot per thread.
private final class ResultSlots<T: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var slots: [T?]

    init(_ count: Int) { slots = Array(repeating: nil, count: count) }

    func set(_ index: Int, _ value: T) { lock.withLock { slots[index] = value } }

    var all: [T] { lock.withLock { slots.map { $0! } } }
}
