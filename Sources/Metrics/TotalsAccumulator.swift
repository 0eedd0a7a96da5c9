import VtapRuleModel

/// Turns counter snapshots of several sources (one loaded program instance
/// per network interface) into wide totals since the start.
///
/// Each source's snapshots are differenced against that source's previous
/// one, every 64-bit field modulo 2^64. The map counters only grow, so the
/// difference is exact as long as no counter gains 2^64 between two reads of
/// its source. Only the sum of squares comes near: a gap is at most 2 s,
/// so it gains at most 2·10^9 ns × the time between reads in ns², which stays
/// below 2^64 for reads at least every ~4 s.
public struct TotalsAccumulator: Sendable {
    private var previous: [String: CounterSnapshot] = [:]
    private var current: MeasurementTotals

    public init(ruleCount: Int) {
        current = MeasurementTotals(ruleCount: ruleCount)
    }

    /// The totals of everything added so far.
    public var totals: MeasurementTotals { current }

    /// The sources added so far, in no particular order.
    public var sources: [String] { Array(previous.keys) }

    /// Adds what changed since the previous snapshot of the same source; a
    /// source's first snapshot counts from zero.
    public mutating func add(_ snapshot: CounterSnapshot, from source: String) {
        let before = previous[source]
        for index in current.rules.indices {
            Self.add(
                Self.counters(snapshot.rules, index), since: before.map { Self.counters($0.rules, index) },
                to: &current.rules[index])
        }
        for index in current.protocols.indices {
            Self.add(
                Self.counters(snapshot.protocols, index), since: before.map { Self.counters($0.protocols, index) },
                to: &current.protocols[index])
        }
        for index in current.totals.indices {
            let now = snapshot.totals.indices.contains(index) ? snapshot.totals[index] : Tally()
            let then = before.flatMap { $0.totals.indices.contains(index) ? $0.totals[index] : nil } ?? Tally()
            current.totals[index].packets &+= now.packets &- then.packets
            current.totals[index].bytes &+= now.bytes &- then.bytes
        }
        previous[source] = snapshot
    }

    /// Forgets a source: its next snapshot counts from zero again. For a
    /// source whose program was reloaded, so its maps restarted at zero.
    public mutating func forget(source: String) {
        previous[source] = nil
    }

    private static func counters(_ values: [Counters], _ index: Int) -> Counters {
        values.indices.contains(index) ? values[index] : Counters()
    }

    private static func add(_ now: Counters, since then: Counters?, to totals: inout ScopeTotals) {
        let then = then ?? Counters()
        totals.packets &+= now.packets &- then.packets
        totals.bytes &+= now.bytes &- then.bytes
        totals.payloadBytes &+= now.payloadBytes &- then.payloadBytes
        totals.jitterSamples &+= now.jitterSamples &- then.jitterSamples
        totals.jitterRestarts &+= now.jitterRestarts &- then.jitterRestarts
        totals.sequenceCount &+= now.sequenceCount &- then.sequenceCount
        totals.sequenceReverse &+= now.sequenceReverse &- then.sequenceReverse
        totals.sequenceSmall &+= now.sequenceSmall &- then.sequenceSmall
        totals.sequenceBig &+= now.sequenceBig &- then.sequenceBig
        totals.sequenceLost &+= now.sequenceLost &- then.sequenceLost
        totals.sequenceMissing &+= now.sequenceMissing &- then.sequenceMissing
        totals.jitterSumNanoseconds &+= UInt128(now.jitterSumNanoseconds &- then.jitterSumNanoseconds)
        totals.jitterSumSquaresNanoseconds2 &+= UInt128(
            now.jitterSumSquaresNanoseconds2 &- then.jitterSumSquaresNanoseconds2)
        // The BPF clock is the same for every program on the host, so the
        // newest number over all sources is the one with the latest time.
        if let last = now.sequenceLast,
            totals.sequenceLast == nil || now.sequenceLastNanoseconds >= totals.sequenceLastNanoseconds
        {
            totals.sequenceLast = last
            totals.sequenceLastNanoseconds = now.sequenceLastNanoseconds
        }
    }
}
