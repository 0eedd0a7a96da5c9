import Prometheus

/// The exporter's own metrics, kept by swift-prometheus across scrapes
/// (read errors, scrape durations).
public final class ExporterSelfMetrics: Sendable {
    /// A registry per family, emitted in the contract's order: one registry
    /// would emit its families in a different order in every process.
    private let registries: [PrometheusCollectorRegistry]
    let mapReadErrors: Counter
    let scrapeDuration: DurationHistogram
    let interfaces: Gauge

    /// From 1 ms to 10 s: a small ruleset answers in about a millisecond, a
    /// read of 100k rules' maps takes far longer.
    static let durationBuckets: [Duration] = [
        .milliseconds(1), .microseconds(2500), .milliseconds(5), .milliseconds(10), .milliseconds(25),
        .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1),
        .microseconds(2_500_000), .seconds(5), .seconds(10),
    ]

    public init(version: String, ruleCount: Int) {
        let buildInfo = PrometheusCollectorRegistry()
        let readErrors = PrometheusCollectorRegistry()
        let durations = PrometheusCollectorRegistry()
        let rules = PrometheusCollectorRegistry()
        let interfaceCount = PrometheusCollectorRegistry()
        registries = [buildInfo, readErrors, durations, rules, interfaceCount]

        buildInfo.gauge(MetricFamilies.buildInfo, [version]).set(to: 1)
        mapReadErrors = readErrors.counter(MetricFamilies.mapReadErrors)
        scrapeDuration = durations.durationHistogram(MetricFamilies.scrapeDuration, buckets: Self.durationBuckets)
        rules.gauge(MetricFamilies.rules).set(to: Double(ruleCount))
        interfaces = interfaceCount.gauge(MetricFamilies.interfaces)
    }

    /// Appends the families in the text format 0.0.4.
    public func emit(into text: inout [UInt8]) {
        for registry in registries { registry.emit(into: &text) }
    }

    /// Counts one read of the maps: its failure, or how many interfaces it held.
    func record(read outcome: Result<ExportSnapshot, any Error>) {
        switch outcome {
        case .success(let snapshot): interfaces.set(to: Double(snapshot.interfaces.count))
        case .failure: mapReadErrors.increment()
        }
    }
}
