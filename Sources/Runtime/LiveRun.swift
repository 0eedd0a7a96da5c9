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

    public static func run(_ measurement: LiveTotals, observer: MeasurementObserver, stop: StopRequest) throws {
        let options = measurement.options
        let deadline = options.duration.map { measurement.start + UInt64($0 * 1e9) }
        var lastRead = measurement.start
        defer { measurement.detach() }

        while true {
            var wake = min(measurement.nextBoundary, lastRead + maximumReadGap)
            if let deadline { wake = min(wake, deadline) }
            stop.wait(untilMonotonic: wake)
            let now = MonotonicClock.now
            let finished = stop.isRequested || deadline.map { now >= $0 } == true
            for interval in try measurement.intervalsEnded(readingAt: now) { try observer.measured(interval) }
            lastRead = now
            if finished {
                let end = measurement.finish(at: now)
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

/// A live measurement and its timeline, shared by the run loop and by
/// readers on other threads (the exporter, at scrape time). Map reads and
/// the totals go through one lock, so a scrape's read and the loop's read
/// never interleave and the interval edges stay where the loop put them.
public final class LiveTotals: @unchecked Sendable {
    public let options: LiveRun.Options
    public let interfaceNames: [String]
    let start: UInt64
    private let live: LiveMeasurement
    private var timeline: MeasurementTimeline
    private let lock = NSLock()

    public init(_ live: LiveMeasurement, options: LiveRun.Options) {
        self.live = live
        self.options = options
        interfaceNames = live.interfaceNames
        start = MonotonicClock.now
        timeline = MeasurementTimeline(
            ruleCount: live.object.manifest.rules.count, start: start, reportSeconds: options.reportSeconds,
            jitterSeconds: options.jitterSeconds, origin: ReportTime.now())
    }

    var nextBoundary: UInt64 { lock.withLock { timeline.nextBoundary } }

    /// Reads the maps now; each interface's totals are exact to this moment,
    /// its jitter is that of the last completed window. After the run has
    /// detached, the totals it ended with.
    public func current() throws -> [(interface: String, totals: SourceTotals)] {
        try lock.withLock {
            timeline.record(try live.snapshots(), at: MonotonicClock.now)
            return interfaceNames.map { ($0, timeline.sourceTotals($0)) }
        }
    }

    /// Reads the maps at `now` and returns the intervals that ended by then.
    func intervalsEnded(readingAt now: UInt64) throws -> [IntervalTotals] {
        try lock.withLock {
            timeline.record(try live.snapshots(), at: now)
            return timeline.intervalsEnded(by: now)
        }
    }

    /// Detaches and closes the run at `now`, just after the last read.
    func finish(at now: UInt64) -> (partial: IntervalTotals?, summary: IntervalTotals) {
        lock.withLock {
            live.detach()
            return timeline.finish(at: now)
        }
    }

    /// Closes the sockets (detaching the program); idempotent.
    func detach() { lock.withLock { live.detach() } }
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
