import Foundation
import VtapMetrics
import VtapSystem

/// SIGINT and SIGTERM ask a run to stop; waiting wakes up when they do.
public final class StopRequest: @unchecked Sendable {
    private let stopped = MonotonicLatch()
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

    public func request() { stopped.open() }

    public var isRequested: Bool { stopped.isOpen }

    /// Sleeps until the monotonic time `deadline`, or until a stop request.
    public func wait(untilMonotonic deadline: UInt64) { stopped.wait(untilMonotonic: deadline) }
}
