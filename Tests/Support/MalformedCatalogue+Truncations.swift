import VtapRuleModel

/// Every header of a few rich packets, cut one byte short.
extension Catalogue {
    static func truncations() -> [CatalogueEntry] {
        let bases: [(String, PacketBuilder)] = [
            (
                "qinq ipv4+options tcp+options",
                v4With { $0.options = [0x01, 0x01, 0x01, 0x00] }.qinq(outer: 100, inner: 10)
                    .tcp(from: 1000, to: 80) { $0.options = [0x02, 0x04, 0x05, 0xB4] }.payload([1, 2, 3, 4])
            ),
            ("vlan ipv4 udp", v4.vlan(7).udp(from: 4500, to: 9).payload([1, 2, 3, 4])),
            ("ipv4 icmp", v4.icmpEcho(identifier: 1, sequence: 2).payload([1, 2, 3, 4])),
            ("ipv4 sctp", v4.sctp(from: 5000, to: 6000, verificationTag: 9).payload([1, 2, 3, 4])),
            (
                "ipv6 extensions udp",
                v6([.hopByHop(), .routing(), .fragment(), .destinationOptions(), .authentication()])
                    .udp(from: 4500, to: 9).payload([1, 2, 3, 4])
            ),
            ("vlan ipv6 icmpv6", v6().vlan(7).icmpEcho(identifier: 1, sequence: 2).payload([1, 2, 3, 4])),
            ("ipv6 tcp", v6().tcp(from: 1000, to: 80).payload([1, 2, 3, 4])),
        ]
        return bases.flatMap { name, packet in truncations(of: packet, named: name) }
    }

    private static func truncations(of packet: PacketBuilder, named baseName: String) -> [CatalogueEntry] {
        let frame = packet.bytes
        let spans = packet.headerSpans
        guard let ipStart = spans.first(where: { [.ipv4Header, .ipv6Header].contains($0.layer) })?.range.lowerBound
        else { return [] }
        var entries: [CatalogueEntry] = []
        for span in spans {
            let cut = Array(frame.prefix(span.range.upperBound - 1))
            let name = "\(baseName): \(span.name) cut off"
            switch span.layer {
            case .ethernet, .vlanTag:
                entries.append(malformed(name, cut, .linkLayer, "an Ethernet header or VLAN tag cut off is malformed"))
            case .ipv4Header, .ipv6Header:
                entries.append(malformed(name, cut, .ipHeader, "a fixed IP header cut off is malformed"))
            case .ipv4Options:
                entries.append(malformed(name, cut, .ipLength, "IHL × 4 beyond the frame is malformed"))
            case .ipv6Extension, .transportHeader:
                entries.append(
                    malformed(name, cut, .ipLength, "an IP length beyond the frame is malformed"))
                // With the IP length shrunk to match, the header's own check fires.
                let consistent = withIPLength(matching: cut, ipStart: ipStart, isIPv6: packet.isIPv6)
                let reason: MalformedReason = span.layer == .transportHeader ? .transport : .ipv6Extension
                entries.append(
                    malformed(
                        name + ", IP length adjusted", consistent, reason,
                        "a header not wholly inside the IP length is malformed"))
            case .payload, .padding:
                break
            }
        }
        return entries
    }

    /// Rewrites the IPv4 total length (and checksum) or the IPv6 payload
    /// length so that the IP packet ends where the frame does.
    static func withIPLength(matching frame: [UInt8], ipStart: Int, isIPv6: Bool) -> [UInt8] {
        var bytes = frame
        let ipLength = bytes.count - ipStart
        if isIPv6 {
            bytes.storeBigEndian(UInt16(ipLength - 40), at: ipStart + 4)
        } else {
            bytes.storeBigEndian(UInt16(ipLength), at: ipStart + 2)
            let headerEnd = ipStart + Int(bytes[ipStart] & 0x0F) * 4
            bytes.storeBigEndian(UInt16(0), at: ipStart + 10)
            bytes.storeBigEndian(Checksum.internet(Array(bytes[ipStart..<headerEnd])), at: ipStart + 10)
        }
        return bytes
    }
}
