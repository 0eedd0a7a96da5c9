import Synchronization

/// The exporter's own metrics, kept across scrapes (read errors, scrape
/// durations) and written by the same writer as the measurement series.
public final class ExporterSelfMetrics: Sendable {
    private let version: String
    private let ruleCount: Int
    private let state = Mutex(State())

    private struct State {
        var mapReadErrors: UInt64 = 0
        var interfaces = 0
        /// Per bucket of `durationBuckets`, the scrapes that took at most its bound (not cumulative).
        var durationCounts = [UInt64](repeating: 0, count: ExporterSelfMetrics.durationBuckets.count)
        var durationSum: Duration = .zero
        var durationCount: UInt64 = 0
    }

    /// From 1 ms to 10 s: a small ruleset answers in about a millisecond, a
    /// read of 100k rules' maps takes far longer.
    static let durationBuckets: [Duration] = [
        .milliseconds(1), .microseconds(2500), .milliseconds(5), .milliseconds(10), .milliseconds(25),
        .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1),
        .microseconds(2_500_000), .seconds(5), .seconds(10),
    ]

    public init(version: String, ruleCount: Int) {
        self.version = version
        self.ruleCount = ruleCount
    }

    /// Counts one read of the maps: its failure, or how many interfaces it held.
    func record(read outcome: Result<ExportSnapshot, any Error>) {
        state.withLock { state in
            switch outcome {
            case .success(let snapshot): state.interfaces = snapshot.interfaces.count
            case .failure: state.mapReadErrors &+= 1
            }
        }
    }

    /// Counts one scrape's time.
    func recordScrape(_ duration: Duration) {
        state.withLock { state in
            if let bucket = Self.durationBuckets.firstIndex(where: { duration <= $0 }) {
                state.durationCounts[bucket] &+= 1
            }
            state.durationSum += duration
            state.durationCount &+= 1
        }
    }

    /// Writes the families in the contract's order.
    func write(into writer: inout TextExpositionWriter) {
        let state = state.withLock { $0 }
        writer.write(MetricFamilies.buildInfo, [(RenderedLabels(["version"], [version]), .real(1))])
        writer.write(MetricFamilies.mapReadErrors, [(RenderedLabels([], []), .integer(state.mapReadErrors))])
        var cumulative: UInt64 = 0
        let buckets = zip(Self.durationBuckets, state.durationCounts).map { bound, count in
            cumulative &+= count
            return (upperBound: Self.seconds(bound), count: cumulative)
        }
        writer.writeHistogram(
            MetricFamilies.scrapeDuration, buckets: buckets, sum: Self.seconds(state.durationSum),
            count: state.durationCount)
        writer.write(MetricFamilies.rules, [(RenderedLabels([], []), .real(Double(ruleCount)))])
        writer.write(MetricFamilies.interfaces, [(RenderedLabels([], []), .real(Double(state.interfaces)))])
    }

    private static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}
