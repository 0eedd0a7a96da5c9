import VtapRuleModel

/// The packets a ruleset is timed on: one that the first rule matches, one
/// that only the last reachable rule matches, one that no rule matches.
/// Each is checked against the reference semantics (`Ruleset.firstMatch`).
public struct BenchPacket: Sendable {
    public enum Kind: String, Sendable, CaseIterable {
        case first, last, none
    }

    public var kind: Kind
    public var fields: PacketFields
    public var frame: [UInt8]
    /// The rule the reference picks; nil for none.
    public var expectedRule: Int?

    public var summary: String {
        func text(_ a: PacketFields.Address) -> String {
            switch a {
            case .v4(let v): [24, 16, 8, 0].map { String((v >> UInt32($0)) & 0xff) }.joined(separator: ".")
            case .v6(let v): "v6:" + String(v, radix: 16)
            }
        }
        let ports = fields.ports.map { " \($0.source)->\($0.destination)" } ?? ""
        return "proto \(fields.protocolNumber) \(text(fields.source))->\(text(fields.destination))\(ports)"
    }
}

public enum BenchPacketChooser {
    /// Bytes after the transport header of every timed packet.
    public static let payloadBytes = 64

    public struct NoPacket: Error, CustomStringConvertible {
        public var description: String
    }

    public static func packets(for ruleset: Ruleset) throws -> [BenchPacket] {
        guard let firstRule = ruleset.rules.first else { throw NoPacket(description: "the ruleset is empty") }
        guard let first = candidates(for: firstRule).first(where: { ruleset.firstMatch($0)?.index == 0 }) else {
            throw NoPacket(description: "no packet matches rule 1 first")
        }
        var last: (PacketFields, Int)?
        for rule in ruleset.rules.reversed() {
            if let fields = candidates(for: rule).first(where: { ruleset.firstMatch($0)?.index == rule.index }) {
                last = (fields, rule.index)
                break
            }
        }
        guard let last else { throw NoPacket(description: "no rule is reachable") }
        guard let none = unmatchedCandidates.first(where: { ruleset.firstMatch($0) == nil }) else {
            throw NoPacket(description: "every candidate packet matches some rule")
        }
        let payload = [UInt8](repeating: 0x5a, count: payloadBytes)
        return [
            BenchPacket(kind: .first, fields: first, frame: BenchFrame.frame(first, payload: payload), expectedRule: 0),
            BenchPacket(
                kind: .last, fields: last.0, frame: BenchFrame.frame(last.0, payload: payload), expectedRule: last.1),
            BenchPacket(kind: .none, fields: none, frame: BenchFrame.frame(none, payload: payload), expectedRule: nil),
        ]
    }

    /// Packets inside the rule's sets: low, middle and high values of each.
    static func candidates(for rule: Rule) -> [PacketFields] {
        var out: [PacketFields] = []
        let portsNeeded = !rule.sourcePort.isAny || !rule.destinationPort.isAny
        for family in [4, 6] {
            let sources = addresses(rule.sourceAddress, family: family)
            let destinations = addresses(rule.destinationAddress, family: family)
            guard !sources.isEmpty, !destinations.isEmpty else { continue }
            for proto in protocols(rule.protocols, family: family, portsNeeded: portsNeeded) {
                let carriesPorts = BenchFrame.portProtocols.contains(proto)
                for pick in 0..<3 {
                    let ports: PacketFields.Ports? =
                        carriesPorts
                        ? .init(source: port(rule.sourcePort, pick), destination: port(rule.destinationPort, pick))
                        : nil
                    out.append(
                        PacketFields(
                            source: sources[min(pick, sources.count - 1)],
                            destination: destinations[min(pick, destinations.count - 1)], protocolNumber: proto,
                            ports: ports))
                }
            }
        }
        return out
    }

    private static func protocols(_ match: ProtocolMatch, family: Int, portsNeeded: Bool) -> [UInt8] {
        // IPv6 extension-header numbers would be parsed as headers, not as the protocol.
        let extensions: Set<UInt8> = [0, 43, 44, 51, 60]
        let preferred: [UInt8] = family == 4 ? [6, 17, 1, 132, 47] : [6, 17, 58, 132, 47]
        var out = preferred.filter { match.contains($0) && (!portsNeeded || BenchFrame.portProtocols.contains($0)) }
        if out.isEmpty,
            let any = (0...255).map(UInt8.init).first(where: {
                match.contains($0) && !(family == 6 && extensions.contains($0))
                    && (!portsNeeded || BenchFrame.portProtocols.contains($0))
            })
        {
            out = [any]
        }
        return out
    }

    private static func addresses(_ match: AddressMatch, family: Int) -> [PacketFields.Address] {
        if family == 4 {
            guard let piece = match.v4.intervals.first else { return [] }
            return [piece.lower, piece.lower + (piece.upper - piece.lower) / 2, piece.upper].map { .v4($0) }
        }
        guard let piece = match.v6.intervals.first else { return [] }
        return [piece.lower, piece.lower + (piece.upper - piece.lower) / 2, piece.upper].map { .v6($0) }
    }

    private static func port(_ match: PortMatch, _ pick: Int) -> UInt16 {
        guard case .ports(let set) = match, let piece = set.intervals.first else {
            return [40_000, 40_001, 40_002][pick]
        }
        return [piece.lower, piece.lower + (piece.upper - piece.lower) / 2, piece.upper][pick]
    }

    /// Documentation and unallocated addresses, in both families.
    static let unmatchedCandidates: [PacketFields] = {
        let v4a: UInt32 = 0xC000_0201  // 192.0.2.1
        let v4b: UInt32 = 0xC633_6401  // 198.51.100.1
        let v6a: UInt128 = 0x3fff_0000_0000_0000_0000_0000_0000_0001
        let v6b: UInt128 = 0x3fff_0000_0000_0000_0000_0000_0000_0002
        return [
            PacketFields(
                source: .v4(v4a), destination: .v4(v4b), protocolNumber: 6, ports: .init(source: 9, destination: 9)),
            PacketFields(
                source: .v4(v4a), destination: .v4(v4b), protocolNumber: 17, ports: .init(source: 9, destination: 9)),
            PacketFields(source: .v4(v4a), destination: .v4(v4b), protocolNumber: 47, ports: nil),
            PacketFields(
                source: .v6(v6a), destination: .v6(v6b), protocolNumber: 6, ports: .init(source: 9, destination: 9)),
            PacketFields(source: .v6(v6a), destination: .v6(v6b), protocolNumber: 47, ports: nil),
        ]
    }()
}
