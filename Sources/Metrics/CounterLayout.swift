import VtapRuleModel

/// The counter layout, declared once: each summed field of
/// `struct vtap_counters` (templates/vtap_maps.h), with how its totals
/// accumulate and where reports and the exporter show them. The cases are
/// the key column and `entry` the rest of the table; everything else is
/// derived from it:
/// - values are stored by the field's index (`CounterValues`), so `Counters`,
///   `ScopeTotals` and `ScopeMetrics` have no property per field;
/// - decoding a map read, merging CPUs and rules and accumulating snapshots
///   iterate `allCases`;
/// - the JSON report writes each `reportKey` and the exporter each `metric`
///   (and its family's HELP) in table order.
///
/// `CounterLayoutTests` checks the table against the template's struct, so
/// a field added on one side only fails a test. Adding a counter is one case
/// here, one arm in `entry` and the BPF code that updates it (docs/design.md
/// shows one). The last sequence number is the one field that is not a sum:
/// see `SequenceMark`. The console table and the log formats are chosen
/// views (the seed's log format is fixed), not every field.
public enum CounterField: Int, CaseIterable, Sendable {
    case packets, bytes, payloadBytes
    case jitterSamples, jitterSumNanoseconds, jitterSumSquaresNanoseconds2, jitterRestarts
    case sequenceCount, sequenceReverse, sequenceSmall, sequenceBig, sequenceLost, sequenceMissing

    /// One row of the table.
    public struct Entry: Sendable {
        /// The C field, as the manifest's BTF layout names it.
        public let name: String
        public let accumulation: Accumulation
        /// The key of its total in a report's JSON scopes; nil for a field
        /// reports show only through a derived value (the jitter sums).
        public let reportKey: String?
        /// The Prometheus series that exports its total; nil likewise.
        public let metric: ExportedSeries?
    }

    /// Totals keep counts in 64 bits; the jitter sums in 128, because the
    /// sum of squares of a long run exceeds 2^64 ns².
    public enum Accumulation: Sendable, Equatable {
        case count, wide
    }

    /// The table.
    public var entry: Entry {
        switch self {
        case .packets:
            Entry(
                name: "packets", accumulation: .count, reportKey: "packets",
                metric: .init(
                    "vtap_packets_total", help: "Packets the rule was the first to match, since the start."))
        case .bytes:
            Entry(
                name: "bytes", accumulation: .count, reportKey: "bytes",
                metric: .init(
                    "vtap_bytes_total",
                    help: "Frame bytes of those packets from the Ethernet header on (no preamble or FCS), "
                        + "since the start."))
        case .payloadBytes:
            Entry(
                name: "payload_bytes", accumulation: .count, reportKey: "payload_bytes",
                metric: .init(
                    "vtap_payload_bytes_total",
                    help: "L4 payload bytes of those packets, from the IP lengths minus IP and transport headers, "
                        + "since the start."))
        case .jitterSamples:
            Entry(
                name: "jitter_samples", accumulation: .count, reportKey: nil,
                metric: .init(
                    "vtap_jitter_samples_total",
                    help: "Inter-arrival gaps of the rule's packets taken as jitter samples."))
        case .jitterSumNanoseconds:
            Entry(name: "jitter_sum_ns", accumulation: .wide, reportKey: nil, metric: nil)
        case .jitterSumSquaresNanoseconds2:
            Entry(name: "jitter_sum_sq_ns2", accumulation: .wide, reportKey: nil, metric: nil)
        case .jitterRestarts:
            Entry(
                name: "jitter_restarts", accumulation: .count, reportKey: nil,
                metric: .init(
                    "vtap_jitter_restarts_total",
                    help: "Inter-arrival gaps over 2 s: no sample, the series starts again."))
        case .sequenceCount:
            Entry(
                name: "seq_count", accumulation: .count, reportKey: "seq_count",
                metric: .init(
                    "vtap_sequence_numbers_total", help: "Packets that carried a sequence number that was checked."))
        case .sequenceReverse:
            Entry(
                name: "seq_reverse", accumulation: .count, reportKey: "seq_reverse",
                metric: .init(.sequenceErrors, kind: "reverse"))
        case .sequenceSmall:
            Entry(
                name: "seq_small", accumulation: .count, reportKey: "seq_small",
                metric: .init(.sequenceErrors, kind: "small"))
        case .sequenceBig:
            Entry(
                name: "seq_big", accumulation: .count, reportKey: "seq_big",
                metric: .init(.sequenceErrors, kind: "big"))
        case .sequenceLost:
            Entry(
                name: "seq_lost", accumulation: .count, reportKey: "seq_lost",
                metric: .init(
                    "vtap_sequence_lost_total",
                    help: "Sequence numbers skipped by forward gaps (UDP and ICMP echo; TCP counts none)."))
        case .sequenceMissing:
            Entry(
                name: "seq_missing", accumulation: .count, reportKey: "seq_missing",
                metric: .init(
                    "vtap_sequence_missing_total",
                    help: "Tracked packets whose sequence number could not be read (pattern absent or out of the "
                        + "payload)."))
        }
    }

    public var name: String { entry.name }
    public var accumulation: Accumulation { entry.accumulation }
    public var reportKey: String? { entry.reportKey }
    public var metric: ExportedSeries? { entry.metric }

    /// A counter family of the exporter (name and HELP), and the value of
    /// its `kind` label when several fields share it.
    public struct ExportedSeries: Sendable, Equatable {
        public let family: CounterFamily
        public let kind: String?

        init(_ name: String, help: String) {
            family = CounterFamily(name: name, help: help)
            kind = nil
        }

        init(_ family: CounterFamily, kind: String) {
            self.family = family
            self.kind = kind
        }
    }
}

/// The name and HELP text of an exported counter family; the label names
/// are the exporter's.
public struct CounterFamily: Sendable, Equatable {
    public let name: String
    public let help: String

    /// Three fields in one family, told apart by `kind`.
    public static let sequenceErrors = CounterFamily(
        name: "vtap_sequence_errors_total",
        help: "Sequence number errors per flow: reverse (behind the expected number), small or big (ahead of it, "
            + "up to or over SEQUENCE_THRESHOLD).")
}

public enum CounterLayout {
    /// The fields of the last sequence number and of its arrival time.
    public static let sequenceLast = "seq_last"
    public static let sequenceLastTime = "seq_last_ns"
    /// Fields that hold no data (alignment).
    public static let padding: Set<String> = ["_pad"]

    /// The exported families in table order, each with its fields (one, or
    /// several told apart by `kind`).
    public static let families: [(family: CounterFamily, fields: [CounterField])] = {
        var families: [(family: CounterFamily, fields: [CounterField])] = []
        for field in CounterField.allCases {
            guard let series = field.metric else { continue }
            if let at = families.firstIndex(where: { $0.family == series.family }) {
                families[at].fields.append(field)
            } else {
                families.append((series.family, [field]))
            }
        }
        return families
    }()
}

/// One 64-bit value per counter field, stored inline at the field's index.
/// Inline because a read of the maps makes one per rule and protocol class
/// (400,000 at 100,000 rules): an array each would be as many heap
/// allocations per read. `capacity` leaves room for new fields;
/// `CounterLayoutTests` checks that the table fits.
public struct CounterValues: Sendable, Equatable {
    public static let capacity = 16
    private var storage = InlineArray<16, UInt64>(repeating: 0)

    public init() {}

    public subscript(field: CounterField) -> UInt64 {
        get { storage[field.rawValue] }
        set { storage[field.rawValue] = newValue }
    }

    public static func == (lhs: CounterValues, rhs: CounterValues) -> Bool {
        for index in 0..<capacity where lhs.storage[index] != rhs.storage[index] { return false }
        return true
    }
}

/// A value holding one 64-bit count per counter field: a map read, the
/// totals since the start, a report's scope. The names below are for code
/// that uses a field by name; reports and the exporter iterate the table.
public protocol CounterCarrying {
    subscript(_ field: CounterField) -> UInt64 { get set }
}

extension CounterCarrying {
    public var packets: UInt64 {
        get { self[.packets] }
        set { self[.packets] = newValue }
    }
    public var bytes: UInt64 {
        get { self[.bytes] }
        set { self[.bytes] = newValue }
    }
    public var payloadBytes: UInt64 {
        get { self[.payloadBytes] }
        set { self[.payloadBytes] = newValue }
    }
    public var jitterSamples: UInt64 {
        get { self[.jitterSamples] }
        set { self[.jitterSamples] = newValue }
    }
    public var jitterRestarts: UInt64 {
        get { self[.jitterRestarts] }
        set { self[.jitterRestarts] = newValue }
    }
    public var sequenceCount: UInt64 {
        get { self[.sequenceCount] }
        set { self[.sequenceCount] = newValue }
    }
    public var sequenceReverse: UInt64 {
        get { self[.sequenceReverse] }
        set { self[.sequenceReverse] = newValue }
    }
    public var sequenceSmall: UInt64 {
        get { self[.sequenceSmall] }
        set { self[.sequenceSmall] = newValue }
    }
    public var sequenceBig: UInt64 {
        get { self[.sequenceBig] }
        set { self[.sequenceBig] = newValue }
    }
    public var sequenceLost: UInt64 {
        get { self[.sequenceLost] }
        set { self[.sequenceLost] = newValue }
    }
    public var sequenceMissing: UInt64 {
        get { self[.sequenceMissing] }
        set { self[.sequenceMissing] = newValue }
    }

    /// Reverse, small and big sequence errors together (`seq_total`).
    public var sequenceErrors: UInt64 { sequenceReverse &+ sequenceSmall &+ sequenceBig }
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
    var sequenceMark: SequenceMark { get set }
}

extension SequenceMarked {
    public var sequenceLast: UInt32? {
        get { sequenceMark.value }
        set { sequenceMark.value = newValue }
    }
    public var sequenceLastNanoseconds: UInt64 {
        get { sequenceMark.time }
        set { sequenceMark.time = newValue }
    }
}
