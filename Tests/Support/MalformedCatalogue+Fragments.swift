import VtapRuleModel

/// Fragments: valid IP packets; only the first one has an L4 header.
extension Catalogue {
    static func fragments() -> [CatalogueEntry] {
        let data: [UInt8] = Array(0..<16)
        let tcpHeaderStart = Array(v4.tcp(from: 1000, to: 80).bytes.suffix(20).prefix(10))
        let nonFirst = "a non-first fragment has no L4 header: its protocol, ports nil"
        let first = "a first fragment must carry the whole L4 header"
        return [
            valid(
                "ipv4 non-first fragment of tcp",
                v4With {
                    $0.fragmentOffset = 1
                    $0.moreFragments = true
                }.transport(protocol: IPProtocol.tcp)
                    .payload(data).bytes, v4Fields(IPProtocol.tcp), nonFirst),
            valid(
                "ipv4 last fragment with 2 data bytes",
                v4With { $0.fragmentOffset = 100 }.transport(protocol: IPProtocol.udp).payload([1, 2]).bytes,
                v4Fields(IPProtocol.udp), nonFirst + ", however short"),
            valid(
                "ipv4 non-first fragment without data",
                v4With { $0.fragmentOffset = 8191 }.transport(protocol: IPProtocol.sctp).bytes,
                v4Fields(IPProtocol.sctp), nonFirst + ", even with no data"),
            valid(
                "ipv4 first fragment with whole tcp header",
                v4With { $0.moreFragments = true }.tcp(from: 1000, to: 80).payload(data).bytes,
                v4Fields(IPProtocol.tcp, ports: (1000, 80)), first),
            valid(
                "ipv4 first fragment with whole udp header",
                v4With {
                    $0.moreFragments = true
                    $0.identification = 7
                }.udp(from: 4500, to: 9).payload(data).bytes,
                v4Fields(IPProtocol.udp, ports: (4500, 9)), first),
            malformed(
                "ipv4 first fragment with tcp header cut",
                v4With { $0.moreFragments = true }.transport(protocol: IPProtocol.tcp, header: tcpHeaderStart).bytes,
                .transport, first),
            valid(
                "ipv6 non-first fragment of udp",
                v6([.fragment(offset: 10, moreFragments: true, identification: 5)]).transport(protocol: IPProtocol.udp)
                    .payload([1, 2, 3]).bytes, v6Fields(IPProtocol.udp), nonFirst),
            valid(
                "ipv6 non-first fragment after hop-by-hop",
                v6([.hopByHop(), .fragment(offset: 3)]).transport(protocol: IPProtocol.tcp).payload(data).bytes,
                v6Fields(IPProtocol.tcp), nonFirst),
            valid(
                "ipv6 non-first fragment naming destination options",
                v6([.fragment(offset: 3)]) { $0.finalNextHeaderOverride = 60 }.transport(protocol: IPProtocol.tcp)
                    .payload(data).bytes, v6Fields(60),
                nonFirst + "; the protocol is the fragment header's next header, even an extension header's number"),
            valid(
                "ipv6 first fragment with whole udp header",
                v6([.fragment(offset: 0, moreFragments: true)]).udp(from: 4500, to: 9).payload(data).bytes,
                v6Fields(IPProtocol.udp, ports: (4500, 9)), first),
            valid(
                "ipv6 atomic fragment",
                v6([.fragment()]).tcp(from: 1000, to: 80).payload(data).bytes,
                v6Fields(IPProtocol.tcp, ports: (1000, 80)), "offset 0 without M is a whole packet"),
            malformed(
                "ipv6 first fragment with tcp header cut",
                v6([.fragment(offset: 0, moreFragments: true)])
                    .transport(protocol: IPProtocol.tcp, header: tcpHeaderStart)
                    .bytes, .transport, first),
        ]
    }
}
