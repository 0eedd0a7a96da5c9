import VtapRuleModel

/// The depth limits: two VLAN tags, six IPv6 extension headers.
extension Catalogue {
    static func depthLimits() -> [CatalogueEntry] {
        let udp = v4.udp(from: 4500, to: 9).payload([1, 2, 3, 4])
        let udpFields = v4Fields(IPProtocol.udp, ports: (4500, 9))
        let six: [IPv6ExtensionHeader] = [
            .hopByHop(), .destinationOptions(), .routing(), .fragment(), .authentication(), .destinationOptions(),
        ]
        let tcp6 = { (extensions: [IPv6ExtensionHeader]) in
            v6(extensions).tcp(from: 1000, to: 80).payload([1, 2, 3, 4])
        }
        var longHopByHop = tcp6([.hopByHop()]).bytes
        longHopByHop[14 + 40 + 1] = 10  // (10 + 1) × 8 bytes: past the payload length
        var longAH = tcp6([.authentication()]).bytes
        longAH[14 + 40 + 1] = 30
        let tags = "at most \(ReferenceParser.maximumVLANTags) VLAN tags (0x8100 or 0x88a8)"
        let chain = "at most \(ReferenceParser.maximumIPv6ExtensionHeaders) IPv6 extension headers"
        return [
            valid("one 802.1Q tag", udp.vlan(10).bytes, udpFields, tags),
            valid("two 802.1Q tags", udp.vlan(10).vlan(20).bytes, udpFields, tags),
            valid("802.1ad + 802.1Q tags", udp.qinq(outer: 10, inner: 20).bytes, udpFields, tags),
            valid(
                "two 802.1ad tags", udp.vlan(10, tpid: EtherType.qinq).vlan(20, tpid: EtherType.qinq).bytes,
                udpFields, tags),
            malformed("three 802.1Q tags", udp.vlan(1).vlan(2).vlan(3).bytes, .vlanDepth, tags),
            malformed("802.1ad + two 802.1Q tags", udp.qinq(outer: 1, inner: 2).vlan(3).bytes, .vlanDepth, tags),
            malformed(
                "three tags, the third cut off", Array(udp.vlan(1).vlan(2).vlan(3).bytes.prefix(22)), .vlanDepth,
                tags + "; the third TPID alone is malformed"),
            valid("six ipv6 extension headers", tcp6(six).bytes, v6Fields(IPProtocol.tcp, ports: (1000, 80)), chain),
            malformed("seven ipv6 extension headers", tcp6(six + [.destinationOptions()]).bytes, .ipv6Extension, chain),
            malformed(
                "ipv6 hop-by-hop length past the payload", longHopByHop, .ipv6Extension,
                "an extension header must lie inside the payload length"),
            malformed(
                "ipv6 AH length past the payload", longAH, .ipv6Extension,
                "AH counts (len + 2) × 4 bytes and must lie inside the payload length"),
            valid(
                "ipv6 AH then tcp", tcp6([.authentication()]).bytes, v6Fields(IPProtocol.tcp, ports: (1000, 80)),
                "in IPv6, AH is an extension header: rules see the protocol after it"),
        ]
    }

    static func otherProtocols() -> [CatalogueEntry] {
        let arpBody = [UInt8](repeating: 0, count: 28)
        let noL4 = "protocols without ports need no L4 header; ports nil"
        return [
            valid(
                "arp", PacketBuilder(destination: .broadcast).etherType(EtherType.arp).payload(arpBody).bytes, .nonIP,
                "EtherTypes other than IPv4/IPv6 are non-IP"),
            valid(
                "vlan + arp", PacketBuilder().vlan(5).etherType(EtherType.arp).payload(arpBody).bytes, .nonIP,
                "the EtherType after the tags decides"),
            valid(
                "two tags + local experimental", PacketBuilder().qinq(outer: 1, inner: 2).payload([1, 2]).bytes,
                .nonIP, "the EtherType after the tags decides"),
            valid(
                "0x9100 tag before ipv4", v4.vlan(5, tpid: 0x9100).udp(from: 4500, to: 9).bytes, .nonIP,
                "only 0x8100 and 0x88a8 are VLAN tags"),
            valid(
                "ipv4 gre", v4.transport(protocol: IPProtocol.gre, header: [0, 0, 0x08, 0x00]).payload([0x45]).bytes,
                v4Fields(IPProtocol.gre), noL4),
            valid(
                "ipv4 AH",
                v4.transport(protocol: IPProtocol.ah, header: [6, 4, 0, 0] + Array(repeating: 0, count: 20))
                    .bytes, v4Fields(IPProtocol.ah), "in IPv4, AH is the protocol: it is not skipped"),
            valid(
                "ipv6 esp",
                v6().transport(protocol: IPProtocol.esp, header: [0, 0, 1, 0, 0, 0, 0, 1]).payload([1, 2])
                    .bytes, v6Fields(IPProtocol.esp), noL4),
            valid("ipv6 no next header", v6().bytes, v6Fields(PacketBuilder.noNextHeader), noL4),
            valid(
                "ipv4 icmp echo", v4.icmpEcho(identifier: 1, sequence: 2).bytes, v4Fields(IPProtocol.icmp),
                "ICMP has an 8-byte header and no ports"),
            valid(
                "ipv6 icmpv6 echo", v6().icmpEcho(.reply, identifier: 1, sequence: 2).bytes,
                v6Fields(IPProtocol.icmpv6), "ICMPv6 has an 8-byte header and no ports"),
            valid(
                "ipv4 sctp", v4.sctp(from: 5000, to: 6000).bytes, v4Fields(IPProtocol.sctp, ports: (5000, 6000)),
                "SCTP's 12-byte common header carries ports"),
            valid(
                "ipv6 udp-lite", v6().udpLite(from: 53, to: 5353).payload([1]).bytes,
                v6Fields(IPProtocol.udplite, ports: (53, 5353)), "UDP-Lite's 8-byte header carries ports"),
        ]
    }
}
