import VtapRuleModel

/// One `vtap_counters` value, summed over CPUs. Every field only grows,
/// except that the sums of squares wrap modulo 2^64.
public struct Counters: Sendable, Equatable, CounterCarrying, SequenceMarked {
    /// By `CounterField`.
    public var values = CounterValues()
    /// The newest CPU's last sequence number, if any was seen.
    public var sequenceMark = SequenceMark()

    public init() {}

    public subscript(field: CounterField) -> UInt64 {
        get { values[field] }
        set { values[field] = newValue }
    }

    public var jitterSumNanoseconds: UInt64 {
        get { self[.jitterSumNanoseconds] }
        set { self[.jitterSumNanoseconds] = newValue }
    }
    public var jitterSumSquaresNanoseconds2: UInt64 {
        get { self[.jitterSumSquaresNanoseconds2] }
        set { self[.jitterSumSquaresNanoseconds2] = newValue }
    }

    /// Several counters as one: every sum added (wrapping, like the map's
    /// own), the last sequence number the newest of them.
    public static func combined(_ parts: [Counters]) -> Counters {
        var total = Counters()
        for part in parts {
            for field in CounterField.allCases { total[field] &+= part[field] }
            total.sequenceMark.keepNewer(part.sequenceMark)
        }
        return total
    }
}

/// Packets and bytes of one `vtap_totals` slot.
public struct Tally: Sendable, Equatable {
    public var packets: UInt64 = 0
    public var bytes: UInt64 = 0
    public init(packets: UInt64 = 0, bytes: UInt64 = 0) {
        self.packets = packets
        self.bytes = bytes
    }
}

/// Everything the maps held at one moment.
public struct CounterSnapshot: Sendable, Equatable {
    /// Per rule: the sum of its protocol classes.
    public var rules: [Counters]
    /// Per rule and protocol class, at `rule * ProtocolClass.allCases.count
    /// + class`: the finest grain the program counts.
    public var ruleClasses: [Counters]
    /// Indexed by `ProtocolClass.rawValue`.
    public var protocols: [Counters]
    /// Indexed like `ObjectContract.totals`.
    public var totals: [Tally]
    /// The per-flow view, when the run asked for it (`--flows`).
    public var flows: [FlowKey: Counters] = [:]
    /// Entries the sequence table (`vtap_flows`) holds; nil when not read.
    public var flowsHeld: Int?

    public init(rules: [Counters], protocols: [Counters], totals: [Tally], ruleClasses: [Counters] = []) {
        self.rules = rules
        self.protocols = protocols
        self.totals = totals
        self.ruleClasses = ruleClasses
    }

    /// Per rule and class counts make the per-rule ones.
    public init(ruleClasses: [Counters], protocols: [Counters], totals: [Tally]) {
        let classes = ProtocolClass.allCases.count
        let ruleCount = ruleClasses.count / classes
        self.init(
            rules: (0..<ruleCount).map { Counters.combined(Array(ruleClasses[$0 * classes..<($0 + 1) * classes])) },
            protocols: protocols, totals: totals, ruleClasses: ruleClasses)
    }

    /// A `vtap_totals` slot; zero when the snapshot lacks it.
    public func total(_ slot: TotalSlot) -> Tally {
        totals.indices.contains(slot.rawValue) ? totals[slot.rawValue] : Tally()
    }

    public var unmatched: Tally { total(.unmatched) }
    public var malformed: Tally { total(.malformed) }
}
