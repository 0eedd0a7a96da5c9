/// One direction of one flow, under the rule it matched: the key of the
/// per-flow view (`vtap run --flows`, the template's `vtap_flow_view`).
public struct FlowKey: Hashable, Sendable, Comparable {
    /// The rule's index.
    public var rule: Int
    public var ipProtocol: UInt8
    /// As `inet_ntop` writes them.
    public var source: String
    public var destination: String
    /// For ICMP and ICMPv6 echo, the source port is the identifier and the
    /// destination port 0; 0 for protocols without ports.
    public var sourcePort: UInt16
    public var destinationPort: UInt16

    public init(
        rule: Int, ipProtocol: UInt8, source: String, destination: String, sourcePort: UInt16,
        destinationPort: UInt16
    ) {
        self.rule = rule
        self.ipProtocol = ipProtocol
        self.source = source
        self.destination = destination
        self.sourcePort = sourcePort
        self.destinationPort = destinationPort
    }

    /// A fixed order for flows of equal bytes, so a report is the same
    /// from run to run.
    public static func < (lhs: FlowKey, rhs: FlowKey) -> Bool {
        (lhs.rule, lhs.ipProtocol, lhs.source, lhs.destination, lhs.sourcePort, lhs.destinationPort)
            < (rhs.rule, rhs.ipProtocol, rhs.source, rhs.destination, rhs.sourcePort, rhs.destinationPort)
    }
}

/// How full the LRU flow tables are and what they evicted: the kernel
/// evicts silently, so vtap counts the entries each gained and subtracts
/// what it holds.
public struct FlowTableFill: Sendable, Equatable {
    /// Entries `vtap_flows` (sequence state) holds now.
    public var held: Int
    /// Entries it gained since the start.
    public var started: UInt64
    /// Entries `vtap_flow_view` holds now (0 without --flows).
    public var viewHeld: Int
    public var viewStarted: UInt64

    public init(held: Int = 0, started: UInt64 = 0, viewHeld: Int = 0, viewStarted: UInt64 = 0) {
        self.held = held
        self.started = started
        self.viewHeld = viewHeld
        self.viewStarted = viewStarted
    }

    /// Flows whose sequence state was evicted to make room for others.
    public var evicted: UInt64 { Self.evicted(started: started, held: held) }
    /// Flows the per-flow view lost to make room for others.
    public var viewEvicted: UInt64 { Self.evicted(started: viewStarted, held: viewHeld) }

    /// Two CPUs may be between their insert and their count while the
    /// table is read: never below zero.
    private static func evicted(started: UInt64, held: Int) -> UInt64 {
        let held = UInt64(max(0, held))
        return started > held ? started - held : 0
    }
}
