import VtapMetrics

/// Turns a stream of counter reads into intervals: totals are accumulated
/// on every read (wide, so wrapping map counters stay exact), and when time
/// passes a boundary the totals there are the edges of a window.
public struct MeasurementTimeline {
    private var windows: IntervalWindows
    private var accumulator: TotalsAccumulator
    private var reportStart: (time: UInt64, totals: MeasurementTotals)
    private var jitterWindow: (from: MeasurementTotals, to: MeasurementTotals)
    /// The same window for each source alone, for exports per interface.
    private var sourceJitterWindows: [String: (from: MeasurementTotals, to: MeasurementTotals)] = [:]
    private var lastRead: UInt64
    private let firstTime: UInt64
    private let empty: MeasurementTotals
    /// Wall-clock time of `start` on the timeline, for report times.
    private let origin: ReportTime

    public init(ruleCount: Int, start: UInt64, reportSeconds: Double, jitterSeconds: Double, origin: ReportTime) {
        windows = IntervalWindows(start: start, reportSeconds: reportSeconds, jitterSeconds: jitterSeconds)
        accumulator = TotalsAccumulator(ruleCount: ruleCount)
        empty = accumulator.totals
        reportStart = (start, empty)
        jitterWindow = (empty, empty)
        lastRead = start
        firstTime = start
        self.origin = origin
    }

    public var nextBoundary: UInt64 { windows.nextBoundary }
    /// One reporting interval, in nanoseconds.
    public var reportNanoseconds: UInt64 { windows.reportNanoseconds }
    public var totals: MeasurementTotals { accumulator.totals }

    /// Adds reads taken at `time` (before any packet after `time`).
    public mutating func record(_ reads: [(source: String, snapshot: CounterSnapshot)], at time: UInt64) {
        for read in reads { accumulator.add(read.snapshot, from: read.source) }
        lastRead = max(lastRead, time)
    }

    /// The intervals that ended at or before `time`, given the totals
    /// recorded so far stand for each of their boundaries: in a replay,
    /// where they were taken before the first packet after the boundaries.
    public mutating func intervalsEnded(by time: UInt64) -> [IntervalEdges] {
        var ended: [IntervalEdges] = []
        let now = accumulator.totals
        for boundary in windows.advance(to: time) {
            switch boundary {
            case .jitter: closeJitterWindow(at: now)
            case .report(let at):
                ended.append(interval(from: reportStart, to: (at, now), jitter: jitterWindow))
                reportStart = (at, now)
            }
        }
        return ended
    }

    /// The intervals that ended by a live read at `time`: the counts were
    /// read then, not at the boundary before it (the reader wakes when the
    /// scheduler lets it, up to tens of milliseconds late on a loaded
    /// machine), so they stand for `time`. The report interval ends there
    /// and covers the time it really did, and its rates are over that time;
    /// ending it at the boundary put what arrived in between into the wrong
    /// interval (2% of a 1 s interval for a 20 ms late wake). Report
    /// boundaries passed by one read, when it is over an interval late,
    /// make one interval: there was only one read for them.
    public mutating func intervalsEnded(readAt time: UInt64) -> [IntervalEdges] {
        let now = accumulator.totals
        var reportEnded = false
        for boundary in windows.advance(to: time) {
            switch boundary {
            case .jitter: closeJitterWindow(at: now)
            case .report: reportEnded = true
            }
        }
        guard reportEnded else { return [] }
        let ended = interval(from: reportStart, to: (time, now), jitter: jitterWindow)
        reportStart = (time, now)
        return [ended]
    }

    private mutating func closeJitterWindow(at now: MeasurementTotals) {
        jitterWindow = (jitterWindow.to, now)
        for source in accumulator.sources {
            let sourceNow = accumulator.totals(of: source) ?? empty
            sourceJitterWindows[source] = (sourceJitterWindows[source]?.to ?? empty, sourceNow)
        }
    }

    /// Jumps over the report intervals that end at or before `time`'s
    /// own, passing none of them: for a stretch of capture time with no
    /// packet, once the intervals up to its start have been taken.
    /// Returns how many were passed over. Jitter starts afresh after it.
    public mutating func skipIdle(until time: UInt64) -> UInt64 {
        let pending = windows.nextReport
        let resumed = windows.skip(past: time)
        let now = accumulator.totals
        reportStart = (resumed, now)
        jitterWindow = (now, now)
        for source in accumulator.sources {
            let sourceNow = accumulator.totals(of: source) ?? empty
            sourceJitterWindows[source] = (sourceNow, sourceNow)
        }
        return resumed >= pending ? (resumed - pending) / windows.reportNanoseconds + 1 : 0
    }

    /// Each source's totals so far and its last completed jitter window
    /// (empty to empty before one completes).
    public func sourceTotals(_ source: String) -> InterfaceReading {
        let window = sourceJitterWindows[source] ?? (empty, empty)
        return InterfaceReading(
            totals: accumulator.totals(of: source) ?? empty, jitterFrom: window.from, jitterTo: window.to)
    }

    /// The last, partial interval (nil if it is empty) and the summary.
    public func finish(at time: UInt64) -> (partial: IntervalEdges?, summary: IntervalEdges) {
        let now = accumulator.totals
        var partial: IntervalEdges?
        if time > reportStart.time {
            // The jitter window still open is the freshest jitter there is.
            let open = jitterWindow.to == now ? jitterWindow : (jitterWindow.to, now)
            partial = interval(from: reportStart, to: (time, now), jitter: open)
        }
        var summary = interval(from: (firstTime, empty), to: (time, now), jitter: (empty, now))
        summary.isSummary = true
        return (partial, summary)
    }

    private func interval(
        from start: (time: UInt64, totals: MeasurementTotals), to end: (time: UInt64, totals: MeasurementTotals),
        jitter: (from: MeasurementTotals, to: MeasurementTotals)
    ) -> IntervalEdges {
        IntervalEdges(
            from: start.totals, to: end.totals, seconds: Double(end.time - start.time) / 1e9,
            jitterFrom: jitter.from, jitterTo: jitter.to,
            end: ReportTime(nanosecondsSinceEpoch: origin.nanosecondsSinceEpoch + Int64(end.time - firstTime)),
            isSummary: false)
    }
}
