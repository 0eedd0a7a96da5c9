import VtapRuleModel

/// The counter layout, declared once: each summed field of
/// `struct vtap_counters` (templates/vtap_maps.h) with where it lives in a
/// value read from the maps (`Counters`) and in the wide totals since the
/// start (`ScopeTotals`), and where reports and the exporter show its total.
/// Decoding, merging CPUs and rules, and accumulating snapshots iterate this
/// table; `CounterLayoutTests` checks it against the template's struct, and
/// `CounterOutputsTests` and `CounterExportTests` check that the JSON report
/// and the Prometheus series carry every field the table says they do, so a
/// counter added on one side only fails a test. The last sequence number is
/// the one field that is not a sum: see `SequenceMark`.
public struct CounterField: Sendable {
    /// The C field, as the manifest's BTF layout names it.
    public let name: String
    /// Its place in one read of the maps (summed over CPUs).
    public let counters: WritableKeyPath<Counters, UInt64> & Sendable
    /// Its place in the totals since the start.
    public let totals: Accumulation
    /// The key of its total in a report's JSON scopes; nil for a
    /// field reports show only through a derived value (the jitter sums).
    public let reportKey: String?
    /// The Prometheus series that exports its total; nil likewise.
    public let metric: ExportedSeries?

    /// A counter family, and the `kind` label when several fields share it.
    public struct ExportedSeries: Sendable, Equatable {
        public let family: String
        public let kind: String?

        public init(_ family: String, kind: String? = nil) {
            self.family = family
            self.kind = kind
        }
    }

    init(
        name: String, counters: WritableKeyPath<Counters, UInt64> & Sendable, totals: Accumulation,
        reportKey: String? = nil, metric: ExportedSeries? = nil
    ) {
        self.name = name
        self.counters = counters
        self.totals = totals
        self.reportKey = reportKey
        self.metric = metric
    }

    /// Totals keep counts in 64 bits; the jitter sums in 128, because the
    /// sum of squares of a long run exceeds 2^64 ns².
    public enum Accumulation: Sendable {
        case count(WritableKeyPath<ScopeTotals, UInt64> & Sendable)
        case wide(WritableKeyPath<ScopeTotals, UInt128> & Sendable)
    }

    /// Adds what the field gained from `then` to `now` (modulo 2^64, as the
    /// map counts) to `totals`.
    public func accumulate(_ now: Counters, since then: Counters, into totals: inout ScopeTotals) {
        let gained = now[keyPath: counters] &- then[keyPath: counters]
        switch self.totals {
        case .count(let path): totals[keyPath: path] &+= gained
        case .wide(let path): totals[keyPath: path] &+= UInt128(gained)
        }
    }
}

public enum CounterLayout {
    /// In the template's order.
    public static let fields: [CounterField] = [
        .init(
            name: "packets", counters: \.packets, totals: .count(\.packets), reportKey: "packets",
            metric: .init("vtap_packets_total")),
        .init(
            name: "bytes", counters: \.bytes, totals: .count(\.bytes), reportKey: "bytes",
            metric: .init("vtap_bytes_total")),
        .init(
            name: "payload_bytes", counters: \.payloadBytes, totals: .count(\.payloadBytes), reportKey: "payload_bytes",
            metric: .init("vtap_payload_bytes_total")),
        .init(
            name: "jitter_samples", counters: \.jitterSamples, totals: .count(\.jitterSamples),
            metric: .init("vtap_jitter_samples_total")),
        .init(name: "jitter_sum_ns", counters: \.jitterSumNanoseconds, totals: .wide(\.jitterSumNanoseconds)),
        .init(
            name: "jitter_sum_sq_ns2", counters: \.jitterSumSquaresNanoseconds2,
            totals: .wide(\.jitterSumSquaresNanoseconds2)),
        .init(
            name: "jitter_restarts", counters: \.jitterRestarts, totals: .count(\.jitterRestarts),
            metric: .init("vtap_jitter_restarts_total")),
        .init(
            name: "seq_count", counters: \.sequenceCount, totals: .count(\.sequenceCount), reportKey: "seq_count",
            metric: .init("vtap_sequence_numbers_total")),
        .init(
            name: "seq_reverse", counters: \.sequenceReverse, totals: .count(\.sequenceReverse),
            reportKey: "seq_reverse", metric: .init("vtap_sequence_errors_total", kind: "reverse")),
        .init(
            name: "seq_small", counters: \.sequenceSmall, totals: .count(\.sequenceSmall), reportKey: "seq_small",
            metric: .init("vtap_sequence_errors_total", kind: "small")),
        .init(
            name: "seq_big", counters: \.sequenceBig, totals: .count(\.sequenceBig), reportKey: "seq_big",
            metric: .init("vtap_sequence_errors_total", kind: "big")),
        .init(
            name: "seq_lost", counters: \.sequenceLost, totals: .count(\.sequenceLost), reportKey: "seq_lost",
            metric: .init("vtap_sequence_lost_total")),
        .init(
            name: "seq_missing", counters: \.sequenceMissing, totals: .count(\.sequenceMissing),
            reportKey: "seq_missing", metric: .init("vtap_sequence_missing_total")),
    ]

    /// The fields of the last sequence number and of its arrival time.
    public static let sequenceLast = "seq_last"
    public static let sequenceLastTime = "seq_last_ns"
    /// Fields that hold no data (alignment).
    public static let padding: Set<String> = ["_pad"]
}

/// The last sequence number seen and when (the BPF clock,
/// `bpf_ktime_get_ns`, the same for every CPU and program on a host), so
/// that of several the newest wins: across CPUs, across the rules and
/// classes of a sum, across sources. The one place that rule is written.
public struct SequenceMark: Sendable, Equatable {
    public var value: UInt32?
    public var time: UInt64 = 0

    public init(value: UInt32? = nil, time: UInt64 = 0) {
        self.value = value
        self.time = time
    }

    /// Keeps `other` if it has a number and is at least as new.
    public mutating func keepNewer(_ other: SequenceMark) {
        guard let number = other.value, value == nil || other.time >= time else { return }
        value = number
        time = other.time
    }
}

/// A value that carries a last sequence number and its time.
public protocol SequenceMarked {
    var sequenceLast: UInt32? { get set }
    var sequenceLastNanoseconds: UInt64 { get set }
}

extension SequenceMarked {
    public var sequenceMark: SequenceMark {
        get { SequenceMark(value: sequenceLast, time: sequenceLastNanoseconds) }
        set {
            sequenceLast = newValue.value
            sequenceLastNanoseconds = newValue.time
        }
    }
}

extension Counters: SequenceMarked {}
extension ScopeTotals: SequenceMarked {}
