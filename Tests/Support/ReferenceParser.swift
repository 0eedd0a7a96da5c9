import VtapRuleModel

/// The executable spec of vtap's packet parser, written for clarity, not
/// speed. The BPF parser must classify every frame the same way; the
/// malformed-packet catalogue and the random differential test check it.
///
/// The rules, in the order they are applied:
/// 1. Fewer than 14 bytes: malformed (link layer).
/// 2. EtherType 0x8100 or 0x88a8 is a VLAN tag (4 bytes, then the next
///    type). A third tag is malformed (VLAN depth); a cut-off tag is
///    malformed (link layer).
/// 3. EtherType 0x0800 is IPv4, 0x86DD IPv6, anything else is non-IP.
/// 4. IPv4: fewer than 20 bytes or version ≠ 4: malformed (IP header).
///    IHL < 5, IHL × 4 beyond the bytes after the IP start, total length
///    < IHL × 4, or total length beyond those bytes: malformed (IP length).
///    Bytes after the total length (Ethernet padding) are ignored.
/// 5. IPv6: fewer than 40 bytes or version ≠ 6: malformed (IP header).
///    40 + payload length beyond the bytes after the IP start: malformed
///    (IP length). Next headers 0, 43, 44, 60 and 51 (AH) are extension
///    headers, walked in any order; the 7th is malformed (IPv6 extension),
///    as is one not wholly inside the payload length. Lengths: AH
///    (len + 2) × 4, fragment 8, others (len + 1) × 8.
/// 6. A non-first fragment (IPv4 offset ≠ 0, or an IPv6 fragment header
///    with offset ≠ 0) is valid without an L4 header: ports `nil`, its
///    protocol is the IPv4 protocol or the fragment header's next header,
///    and its whole remaining IP payload is payload. The walk stops there.
/// 7. Otherwise the transport header must lie inside the IP packet (its
///    total/payload length): TCP 20 bytes and 5 ≤ data offset with data
///    offset × 4 inside; UDP and UDP-Lite 8; ICMP and ICMPv6 8; SCTP 12.
///    Else malformed (transport). First fragments are held to this too.
///    TCP, UDP, UDP-Lite and SCTP give ports; other protocols need no L4
///    header (GRE, ESP, IPv4's AH, No Next Header 59, ...), ports `nil`.
///    The UDP length field and all checksums are not consulted.
public enum ReferenceParser {
    public static let maximumVLANTags = 2
    public static let maximumIPv6ExtensionHeaders = 6

    public struct Result: Sendable, Hashable {
        public var expectation: Expectation
        public var reason: MalformedReason?
        /// IPv4 total length or 40 + IPv6 payload length.
        public var ipTotalLength: Int?
        /// Goodput bytes: IP length − IP header(s) − L4 header.
        public var l4PayloadLength: Int?

        static func malformed(_ reason: MalformedReason) -> Result {
            Result(expectation: .malformed, reason: reason)
        }
    }

    public static func parse(_ frame: [UInt8]) -> Result {
        guard frame.count >= 14 else { return .malformed(.linkLayer) }
        var typeOffset = 12
        var tags = 0
        while [EtherType.vlan, EtherType.qinq].contains(frame.bigEndianUInt16(at: typeOffset)) {
            tags += 1
            guard tags <= maximumVLANTags else { return .malformed(.vlanDepth) }
            guard frame.count >= typeOffset + 6 else { return .malformed(.linkLayer) }
            typeOffset += 4
        }
        let ipStart = typeOffset + 2
        switch frame.bigEndianUInt16(at: typeOffset) {
        case EtherType.ipv4: return parseIPv4(frame, at: ipStart)
        case EtherType.ipv6: return parseIPv6(frame, at: ipStart)
        default: return Result(expectation: .nonIP)
        }
    }

    private static func parseIPv4(_ frame: [UInt8], at start: Int) -> Result {
        let available = frame.count - start
        guard available >= 20, frame[start] >> 4 == 4 else { return .malformed(.ipHeader) }
        let headerLength = Int(frame[start] & 0x0F) * 4
        let totalLength = Int(frame.bigEndianUInt16(at: start + 2))
        guard headerLength >= 20, headerLength <= available, totalLength >= headerLength, totalLength <= available
        else { return .malformed(.ipLength) }
        let source = PacketFields.Address.v4(frame.bigEndianUInt32(at: start + 12))
        let destination = PacketFields.Address.v4(frame.bigEndianUInt32(at: start + 16))
        let protocolNumber = frame[start + 9]
        let end = start + totalLength
        if frame.bigEndianUInt16(at: start + 6) & 0x1FFF != 0 {
            return nonFirstFragment(
                source, destination, protocolNumber, totalLength, payloadLength: end - start - headerLength)
        }
        return parseTransport(
            frame, protocolNumber, from: start + headerLength, to: end, source, destination, totalLength: totalLength,
            ipHeaderLength: headerLength)
    }

    private static func parseIPv6(_ frame: [UInt8], at start: Int) -> Result {
        let available = frame.count - start
        guard available >= 40, frame[start] >> 4 == 6 else { return .malformed(.ipHeader) }
        let totalLength = 40 + Int(frame.bigEndianUInt16(at: start + 4))
        guard totalLength <= available else { return .malformed(.ipLength) }
        let source = PacketFields.Address.v6(frame.bigEndianUInt128(at: start + 8))
        let destination = PacketFields.Address.v6(frame.bigEndianUInt128(at: start + 24))
        let end = start + totalLength
        var next = frame[start + 6]
        var offset = start + 40
        var count = 0
        while IPv6ExtensionHeader.numbers.contains(next) {
            count += 1
            guard count <= maximumIPv6ExtensionHeaders, offset + 2 <= end else { return .malformed(.ipv6Extension) }
            let length =
                switch next {
                case IPv6ExtensionHeader.authenticationNumber: (Int(frame[offset + 1]) + 2) * 4
                case IPv6ExtensionHeader.fragmentNumber: 8
                default: (Int(frame[offset + 1]) + 1) * 8
                }
            guard offset + length <= end else { return .malformed(.ipv6Extension) }
            if next == IPv6ExtensionHeader.fragmentNumber, frame.bigEndianUInt16(at: offset + 2) >> 3 != 0 {
                return nonFirstFragment(
                    source, destination, frame[offset], totalLength, payloadLength: end - offset - 8)
            }
            next = frame[offset]
            offset += length
        }
        return parseTransport(
            frame, next, from: offset, to: end, source, destination, totalLength: totalLength,
            ipHeaderLength: offset - start)
    }

    private static func nonFirstFragment(
        _ source: PacketFields.Address, _ destination: PacketFields.Address, _ protocolNumber: UInt8,
        _ totalLength: Int, payloadLength: Int
    ) -> Result {
        let fields = PacketFields(source: source, destination: destination, protocolNumber: protocolNumber, ports: nil)
        return Result(expectation: .fields(fields), ipTotalLength: totalLength, l4PayloadLength: payloadLength)
    }

    private static func parseTransport(
        _ frame: [UInt8], _ protocolNumber: UInt8, from start: Int, to end: Int,
        _ source: PacketFields.Address, _ destination: PacketFields.Address, totalLength: Int, ipHeaderLength: Int
    ) -> Result {
        let segment = frame[start..<end]
        guard let headerLength = TransportRule.headerLength(protocol: protocolNumber, segment: segment),
            protocolNumber != IPProtocol.tcp || (headerLength >= 20 && headerLength <= segment.count)
        else { return .malformed(.transport) }
        let ports =
            IPProtocol.carriesPorts(protocolNumber)
            ? PacketFields.Ports(
                source: frame.bigEndianUInt16(at: start), destination: frame.bigEndianUInt16(at: start + 2))
            : nil
        let fields = PacketFields(
            source: source, destination: destination, protocolNumber: protocolNumber, ports: ports)
        return Result(
            expectation: .fields(fields), ipTotalLength: totalLength,
            l4PayloadLength: totalLength - ipHeaderLength - headerLength)
    }
}
