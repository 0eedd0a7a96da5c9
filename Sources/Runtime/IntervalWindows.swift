/// Where reporting intervals and jitter windows end, on one timeline in
/// nanoseconds (the monotonic clock live, capture time in replay). Pure, so
/// live runs and replays cut time the same way.
public struct IntervalWindows: Sendable, Equatable {
    public enum Boundary: Sendable, Equatable {
        /// A jitter window ends here: jitter of later reports covers it.
        case jitter(at: UInt64)
        /// A reporting interval ends here.
        case report(at: UInt64)

        public var time: UInt64 {
            switch self {
            case .jitter(let at), .report(let at): at
            }
        }
    }

    public let start: UInt64
    public let reportNanoseconds: UInt64
    public let jitterNanoseconds: UInt64
    public private(set) var nextReport: UInt64
    public private(set) var nextJitter: UInt64

    public init(start: UInt64, reportSeconds: Double, jitterSeconds: Double) {
        self.start = start
        reportNanoseconds = max(1, UInt64(reportSeconds * 1e9))
        jitterNanoseconds = max(1, UInt64(jitterSeconds * 1e9))
        nextReport = start + reportNanoseconds
        nextJitter = start + jitterNanoseconds
    }

    /// The boundaries at or before `now` not yet passed, in time order; a
    /// jitter window that ends with a report interval comes first.
    public mutating func advance(to now: UInt64) -> [Boundary] {
        var passed: [Boundary] = []
        while min(nextReport, nextJitter) <= now {
            if nextJitter <= nextReport {
                passed.append(.jitter(at: nextJitter))
                nextJitter += jitterNanoseconds
            } else {
                passed.append(.report(at: nextReport))
                nextReport += reportNanoseconds
            }
        }
        return passed
    }

    /// The next time anything ends.
    public var nextBoundary: UInt64 { min(nextReport, nextJitter) }

    /// Jumps every boundary to the first after `now` on its own grid,
    /// passing none: for a stretch of time with nothing in it. Returns
    /// where the report interval holding `now` began.
    public mutating func skip(past now: UInt64) -> UInt64 {
        guard now >= start else { return start }
        let reports = (now - start) / reportNanoseconds
        nextReport = start + (reports + 1) * reportNanoseconds
        nextJitter = start + ((now - start) / jitterNanoseconds + 1) * jitterNanoseconds
        return start + reports * reportNanoseconds
    }
}
