import Foundation
import VtapMetrics
import VtapSystem

/// A live measurement and its timeline, shared by the run loop and by
/// readers on other threads (the exporter, at scrape time). Map reads and
/// the totals go through one lock, so a scrape's read and the loop's read
/// never interleave and the interval edges stay where the loop put them.
public final class LiveReader: @unchecked Sendable {
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
    public func current() throws -> [(interface: String, totals: InterfaceReading)] {
        try lock.withLock {
            timeline.record(try live.snapshots(), at: MonotonicClock.now)
            return interfaceNames.map { ($0, timeline.sourceTotals($0)) }
        }
    }

    /// A read of the maps longer than this (the reader was preempted
    /// inside it) stands for no one moment, and is taken again.
    static let longestRead: UInt64 = 1_000_000

    /// Reads the maps and returns the time the read stands for (its end)
    /// and the intervals that ended by then. A read that took longer than
    /// `longestRead` is taken again, up to three times in all: its counts
    /// could hold up to that long of packets after (or before) any one
    /// time given for it, and a live interval ends at its read.
    func readIntervals() throws -> (time: UInt64, intervals: [IntervalEdges]) {
        try lock.withLock {
            var attempts = 0
            while true {
                let started = MonotonicClock.now
                let snapshots = try live.snapshots()
                let time = MonotonicClock.now
                attempts += 1
                guard time - started > Self.longestRead, attempts < 3 else {
                    timeline.record(snapshots, at: time)
                    return (time, timeline.intervalsEnded(readAt: time))
                }
            }
        }
    }

    /// Interfaces gone from under the measurement (see LiveMeasurement).
    func vanishedInterfaces() -> [String] { lock.withLock { live.vanishedInterfaces() } }

    /// Detaches and closes the run at `now`, just after the last read.
    func finish(at now: UInt64) -> (partial: IntervalEdges?, summary: IntervalEdges) {
        lock.withLock {
            live.detach()
            return timeline.finish(at: now)
        }
    }

    /// Closes the sockets (detaching the program); idempotent.
    func detach() { lock.withLock { live.detach() } }
}
