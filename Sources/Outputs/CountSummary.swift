import VtapMetrics
import VtapRuleModel

/// Packets and bytes per rule, per protocol, unmatched and malformed: what
/// a replay reports (and, with rates added, every interval of a run).
public struct CountSummary: Codable, Sendable, Equatable {
    public struct Count: Codable, Sendable, Equatable {
        public var packets: UInt64
        public var bytes: UInt64
    }

    public struct RuleCount: Codable, Sendable, Equatable {
        /// Position in RULES, from 0.
        public var index: Int
        /// The rule's own name, or null.
        public var name: String?
        /// Name or number: the label in every output.
        public var label: String
        public var packets: UInt64
        public var bytes: UInt64

        enum CodingKeys: String, CodingKey { case index, name, label, packets, bytes }

        // `name` is always present, null for an unnamed rule.
        public func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(index, forKey: .index)
            try c.encode(name, forKey: .name)
            try c.encode(label, forKey: .label)
            try c.encode(packets, forKey: .packets)
            try c.encode(bytes, forKey: .bytes)
        }
    }

    public var rules: [RuleCount]
    /// Matched traffic by protocol class: tcp, udp, icmp (ICMPv6 included), other.
    public var protocols: [String: Count]
    public var unmatched: Count
    public var malformed: Count

    public init(_ snapshot: CounterSnapshot, manifest: Manifest) {
        rules = manifest.rules.map { rule in
            let counters = rule.index < snapshot.rules.count ? snapshot.rules[rule.index] : Counters()
            return RuleCount(
                index: rule.index, name: rule.name, label: rule.label, packets: counters.packets, bytes: counters.bytes)
        }
        var protocols: [String: Count] = [:]
        for protocolClass in ProtocolClass.allCases {
            let counters = protocolClass.rawValue < snapshot.protocols.count
                ? snapshot.protocols[protocolClass.rawValue] : Counters()
            protocols[protocolClass.name] = Count(packets: counters.packets, bytes: counters.bytes)
        }
        self.protocols = protocols
        unmatched = Count(packets: snapshot.unmatched.packets, bytes: snapshot.unmatched.bytes)
        malformed = Count(packets: snapshot.malformed.packets, bytes: snapshot.malformed.bytes)
    }

    /// The tables a person reads.
    public func text(manifest: Manifest) -> String {
        var ruleTable = TextTable([("RULE", .right), ("NAME", .left), ("PACKETS", .right), ("BYTES", .right), ("MATCHES", .left)])
        for (rule, entry) in zip(rules, manifest.rules) {
            ruleTable.add([String(entry.number), rule.name ?? "-", grouped(rule.packets), grouped(rule.bytes), entry.source])
        }
        var classTable = TextTable([("TRAFFIC", .left), ("PACKETS", .right), ("BYTES", .right)])
        for protocolClass in ProtocolClass.allCases {
            let count = protocols[protocolClass.name] ?? Count(packets: 0, bytes: 0)
            classTable.add([protocolClass.name, grouped(count.packets), grouped(count.bytes)])
        }
        classTable.add(["unmatched", grouped(unmatched.packets), grouped(unmatched.bytes)])
        classTable.add(["malformed", grouped(malformed.packets), grouped(malformed.bytes)])
        return ruleTable.render() + "\n\n" + classTable.render()
    }
}
