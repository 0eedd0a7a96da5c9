import VtapDiagnostics
import VtapRuleModel

/// Seeded random rulesets for differential tests. Values come from small
/// pools so rules overlap, nest and shadow each other the way real ones do.
public struct RandomRulesets {
    public var generator: SeededGenerator

    public init(seed: UInt64) {
        generator = SeededGenerator(seed: seed)
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
        let portsAllowed = protocols.numbers.intervals.allSatisfy { piece in
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
        for _ in 0..<generator.int(in: 1...3) {
            if chance(0.6) {
                let base = generator.pick(Self.v4Pool)
                let length = generator.pick([32, 32, 31, 24, 16, 8, 0])
                match = match.union(AddressMatch(v4: .prefix(base, length: length), v6: .empty))
            } else {
                let base = generator.pick(Self.v6Pool)
                let length = generator.pick([128, 128, 127, 96, 64, 63, 48, 0])
                match = match.union(AddressMatch(v4: .empty, v6: .prefix(base, length: length)))
            }
        }
        return chance(0.15) ? match.complement : match
    }

    mutating func portMatch() -> PortMatch {
        if chance(0.4) { return .any }
        var set = IntervalSet<UInt16>()
        for _ in 0..<generator.int(in: 1...3) {
            let a = generator.pick(Self.portPool)
            let b = chance(0.4) ? generator.pick(Self.portPool) : a
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
        for _ in 0..<generator.int(in: 1...2) {
            let p = generator.pick(Self.protocolPool)
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
                let base = generator.pick(Self.v6Pool)
                return .v6(base &+ UInt128(bitPattern: Int128(generator.int(in: -1...1))))
            }
            let base = generator.pick(Self.v4Pool)
            return .v4(base &+ UInt32(bitPattern: Int32(generator.int(in: -1...1))))
        }
        var protocols = Self.protocolPool + [IPProtocol.udplite, 0, 255]
        if chance(0.5) { protocols = [IPProtocol.tcp, IPProtocol.udp] }
        let proto = generator.pick(protocols)
        var ports: PacketFields.Ports?
        if IPProtocol.carriesPorts(proto), !chance(0.1) {
            func port() -> UInt16 { generator.pick(Self.portPool) &+ UInt16(bitPattern: Int16(generator.int(in: -1...1))) }
            ports = PacketFields.Ports(source: port(), destination: port())
        }
        return PacketFields(source: address(), destination: address(), protocolNumber: proto, ports: ports)
    }

    mutating func chance(_ p: Double) -> Bool { generator.unit() < p }
}

/// SplitMix64: tiny, fast, and the same sequence on every machine.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    public mutating func int(in range: ClosedRange<Int>) -> Int { Int.random(in: range, using: &self) }
    public mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }
    public mutating func pick<T>(_ items: [T]) -> T { items[Int.random(in: 0..<items.count, using: &self)] }
}
