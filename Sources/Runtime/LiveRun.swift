import Foundation
import VtapMetrics

/// Reads a live measurement on a schedule and reports each interval, until
/// a signal or the end of its duration; then detaches and reports the last
/// partial interval and the summary.
public enum LiveRun {
    public struct Options: Sendable {
        public var reportSeconds: Double
        public var jitterSeconds: Double
        /// Stop by itself after this long.
        public var duration: Double?

        public init(reportSeconds: Double = 1, jitterSeconds: Double = 1, duration: Double? = nil) {
            self.reportSeconds = reportSeconds
            self.jitterSeconds = jitterSeconds
            self.duration = duration
        }
    }

    /// Counter reads happen at least this often: a map's sum of squares may
    /// gain up to ~4.6e18 ns² a second and wraps at 2^64.
    static let maximumReadGap: UInt64 = 1_000_000_000

    public static func run(
        _ live: LiveMeasurement, options: Options, observer: MeasurementObserver, stop: StopRequest
    ) throws {
        let start = MonotonicClock.now
        var timeline = MeasurementTimeline(
            ruleCount: live.object.manifest.rules.count, start: start, reportSeconds: options.reportSeconds,
            jitterSeconds: options.jitterSeconds, origin: ReportTime.now())
        let deadline = options.duration.map { start + UInt64($0 * 1e9) }
        var lastRead = start
        defer { live.detach() }

        while true {
            var wake = min(timeline.nextBoundary, lastRead + maximumReadGap)
            if let deadline { wake = min(wake, deadline) }
            stop.wait(untilMonotonic: wake)
            let now = MonotonicClock.now
            timeline.record(try live.snapshots(), at: now)
            lastRead = now
            let finished = stop.isRequested || deadline.map { now >= $0 } == true
            for interval in timeline.intervalsEnded(by: now) { try observer.measured(interval) }
            if finished {
                live.detach()
                let end = timeline.finish(at: now)
                if let partial = end.partial, worthReporting(partial, options) { try observer.measured(partial) }
                try observer.measured(end.summary)
                return
            }
        }
    }

    /// A sliver of an interval (the run stopped just after a boundary) with
    /// nothing in it would only show rates over microseconds.
    static func worthReporting(_ partial: IntervalTotals, _ options: Options) -> Bool {
        partial.seconds >= options.reportSeconds / 100 || partial.to != partial.from
    }
}

/// The monotonic clock the kernel's bpf_ktime_get_ns() also reads.
public enum MonotonicClock {
    public static var now: UInt64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
    }
}

extension ReportTime {
    /// The system's wall clock now, for the times reports print.
    public static func now() -> ReportTime {
        var time = timespec()
        clock_gettime(CLOCK_REALTIME, &time)
        return ReportTime(nanosecondsSinceEpoch: Int64(time.tv_sec) * 1_000_000_000 + Int64(time.tv_nsec))
    }
}

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
