import VtapRuleModel

/// Wide running totals of one scope (a rule, a protocol class) since the
/// start, summed over every source. Nothing here wraps: the counts are
/// 64-bit and grow by at most a map counter's own range, and the jitter sums
/// are 128-bit because the sum of squares of a long run exceeds 2^64 ns².
public struct ScopeTotals: Sendable, Equatable {
    public var packets: UInt64 = 0
    public var bytes: UInt64 = 0
    public var payloadBytes: UInt64 = 0
    public var jitterSamples: UInt64 = 0
    public var jitterRestarts: UInt64 = 0
    public var sequenceCount: UInt64 = 0
    public var sequenceReverse: UInt64 = 0
    public var sequenceSmall: UInt64 = 0
    public var sequenceBig: UInt64 = 0
    public var sequenceLost: UInt64 = 0
    public var sequenceMissing: UInt64 = 0
    public var jitterSumNanoseconds: UInt128 = 0
    public var jitterSumSquaresNanoseconds2: UInt128 = 0
    /// The newest last sequence number over all sources, if any was seen.
    public var sequenceLast: UInt32?
    /// When `sequenceLast` arrived (the BPF clock, `bpf_ktime_get_ns`).
    public var sequenceLastNanoseconds: UInt64 = 0

    public init() {}

    /// Reverse, small and big sequence errors together.
    public var sequenceErrors: UInt64 { sequenceReverse &+ sequenceSmall &+ sequenceBig }
}

/// Wide running totals of a whole measurement since the start.
public struct MeasurementTotals: Sendable, Equatable {
    /// By rule index.
    public var rules: [ScopeTotals]
    /// By `ProtocolClass.rawValue`.
    public var protocols: [ScopeTotals]
    /// By slot, like `ObjectContract.totals`.
    public var totals: [Tally]
    /// By rule and protocol class, at `rule * ProtocolClass.allCases.count +
    /// class`; empty when the snapshots carried none.
    public var ruleClasses: [ScopeTotals]

    /// All zero: the totals at the start of a run.
    public init(ruleCount: Int) {
        rules = Array(repeating: ScopeTotals(), count: ruleCount)
        protocols = Array(repeating: ScopeTotals(), count: ProtocolClass.allCases.count)
        totals = Array(repeating: Tally(), count: ObjectContract.totals.count)
        ruleClasses = Array(repeating: ScopeTotals(), count: ruleCount * ProtocolClass.allCases.count)
    }

    public init(rules: [ScopeTotals], protocols: [ScopeTotals], totals: [Tally], ruleClasses: [ScopeTotals] = []) {
        self.rules = rules
        self.protocols = protocols
        self.totals = totals
        self.ruleClasses = ruleClasses
    }

    /// A rule's totals for one protocol class; zero where there are none.
    public func rule(_ index: Int, _ protocolClass: ProtocolClass) -> ScopeTotals {
        let slot = index * ProtocolClass.allCases.count + protocolClass.rawValue
        return ruleClasses.indices.contains(slot) ? ruleClasses[slot] : ScopeTotals()
    }

    /// The rule's totals; zero for an index the totals do not hold.
    public func rule(_ index: Int) -> ScopeTotals {
        rules.indices.contains(index) ? rules[index] : ScopeTotals()
    }

    public func protocolClass(_ protocolClass: ProtocolClass) -> ScopeTotals {
        protocols.indices.contains(protocolClass.rawValue) ? protocols[protocolClass.rawValue] : ScopeTotals()
    }

    /// A `vtap_totals` slot; zero when the snapshot lacks it.
    public func total(_ slot: TotalSlot) -> Tally {
        totals.indices.contains(slot.rawValue) ? totals[slot.rawValue] : Tally()
    }

    /// Parsed IP or non-IP frames that no rule matched.
    public var unmatched: Tally { total(.unmatched) }
    /// Frames counted under any malformed reason.
    public var malformed: Tally { total(.malformed) }
}
