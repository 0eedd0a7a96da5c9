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
    private var bySource: [String: MeasurementTotals] = [:]
    private let ruleCount: Int

    public init(ruleCount: Int) {
        self.ruleCount = ruleCount
        current = MeasurementTotals(ruleCount: ruleCount)
    }

    /// The totals of everything added so far.
    public var totals: MeasurementTotals { current }

    /// The totals of one source alone (one interface), if it was added.
    public func totals(of source: String) -> MeasurementTotals? { bySource[source] }

    /// The sources added so far, in no particular order.
    public var sources: [String] { Array(previous.keys) }

    /// Adds what changed since the previous snapshot of the same source; a
    /// source's first snapshot counts from zero.
    public mutating func add(_ snapshot: CounterSnapshot, from source: String) {
        let before = previous[source]
        var own = bySource[source] ?? MeasurementTotals(ruleCount: ruleCount)
        Self.add(snapshot, since: before, to: &current)
        Self.add(snapshot, since: before, to: &own)
        own.flowsHeld = snapshot.flowsHeld ?? 0
        own.flowViewHeld = snapshot.flows.count
        bySource[source] = own
        // The fill is a reading, not a sum over time: each source's last.
        current.flowsHeld = bySource.values.reduce(0) { $0 + $1.flowsHeld }
        current.flowViewHeld = bySource.values.reduce(0) { $0 + $1.flowViewHeld }
        previous[source] = snapshot
    }

    private static func add(
        _ snapshot: CounterSnapshot, since before: CounterSnapshot?, to totals: inout MeasurementTotals
    ) {
        for index in totals.rules.indices {
            add(
                counters(snapshot.rules, index), since: before.map { counters($0.rules, index) },
                to: &totals.rules[index])
        }
        for index in totals.protocols.indices {
            add(
                counters(snapshot.protocols, index), since: before.map { counters($0.protocols, index) },
                to: &totals.protocols[index])
        }
        if !snapshot.ruleClasses.isEmpty {
            for index in totals.ruleClasses.indices {
                add(
                    counters(snapshot.ruleClasses, index), since: before.map { counters($0.ruleClasses, index) },
                    to: &totals.ruleClasses[index])
            }
        }
        for (key, now) in snapshot.flows {
            // A flow evicted and seen again restarted from zero in the
            // kernel: what it has now is all new.
            let then = before?.flows[key].flatMap { $0[.packets] <= now[.packets] ? $0 : nil }
            add(now, since: then, to: &totals.flows[key, default: ScopeTotals()])
        }
        // Evicted in the kernel, evicted here: the view stays as bounded
        // as the kernel's table, however many flows a long run sees.
        for key in (before?.flows ?? [:]).keys where snapshot.flows[key] == nil {
            totals.flows[key] = nil
        }
        for index in totals.totals.indices {
            let now = snapshot.totals.indices.contains(index) ? snapshot.totals[index] : Tally()
            let then = before.flatMap { $0.totals.indices.contains(index) ? $0.totals[index] : nil } ?? Tally()
            totals.totals[index].packets &+= now.packets &- then.packets
            totals.totals[index].bytes &+= now.bytes &- then.bytes
        }
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
        for field in CounterField.allCases { totals.add(now[field] &- then[field], to: field) }
        totals.sequenceMark.keepNewer(now.sequenceMark)
    }
}
