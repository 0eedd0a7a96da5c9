import VtapRuleModel

/// Wide running totals of one scope (a rule, a protocol class) since the
/// start, summed over every source. Nothing here wraps: the counts are
/// 64-bit and grow by at most a map counter's own range, and the jitter sums
/// (`Accumulation.wide`) are 128-bit because the sum of squares of a long
/// run exceeds 2^64 ns². A wide field keeps its low 64 bits with the counts
/// and its high bits in `carries`, so a scope stays 160 bytes (500,000 of
/// them per copy of the totals at 100,000 rules).
public struct ScopeTotals: Sendable, Equatable, CounterCarrying, SequenceMarked {
    /// By `CounterField`; the low 64 bits of a wide field.
    public var counts = CounterValues()
    /// The high 64 bits of each wide field, in table order.
    private var carries = InlineArray<4, UInt64>(repeating: 0)
    /// The newest last sequence number over all sources, if any was seen
    /// (its time is the BPF clock, `bpf_ktime_get_ns`).
    public var sequenceMark = SequenceMark()

    public init() {}

    /// Room for wide fields; `CounterLayoutTests` checks the table fits.
    public static let wideCapacity = 4
    /// Each field's place in `carries`; nil for a count.
    static let carrySlots: [Int?] = {
        var next = 0
        return CounterField.allCases.map { field in
            guard field.accumulation == .wide else { return nil }
            defer { next += 1 }
            return next
        }
    }()

    public subscript(field: CounterField) -> UInt64 {
        get { counts[field] }
        set { counts[field] = newValue }
    }

    /// A field's whole total: for a wide field, all 128 bits.
    public subscript(wide field: CounterField) -> UInt128 {
        get {
            guard let slot = Self.carrySlots[field.rawValue] else { return UInt128(counts[field]) }
            return UInt128(carries[slot]) << 64 | UInt128(counts[field])
        }
        set {
            counts[field] = UInt64(truncatingIfNeeded: newValue)
            if let slot = Self.carrySlots[field.rawValue] { carries[slot] = UInt64(truncatingIfNeeded: newValue >> 64) }
        }
    }

    /// Adds what the field gained since the last read (modulo 2^64, as the
    /// map counts): a count wraps like the map's own, a wide field carries.
    public mutating func add(_ gained: UInt64, to field: CounterField) {
        let (sum, overflow) = counts[field].addingReportingOverflow(gained)
        counts[field] = sum
        if overflow, let slot = Self.carrySlots[field.rawValue] { carries[slot] &+= 1 }
    }

    public var jitterSumNanoseconds: UInt128 {
        get { self[wide: .jitterSumNanoseconds] }
        set { self[wide: .jitterSumNanoseconds] = newValue }
    }
    public var jitterSumSquaresNanoseconds2: UInt128 {
        get { self[wide: .jitterSumSquaresNanoseconds2] }
        set { self[wide: .jitterSumSquaresNanoseconds2] = newValue }
    }

    public static func == (lhs: ScopeTotals, rhs: ScopeTotals) -> Bool {
        guard lhs.counts == rhs.counts, lhs.sequenceMark == rhs.sequenceMark else { return false }
        for slot in 0..<wideCapacity where lhs.carries[slot] != rhs.carries[slot] { return false }
        return true
    }
}

/// Wide running totals of a whole measurement since the start.
public struct MeasurementTotals: Sendable, Equatable {
    /// By rule index.
    public var rules: [ScopeTotals]
    /// By `ProtocolClass.rawValue`.
    public var protocols: [ScopeTotals]
    /// By slot, like `ObjectContract.totals`.
    public var totals: [Tally]
    /// Per flow, when the run keeps the per-flow view (`--flows`): the
    /// flows the kernel's table holds (an evicted flow leaves it here too).
    public var flows: [FlowKey: ScopeTotals] = [:]
    /// Entries the flow tables hold at the last read, summed over sources.
    public var flowsHeld = 0
    public var flowViewHeld = 0
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

    /// The flow tables' fill and evictions since the start.
    public var flowTable: FlowTableFill {
        FlowTableFill(
            held: flowsHeld, started: total(.flowsStarted).packets, viewHeld: flowViewHeld,
            viewStarted: total(.flowViewStarted).packets)
    }
}
