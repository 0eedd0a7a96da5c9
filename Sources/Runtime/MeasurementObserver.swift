import VtapMetrics

/// Receives intervals as they end, then the summary.
public protocol MeasurementObserver: AnyObject {
    func measured(_ interval: IntervalEdges) throws
}
