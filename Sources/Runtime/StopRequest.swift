import Foundation
import VtapMetrics

/// SIGINT and SIGTERM ask a run to stop; waiting wakes up when they do.
public final class StopRequest: @unchecked Sendable {
    private let semaphore = DispatchSemaphore(value: 0)
    private let lock = NSLock()
    private var requested = false
    private var sources: [DispatchSourceSignal] = []

    public init(signals: [Int32] = [SIGINT, SIGTERM]) {
        for number in signals {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { [weak self] in self?.request() }
            source.resume()
            sources.append(source)
        }
    }

    deinit { sources.forEach { $0.cancel() } }

    public func request() {
        lock.withLock { requested = true }
        semaphore.signal()
    }

    public var isRequested: Bool { lock.withLock { requested } }

    /// Sleeps until the monotonic time `deadline`, or until a stop request.
    public func wait(untilMonotonic deadline: UInt64) {
        let now = MonotonicClock.now
        guard deadline > now, !isRequested else { return }
        _ = semaphore.wait(timeout: .now() + .nanoseconds(Int(min(deadline - now, UInt64(Int.max)))))
    }
}
