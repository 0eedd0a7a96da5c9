import VtapRuleModel

/// One random packet for the differential test, with what it must parse to.
public struct GeneratedPacket: Sendable, Hashable {
    public var packet: PacketBuilder
    public var frame: [UInt8]
    public var fields: PacketFields
    /// Goodput bytes, per the definition in `PacketBuilder.l4PayloadLength`.
    public var l4PayloadLength: Int
}

/// Values to favour: a random ruleset's boundaries, so that packets land on,
/// just inside and just outside its intervals.
public struct InterestingValues: Sendable {
    public var v4: [UInt32]
    public var v6: [UInt128]
    public var ports: [UInt16]
    public var protocols: [UInt8]

    public init(v4: [UInt32] = [], v6: [UInt128] = [], ports: [UInt16] = [], protocols: [UInt8] = []) {
        self.v4 = v4
        self.v6 = v6
        self.ports = ports
        self.protocols = protocols
    }
}

/// Seeded, deterministic random valid frames over IPv4 and IPv6: TCP, UDP,
/// UDP-Lite, ICMP/ICMPv6, SCTP, GRE and the caller's protocols; VLAN tags,
/// IPv4 options, IPv6 extension headers, first and non-first fragments.
/// The same seed and values give the same packets.
public struct RandomPacketGenerator: Sendable {
    public let seed: UInt64
    public var interesting: InterestingValues
    private var random: SplitMix64

    public init(seed: UInt64, interesting: InterestingValues = InterestingValues()) {
        self.seed = seed
        self.interesting = interesting
        self.random = SplitMix64(seed: seed)
    }

    public init(
        seed: UInt64, interestingV4: [UInt32], interestingV6: [UInt128], interestingPorts: [UInt16],
        interestingProtocols: [UInt8]
    ) {
        self.init(
            seed: seed,
            interesting: InterestingValues(
                v4: interestingV4, v6: interestingV6, ports: interestingPorts, protocols: interestingProtocols))
    }

    public mutating func next() -> GeneratedPacket {
        let isIPv6 = random.chance(50)
        let protocolNumber = nextProtocol(isIPv6: isIPv6)
        var packet = PacketBuilder()
        for _ in 0..<random.element(of: [0, 0, 0, 1, 1, 2]) {
            packet = packet.vlan(
                UInt16.random(in: 1...4094, using: &random),
                tpid: random.chance(30) ? EtherType.qinq : EtherType.vlan)
        }
        let fragment = random.element(of: Fragmenting.allCases)
        packet = isIPv6 ? withIPv6(packet, fragment) : withIPv4(packet, fragment)
        packet = withTransport(packet, protocolNumber, nonFirstFragment: fragment == .nonFirst)
        packet = packet.paddedToMinimumLength(random.chance(50))
        guard let fields = packet.fields, let goodput = packet.l4PayloadLength else {
            preconditionFailure("generated packets are IP packets")
        }
        return GeneratedPacket(packet: packet, frame: packet.bytes, fields: fields, l4PayloadLength: goodput)
    }

    public mutating func next(_ count: Int) -> [GeneratedPacket] {
        (0..<count).map { _ in next() }
    }

    // MARK: - Choices

    private enum Fragmenting: CaseIterable { case whole, whole2, whole3, first, nonFirst }

    private static let commonProtocols: [UInt8] = [
        IPProtocol.tcp, IPProtocol.udp, IPProtocol.sctp, IPProtocol.gre, IPProtocol.udplite,
    ]

    private mutating func nextProtocol(isIPv6: Bool) -> UInt8 {
        var number: UInt8
        if !interesting.protocols.isEmpty && random.chance(40) {
            number = random.element(of: interesting.protocols)
        } else if random.chance(20) {
            number = isIPv6 ? IPProtocol.icmpv6 : IPProtocol.icmp
        } else {
            number = random.element(of: Self.commonProtocols)
        }
        // An extension header's number would be parsed as one, not as the protocol.
        if isIPv6 && (IPv6ExtensionHeader.numbers.contains(number) || number == PacketBuilder.noNextHeader) {
            number = IPProtocol.udp
        }
        return number
    }

    /// An interesting value, or one next to it, or anything at all.
    private mutating func pick<T: FixedWidthInteger & UnsignedInteger>(_ values: [T]) -> T {
        guard let value = values.randomElement(using: &random), random.chance(70) else {
            return T.random(in: T.min...T.max, using: &random)
        }
        switch Int.random(in: 0..<3, using: &random) {
        case 0: return value &- 1
        case 1: return value &+ 1
        default: return value
        }
    }

    private mutating func withIPv4(_ packet: PacketBuilder, _ fragment: Fragmenting) -> PacketBuilder {
        let (source, destination) = (pick(interesting.v4), pick(interesting.v4))
        // NOPs: valid options of any length up to the 40-byte maximum.
        let optionLength = random.chance(25) ? Int.random(in: 1...40, using: &random) : 0
        let options = [UInt8](repeating: 1, count: optionLength)
        let identification = UInt16.random(in: 0...UInt16.max, using: &random)
        let ttl = UInt8.random(in: 1...255, using: &random)
        let offset = fragment == .nonFirst ? UInt16.random(in: 1...0x1FFF, using: &random) : 0
        let moreFragments = fragment == .first || (fragment == .nonFirst && random.chance(50))
        let dontFragment = fragment != .first && fragment != .nonFirst && random.chance(50)
        return packet.ipv4(from: source, to: destination) {
            $0.options = options
            $0.identification = identification
            $0.ttl = ttl
            $0.fragmentOffset = offset
            $0.moreFragments = moreFragments
            $0.dontFragment = dontFragment
        }
    }

    private mutating func withIPv6(_ packet: PacketBuilder, _ fragment: Fragmenting) -> PacketBuilder {
        let (source, destination) = (pick(interesting.v6), pick(interesting.v6))
        var extensions: [IPv6ExtensionHeader] = []
        for _ in 0..<Int.random(in: 0...3, using: &random) where random.chance(40) {
            extensions.append(randomExtensionHeader())
        }
        let identification = UInt32.random(in: 0...UInt32.max, using: &random)
        switch fragment {
        case .first:
            extensions.append(.fragment(offset: 0, moreFragments: true, identification: identification))
        case .nonFirst:
            extensions.append(
                .fragment(
                    offset: UInt16.random(in: 1...0x1FFF, using: &random), moreFragments: random.chance(50),
                    identification: identification))
        case .whole, .whole2, .whole3:
            break
        }
        if random.chance(20) { extensions.append(.destinationOptions()) }  // after the fragment header
        let hopLimit = UInt8.random(in: 1...255, using: &random)
        return packet.ipv6(from: source, to: destination, extensions: extensions) { $0.hopLimit = hopLimit }
    }

    private mutating func randomExtensionHeader() -> IPv6ExtensionHeader {
        switch Int.random(in: 0..<4, using: &random) {
        case 0: .hopByHop(options: random.chance(50) ? [] : [0x1E, 2, 0, 0])  // an unknown, skippable option
        case 1: .routing()
        case 2: .destinationOptions()
        default: .authentication(spi: UInt32.random(in: 256...UInt32.max, using: &random), sequence: 1)
        }
    }

    private mutating func withTransport(_ packet: PacketBuilder, _ number: UInt8, nonFirstFragment: Bool)
        -> PacketBuilder
    {
        let payload = randomPayload()
        if nonFirstFragment {
            return packet.transport(protocol: number).payload(payload)
        }
        let (source, destination) = (pick(interesting.ports), pick(interesting.ports))
        let built: PacketBuilder
        switch number {
        case IPProtocol.tcp:
            let flags = random.element(of: [TCPFlags.ack, [.syn], [.syn, .ack], [.psh, .ack], [.fin, .ack], [.rst]])
            let options: [UInt8] = random.chance(30) ? [0x02, 0x04, 0x05, 0xB4, 0x01, 0x01, 0x04, 0x02] : []
            let sequence = UInt32.random(in: 0...UInt32.max, using: &random)
            built = packet.tcp(from: source, to: destination, flags: flags) {
                $0.options = options
                $0.sequence = sequence
            }
        case IPProtocol.udp: built = packet.udp(from: source, to: destination)
        case IPProtocol.udplite: built = packet.udpLite(from: source, to: destination)
        case IPProtocol.sctp:
            let tag = UInt32.random(in: 0...UInt32.max, using: &random)
            built = packet.sctp(from: source, to: destination, verificationTag: tag)
        case IPProtocol.icmp where !packet.isIPv6, IPProtocol.icmpv6 where packet.isIPv6:
            built = packet.icmpEcho(
                random.chance(50) ? .request : .reply,
                identifier: UInt16.random(in: 0...UInt16.max, using: &random),
                sequence: UInt16.random(in: 0...UInt16.max, using: &random))
        case IPProtocol.gre:
            built = packet.transport(protocol: number, header: [0, 0, 0x88, 0xB5])  // GRE carrying a non-IP type
        default:
            built = packet.transport(protocol: number, header: random.bytes(8))
        }
        return built.payload(payload)
    }

    private mutating func randomPayload() -> [UInt8] {
        if random.chance(30) {
            let length = Int.random(in: 8...64, using: &random)
            return seqPayload(
                sequence: UInt32.random(in: 0...UInt32.max, using: &random),
                patternOffset: Int.random(in: 0...length - 8, using: &random), totalLength: length)
        }
        return random.bytes(Int.random(in: 0...48, using: &random))
    }
}
