import VtapMetrics

/// The totals at one reporting interval's edges and at its jitter window's,
/// for an observer to turn into rates, jitter and a report.
public struct IntervalEdges: Sendable {
    /// Totals when the interval began and when it ended.
    public var from: MeasurementTotals
    public var to: MeasurementTotals
    public var seconds: Double
    /// The last completed jitter window (equal totals when none has completed).
    public var jitterFrom: MeasurementTotals
    public var jitterTo: MeasurementTotals
    /// When the interval ended: wall clock live, capture time in replay.
    public var end: ReportTime
    /// The whole run's summary rather than one interval.
    public var isSummary: Bool
}
