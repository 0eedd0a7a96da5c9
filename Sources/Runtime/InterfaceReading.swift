import VtapMetrics

/// One source's (one interface's) totals since the start, with the
/// bounds of its last completed jitter window.
public struct InterfaceReading: Sendable {
    public var totals: MeasurementTotals
    public var jitterFrom: MeasurementTotals
    public var jitterTo: MeasurementTotals
}
