import VtapRuleModel

/// One `vtap_counters` value, summed over CPUs. Every field only grows,
/// except that the sums of squares wrap modulo 2^64.
public struct Counters: Sendable, Equatable {
    public var packets: UInt64 = 0
    public var bytes: UInt64 = 0
    public var payloadBytes: UInt64 = 0
    public var jitterSamples: UInt64 = 0
    public var jitterSumNanoseconds: UInt64 = 0
    public var jitterSumSquaresNanoseconds2: UInt64 = 0
    public var jitterRestarts: UInt64 = 0
    public var sequenceCount: UInt64 = 0
    public var sequenceReverse: UInt64 = 0
    public var sequenceSmall: UInt64 = 0
    public var sequenceBig: UInt64 = 0
    public var sequenceLost: UInt64 = 0
    public var sequenceMissing: UInt64 = 0
    /// The newest CPU's last sequence number, if any was seen.
    public var sequenceLast: UInt32?
    public var sequenceLastNanoseconds: UInt64 = 0

    public init() {}

    public var sequenceErrors: UInt64 { sequenceReverse + sequenceSmall + sequenceBig }
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
    public var rules: [Counters]
    /// Indexed by `ProtocolClass.rawValue`.
    public var protocols: [Counters]
    /// Indexed like `ObjectContract.totals`.
    public var totals: [Tally]

    public init(rules: [Counters], protocols: [Counters], totals: [Tally]) {
        self.rules = rules
        self.protocols = protocols
        self.totals = totals
    }

    public func total(_ name: String) -> Tally {
        guard let index = ObjectContract.totals.firstIndex(of: name), index < totals.count else { return Tally() }
        return totals[index]
    }

    public var unmatched: Tally { total("unmatched") }
    public var malformed: Tally { total("malformed") }
}
