import Dispatch
import Synchronization

/// Runs `produce` for a scrape, sharing one run among scrapes that overlap
/// (single flight): a scrape that arrives while a run is under way waits
/// for that run and takes its result. Ten scrapers then cost one read of
/// the maps, not ten.
///
/// `produce` does blocking syscalls (bpf(2) map lookups), so it runs on a
/// queue of its own: never on a NIO event loop, which would stall every
/// connection of that loop, nor on the Swift cooperative pool, which has a
/// thread per core and nothing to spare.
final class ScrapeCoalescer<Value: Sendable>: Sendable {
    private let produce: @Sendable () -> Value
    private let queue = DispatchQueue(label: "vtap.exporter.map-read")
    /// Scrapes waiting for the run under way; nil when none is.
    private let waiting = Mutex<[CheckedContinuation<Value, Never>]?>(nil)

    init(produce: @escaping @Sendable () -> Value) {
        self.produce = produce
    }

    func next() async -> Value {
        await withCheckedContinuation { continuation in
            let startsRun = waiting.withLock { waiting in
                if waiting != nil {
                    waiting!.append(continuation)
                    return false
                }
                waiting = [continuation]
                return true
            }
            if startsRun { queue.async { self.run() } }
        }
    }

    private func run() {
        let value = produce()
        let waiters = waiting.withLock { waiting in
            defer { waiting = nil }
            return waiting ?? []
        }
        for waiter in waiters { waiter.resume(returning: value) }
    }
}
