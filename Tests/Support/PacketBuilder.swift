import VtapMetrics
import VtapRuleModel

/// A crafted Ethernet frame, described layer by layer and built byte-exactly.
///
///     let frame = PacketBuilder()
///         .vlan(10)
///         .ipv4(from: "10.1.0.8", to: "10.1.0.9") { $0.ttl = 3 }
///         .udp(from: 4500, to: 9)
///         .payload(seqPayload(sequence: 7, totalLength: 16))
///         .bytes
///
/// Lengths and checksums are derived unless a header's `...Override` says
/// otherwise, so malformed packets are one assignment away.
public struct PacketBuilder: Sendable, Hashable {
    public var source: MACAddress
    public var destination: MACAddress
    public var vlanTags: [VLANTag] = []
    /// Written instead of the type the network layer implies.
    public var etherTypeOverride: UInt16?
    public var network: NetworkHeader?
    public var transport: TransportHeader?
    public var payload: [UInt8] = []
    /// Zero-pad the frame to 60 bytes, like a NIC does for short frames.
    public var padsToMinimumLength = false

    public enum NetworkHeader: Sendable, Hashable {
        case ipv4(IPv4Header)
        case ipv6(IPv6Header)
    }

    /// Shortest Ethernet frame without its FCS.
    public static let minimumFrameLength = 60

    public init(source: MACAddress = .sender, destination: MACAddress = .receiver) {
        self.source = source
        self.destination = destination
    }
}

// MARK: - Layers, in the order they appear on the wire

extension PacketBuilder {
    public func vlan(_ id: UInt16, priority: UInt8 = 0, tpid: UInt16 = EtherType.vlan) -> Self {
        with { $0.vlanTags.append(VLANTag(id: id, priority: priority, tpid: tpid)) }
    }

    /// An 802.1ad service tag followed by an 802.1Q customer tag.
    public func qinq(outer: UInt16, inner: UInt16) -> Self {
        vlan(outer, tpid: EtherType.qinq).vlan(inner)
    }

    /// A frame that carries no IP: `payload` follows this EtherType.
    public func etherType(_ value: UInt16) -> Self {
        with { $0.etherTypeOverride = value }
    }

    public func ipv4(from source: UInt32, to destination: UInt32, _ configure: (inout IPv4Header) -> Void = { _ in })
        -> Self
    {
        var header = IPv4Header(source: source, destination: destination)
        configure(&header)
        return with { $0.network = .ipv4(header) }
    }

    public func ipv4(from source: String, to destination: String, _ configure: (inout IPv4Header) -> Void = { _ in })
        -> Self
    {
        ipv4(from: IPAddressText.v4(source), to: IPAddressText.v4(destination), configure)
    }

    public func ipv6(
        from source: UInt128, to destination: UInt128, extensions: [IPv6ExtensionHeader] = [],
        _ configure: (inout IPv6Header) -> Void = { _ in }
    ) -> Self {
        var header = IPv6Header(source: source, destination: destination, extensionHeaders: extensions)
        configure(&header)
        return with { $0.network = .ipv6(header) }
    }

    public func ipv6(
        from source: String, to destination: String, extensions: [IPv6ExtensionHeader] = [],
        _ configure: (inout IPv6Header) -> Void = { _ in }
    ) -> Self {
        ipv6(from: IPAddressText.v6(source), to: IPAddressText.v6(destination), extensions: extensions, configure)
    }

    public func tcp(
        from source: UInt16, to destination: UInt16, flags: TCPFlags = [.ack],
        _ configure: (inout TCPHeader) -> Void = { _ in }
    ) -> Self {
        var header = TCPHeader(sourcePort: source, destinationPort: destination, flags: flags)
        configure(&header)
        return with { $0.transport = .tcp(header) }
    }

    public func udp(from source: UInt16, to destination: UInt16, _ configure: (inout UDPHeader) -> Void = { _ in })
        -> Self
    {
        var header = UDPHeader(sourcePort: source, destinationPort: destination)
        configure(&header)
        return with { $0.transport = .udp(header) }
    }

    public func udpLite(from source: UInt16, to destination: UInt16) -> Self {
        with { $0.transport = .udp(UDPHeader(sourcePort: source, destinationPort: destination, isLite: true)) }
    }

    /// ICMP echo over IPv4, ICMPv6 echo over IPv6.
    public func icmpEcho(_ kind: ICMPEcho.Kind = .request, identifier: UInt16 = 0, sequence: UInt16 = 0) -> Self {
        with { $0.transport = .icmpEcho(ICMPEcho(kind, identifier: identifier, sequence: sequence)) }
    }

    public func sctp(from source: UInt16, to destination: UInt16, verificationTag: UInt32 = 0) -> Self {
        with {
            $0.transport = .sctp(
                SCTPHeader(sourcePort: source, destinationPort: destination, verificationTag: verificationTag))
        }
    }

    /// Another protocol (e.g. GRE 47) or a non-first fragment's data:
    /// `header` is written verbatim before the payload.
    public func transport(protocol number: UInt8, header: [UInt8] = []) -> Self {
        with { $0.transport = .raw(protocolNumber: number, header: header) }
    }

    public func payload(_ bytes: [UInt8]) -> Self {
        with { $0.payload = bytes }
    }

    public func paddedToMinimumLength(_ padded: Bool = true) -> Self {
        with { $0.padsToMinimumLength = padded }
    }

    private func with(_ change: (inout Self) -> Void) -> Self {
        var copy = self
        change(&copy)
        return copy
    }
}
