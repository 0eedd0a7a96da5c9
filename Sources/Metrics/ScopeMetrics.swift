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
public struct ScopeMetrics: Sendable, Equatable {
    public var packets: UInt64
    public var bytes: UInt64
    public var payloadBytes: UInt64
    /// Packets per second; nil for an interval of no length.
    public var packetsPerSecond: Double?
    /// Whole frames, in the report's `ThroughputUnit`; nil for an interval of no length.
    public var throughput: Double?
    /// L4 payload, in the report's `ThroughputUnit`; nil for an interval of no length.
    public var goodput: Double?
    /// Nil when the jitter window holds no sample.
    public var jitter: JitterStatistics?
    public var sequenceLast: UInt32?
    public var sequenceCount: UInt64
    public var sequenceReverse: UInt64
    public var sequenceSmall: UInt64
    public var sequenceBig: UInt64
    public var sequenceLost: UInt64
    public var sequenceMissing: UInt64

    /// - Parameters:
    ///   - earlier, later: the scope's totals at the interval's start and end.
    ///   - seconds: the interval's length.
    ///   - jitterFrom, jitterTo: the totals bounding the jitter window.
    public init(
        from earlier: ScopeTotals, to later: ScopeTotals, seconds: Double,
        jitterFrom: ScopeTotals, jitterTo: ScopeTotals, unit: ThroughputUnit
    ) {
        packets = later.packets
        bytes = later.bytes
        payloadBytes = later.payloadBytes
        if seconds > 0, seconds.isFinite {
            packetsPerSecond = Double(later.packets &- earlier.packets) / seconds
            throughput = Double(later.bytes &- earlier.bytes) * unit.perByte / seconds
            goodput = Double(later.payloadBytes &- earlier.payloadBytes) * unit.perByte / seconds
        }
        jitter = JitterStatistics(from: jitterFrom, to: jitterTo)
        sequenceLast = later.sequenceLast
        sequenceCount = later.sequenceCount
        sequenceReverse = later.sequenceReverse
        sequenceSmall = later.sequenceSmall
        sequenceBig = later.sequenceBig
        sequenceLost = later.sequenceLost
        sequenceMissing = later.sequenceMissing
    }

    /// Reverse, small and big errors together (`seq_total`).
    public var sequenceTotal: UInt64 { sequenceReverse &+ sequenceSmall &+ sequenceBig }
}
