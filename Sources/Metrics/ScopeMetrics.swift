/// The unit of throughput and goodput in every output.
public enum ThroughputUnit: String, Sendable, Hashable, CaseIterable {
    case bytesPerSecond = "B/s"
    case bitsPerSecond = "bit/s"

    /// Bytes per second times this is the rate in the unit.
    public var perByte: Double { self == .bitsPerSecond ? 8 : 1 }
}

/// What one scope (a rule, a protocol class) reports for an interval.
///
/// Counts are totals since the start; rates are over the interval; jitter
/// is over its own window, which may be longer than the interval.
public struct ScopeMetrics: Sendable, Equatable, CounterCarrying {
    /// The totals since the start, by `CounterField` (for wide fields, the
    /// low 64 bits; reports show those only through `jitter`).
    public var counts: CounterValues
    /// Packets per second; nil for an interval of no length.
    public var packetsPerSecond: Double?
    /// Whole frames, in the report's `ThroughputUnit`; nil for an interval of no length.
    public var throughput: Double?
    /// L4 payload, in the report's `ThroughputUnit`; nil for an interval of no length.
    public var goodput: Double?
    /// Nil when the jitter window holds no sample.
    public var jitter: JitterStatistics?
    public var sequenceLast: UInt32?

    /// - Parameters:
    ///   - earlier, later: the scope's totals at the interval's start and end.
    ///   - seconds: the interval's length.
    ///   - jitterFrom, jitterTo: the totals bounding the jitter window.
    public init(
        from earlier: ScopeTotals, to later: ScopeTotals, seconds: Double,
        jitterFrom: ScopeTotals, jitterTo: ScopeTotals, unit: ThroughputUnit
    ) {
        counts = later.counts
        if seconds > 0, seconds.isFinite {
            packetsPerSecond = Double(later.packets &- earlier.packets) / seconds
            throughput = Double(later.bytes &- earlier.bytes) * unit.perByte / seconds
            goodput = Double(later.payloadBytes &- earlier.payloadBytes) * unit.perByte / seconds
        }
        jitter = JitterStatistics(from: jitterFrom, to: jitterTo)
        sequenceLast = later.sequenceLast
    }

    public subscript(field: CounterField) -> UInt64 {
        get { counts[field] }
        set { counts[field] = newValue }
    }

    /// Reverse, small and big errors together (`seq_total`).
    public var sequenceTotal: UInt64 { sequenceErrors }
}
