import Foundation
import VtapMetrics
import VtapSystem

extension MonotonicClock {
    /// What to add to a reading of this clock to get nanoseconds since the
    /// epoch: the wall clock read between two readings of this one.
    public static func epochOffset() -> Int64 {
        let before = now
        let wall = ReportTime.now().nanosecondsSinceEpoch
        let after = now
        return wall - Int64(before / 2 + after / 2)
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
