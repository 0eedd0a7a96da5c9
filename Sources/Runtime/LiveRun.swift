import Foundation
import VtapMetrics
import VtapSystem

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

    /// An interface deleted (or deleted and made again) under the run is
    /// reported through `notice` once, within a second; the others go on
    /// being measured. When every interface is gone the run ends as if
    /// stopped (the last interval and the summary are reported) and then
    /// throws `RuntimeError.interface` (exit 5).
    public static func run(
        _ measurement: LiveReader, observer: MeasurementObserver, stop: StopRequest,
        notice: (String) -> Void = { _ in }
    ) throws {
        let options = measurement.options
        let deadline = options.duration.map { measurement.start + UInt64($0 * 1e9) }
        var lastRead = measurement.start
        var gone: [String] = []
        defer { measurement.detach() }

        while true {
            var wake = min(measurement.nextBoundary, lastRead + maximumReadGap)
            if let deadline { wake = min(wake, deadline) }
            stop.wait(untilMonotonic: wake)
            for name in measurement.vanishedInterfaces() where !gone.contains(name) {
                gone.append(name)
                notice("warning: interface \(name) is gone (deleted, or deleted and made again); its counts stop here")
            }
            let allGone = gone.count == measurement.interfaceNames.count
            let stopRequested = stop.isRequested
            // Intervals end at the read: its time is `now`.
            let (now, intervals) = try measurement.readIntervals()
            let finished = stopRequested || deadline.map { now >= $0 } == true || allGone
            for interval in intervals { try observer.measured(interval) }
            lastRead = now
            if finished {
                let end = measurement.finish(at: now)
                if let partial = end.partial, worthReporting(partial, options) { try observer.measured(partial) }
                try observer.measured(end.summary)
                if allGone, !stop.isRequested {
                    throw RuntimeError.interface(
                        "every interface measured is gone: \(gone.joined(separator: ", ")); the summary covers them until then"
                    )
                }
                return
            }
        }
    }

    /// A sliver of an interval (the run stopped just after a boundary) with
    /// nothing in it would only show rates over microseconds.
    static func worthReporting(_ partial: IntervalEdges, _ options: Options) -> Bool {
        partial.seconds >= options.reportSeconds / 100 || partial.to != partial.from
    }
}
