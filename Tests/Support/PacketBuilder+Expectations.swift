import VtapRuleModel

/// What a test asserts about a built packet, derived from the builder's own
/// description (not by parsing the bytes). For deliberately malformed
/// packets these are the values written in the headers.
extension PacketBuilder {
    public var frameLength: Int { bytes.count }

    /// The IPv4 total length field, or 40 + the IPv6 payload length field.
    public var ipTotalLength: Int? {
        switch network {
        case .ipv4(let ip):
            return Int(ip.totalLength(payloadLength: transportSegmentLength))
        case .ipv6(let ip):
            let extensions = ip.extensionHeaders.reduce(0) { $0 + $1.encode(nextHeader: 0).count }
            return 40 + Int(ip.payloadLengthOverride ?? UInt16(truncatingIfNeeded: extensions + transportSegmentLength))
        case nil:
            return nil
        }
    }

    /// IHL × 4 for IPv4; 40 plus every extension header for IPv6.
    public var ipHeaderLength: Int? {
        switch network {
        case .ipv4(let ip): Int(ip.ihl) * 4
        case .ipv6(let ip): 40 + ipv6ExtensionBytes(ip)
        case nil: nil
        }
    }

    /// IPv6 headers end at a non-first fragment's fragment header: what
    /// follows it is that fragment's data, whatever it looks like.
    private func ipv6ExtensionBytes(_ ip: IPv6Header) -> Int {
        let end =
            ip.extensionHeaders.firstIndex(where: \.isNonFirstFragment).map { $0 + 1 } ?? ip.extensionHeaders.count
        return ip.extensionHeaders.prefix(end).reduce(0) { $0 + $1.encode(nextHeader: 0).count }
    }

    /// A fragment other than the first: its data carries no L4 header.
    public var isNonFirstFragment: Bool {
        switch network {
        case .ipv4(let ip): ip.fragmentOffset & 0x1FFF != 0
        case .ipv6(let ip): ip.extensionHeaders.contains { $0.isNonFirstFragment }
        case nil: false
        }
    }

    /// Any fragment, first or not: its L4 checksum covers bytes it lacks.
    public var isFragment: Bool {
        switch network {
        case .ipv4(let ip):
            return ip.moreFragments || ip.fragmentOffset & 0x1FFF != 0
        case .ipv6(let ip):
            return ip.extensionHeaders.contains {
                if case .fragment(let offset, let more, _) = $0 { offset != 0 || more } else { false }
            }
        case nil:
            return false
        }
    }

    /// The transport header length the parser accounts for: TCP data offset
    /// × 4, UDP 8, ICMP 8, SCTP 12, other protocols and non-first fragments 0.
    public var l4HeaderLength: Int? {
        guard network != nil else { return nil }
        if isNonFirstFragment { return 0 }
        switch transport {
        case .tcp(let tcp): return Int(tcp.dataOffset) * 4
        case .udp: return 8
        case .icmpEcho: return 8
        case .sctp: return 12
        case .raw(let number, let header):
            return TransportRule.headerLength(protocol: number, segment: (header + payload)[...]) ?? 0
        case nil: return 0
        }
    }

    /// Goodput bytes: IP total length − IP header(s) − L4 header.
    public var l4PayloadLength: Int? {
        guard let total = ipTotalLength, let ipHeader = ipHeaderLength, let l4 = l4HeaderLength else { return nil }
        return total - ipHeader - l4
    }

    /// The 5-tuple rules see; `nil` for a frame without IP, or whose
    /// EtherType override hides its IP header.
    public var fields: PacketFields? {
        if let etherTypeOverride, etherTypeOverride != (isIPv6 ? EtherType.ipv6 : EtherType.ipv4) { return nil }
        let (source, destination): (PacketFields.Address, PacketFields.Address)
        var protocolNumber = transportProtocolNumber
        switch network {
        case .ipv4(let ip):
            (source, destination) = (.v4(ip.source), .v4(ip.destination))
            protocolNumber = ip.protocolOverride ?? protocolNumber
        case .ipv6(let ip):
            (source, destination) = (.v6(ip.source), .v6(ip.destination))
            protocolNumber = ip.finalNextHeaderOverride ?? protocolNumber
            // A non-first fragment names the protocol of data the parser cannot see.
            if let index = ip.extensionHeaders.firstIndex(where: \.isNonFirstFragment) {
                let chain = ip.extensionHeaders.map(\.number) + [protocolNumber]
                return PacketFields(
                    source: source, destination: destination, protocolNumber: chain[index + 1], ports: nil)
            }
        case nil:
            return nil
        }
        let ports = isNonFirstFragment ? nil : transportPorts(protocolNumber: protocolNumber)
        return PacketFields(source: source, destination: destination, protocolNumber: protocolNumber, ports: ports)
    }

    private func transportPorts(protocolNumber: UInt8) -> PacketFields.Ports? {
        guard IPProtocol.carriesPorts(protocolNumber) else { return nil }
        switch transport {
        case .tcp(let tcp): return .init(source: tcp.sourcePort, destination: tcp.destinationPort)
        case .udp(let udp): return .init(source: udp.sourcePort, destination: udp.destinationPort)
        case .sctp(let sctp): return .init(source: sctp.sourcePort, destination: sctp.destinationPort)
        case .raw(_, let header):
            let segment = header + payload
            guard segment.count >= 4 else { return nil }
            return .init(source: segment.bigEndianUInt16(at: 0), destination: segment.bigEndianUInt16(at: 2))
        case .icmpEcho, nil:
            return nil
        }
    }

    private var transportSegmentLength: Int {
        switch transport {
        case .tcp(let tcp): 20 + (tcp.options.count + 3) / 4 * 4 + payload.count
        case .udp: 8 + payload.count
        case .icmpEcho: 8 + payload.count
        case .sctp: 12 + payload.count
        case .raw(_, let header): header.count + payload.count
        case nil: payload.count
        }
    }

}
