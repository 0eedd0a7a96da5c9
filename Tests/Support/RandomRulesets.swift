import VtapDiagnostics
import VtapRuleModel

/// Seeded random rulesets for differential tests. Values come from small
/// pools so rules overlap, nest and shadow each other the way real ones do.
public struct RandomRulesets {
    public var generator: SplitMix64

    public init(seed: UInt64) {
        generator = SplitMix64(seed: seed)
    }

    public static let v4Pool: [UInt32] = [
        0x0A00_0000, 0x0A00_0001, 0x0A00_0102, 0x0A01_0000, 0x0AFF_FFFF, 0xC0A8_0001, 0xC0A8_01FE,
        0x0101_0101, 0x0202_0202, 0x0303_0303, 0x7F00_0001, 0xFFFF_FFFF, 0x0000_0000, 0x8000_0000,
    ]
    public static let v6Pool: [UInt128] = [
        UInt128(0x2001_0db8_0000_0000) << 64, (UInt128(0x2001_0db8_0000_0000) << 64) | 1,
        (UInt128(0x2001_0db8_0000_0001) << 64) | 0xFFFF, UInt128(0xFE80_0000_0000_0000) << 64 | 0x1234,
        UInt128(1), UInt128(0), .max, (UInt128(0xFD00_0000_0000_0000) << 64),
        (UInt128(0x0000_0000_0000_0000) << 64) | 0x0000_FFFF_0A00_0001,
    ]
    public static let portPool: [UInt16] = [0, 1, 22, 53, 80, 443, 1000, 1999, 2000, 5060, 8080, 65534, 65535]
    public static let protocolPool: [UInt8] = [
        IPProtocol.tcp, IPProtocol.udp, IPProtocol.icmp, IPProtocol.icmpv6, IPProtocol.sctp, IPProtocol.gre,
    ]

    public mutating func ruleset(count: Int, settings: Settings = Settings()) -> Ruleset {
        Ruleset(rules: (0..<count).map { rule(index: $0) }, settings: settings)
    }

    public mutating func rule(index: Int) -> Rule {
        let protocols = protocolMatch()
        let portsAllowed =
            protocols.numbers.intervals.allSatisfy { piece in
                (piece.lower...piece.upper).allSatisfy { IPProtocol.carriesPorts($0) }
            } || protocols.isAny
        return Rule(
            index: index, name: nil, source: "random \(index)", location: SourceLocation(line: index + 1, column: 1),
            range: SourceRange(at: 0),
            sourceAddress: addressMatch(), destinationAddress: addressMatch(),
            sourcePort: portsAllowed ? portMatch() : .any, destinationPort: portsAllowed ? portMatch() : .any,
            protocols: protocols)
    }

    mutating func addressMatch() -> AddressMatch {
        if chance(0.35) { return .any }
        var match = AddressMatch.none
        for _ in 0..<Int.random(in: 1...3, using: &generator) {
            if chance(0.6) {
                let base = generator.element(of: Self.v4Pool)
                let length = generator.element(of: [32, 32, 31, 24, 16, 8, 0])
                match = match.union(AddressMatch(v4: .prefix(base, length: length), v6: .empty))
            } else {
                let base = generator.element(of: Self.v6Pool)
                let length = generator.element(of: [128, 128, 127, 96, 64, 63, 48, 0])
                match = match.union(AddressMatch(v4: .empty, v6: .prefix(base, length: length)))
            }
        }
        return chance(0.15) ? match.complement : match
    }

    mutating func portMatch() -> PortMatch {
        if chance(0.4) { return .any }
        var set = IntervalSet<UInt16>()
        for _ in 0..<Int.random(in: 1...3, using: &generator) {
            let a = generator.element(of: Self.portPool)
            let b = chance(0.4) ? generator.element(of: Self.portPool) : a
            set = set.union(IntervalSet(min(a, b), max(a, b)))
        }
        if chance(0.15) {
            let complement = set.complement()
            if !complement.isEmpty { return .ports(complement) }
        }
        return .ports(set)
    }

    mutating func protocolMatch() -> ProtocolMatch {
        if chance(0.3) { return .any }
        var set = IntervalSet<UInt8>()
        for _ in 0..<Int.random(in: 1...2, using: &generator) {
            let p = generator.element(of: Self.protocolPool)
            set = set.union(IntervalSet(p, p))
        }
        if chance(0.1) { set = set.complement() }
        return ProtocolMatch(numbers: set)
    }

    /// A packet whose fields sit on or next to the ruleset's values, so
    /// boundaries get exercised.
    public mutating func packet() -> PacketFields {
        let v6 = chance(0.4)
        func address() -> PacketFields.Address {
            if v6 {
                let base = generator.element(of: Self.v6Pool)
                return .v6(base &+ UInt128(bitPattern: Int128(Int.random(in: -1...1, using: &generator))))
            }
            let base = generator.element(of: Self.v4Pool)
            return .v4(base &+ UInt32(bitPattern: Int32(Int.random(in: -1...1, using: &generator))))
        }
        var protocols = Self.protocolPool + [IPProtocol.udplite, 0, 255]
        if chance(0.5) { protocols = [IPProtocol.tcp, IPProtocol.udp] }
        let proto = generator.element(of: protocols)
        var ports: PacketFields.Ports?
        if IPProtocol.carriesPorts(proto), !chance(0.1) {
            func port() -> UInt16 {
                generator.element(of: Self.portPool)
                    &+ UInt16(bitPattern: Int16(Int.random(in: -1...1, using: &generator)))
            }
            ports = PacketFields.Ports(source: port(), destination: port())
        }
        return PacketFields(source: address(), destination: address(), protocolNumber: proto, ports: ports)
    }

    mutating func chance(_ p: Double) -> Bool { generator.chance(Int(p * 100)) }
}
