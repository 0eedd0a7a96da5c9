import CPcap

/// A capture file's link-layer header type, as libpcap's DLT_* value.
public struct LinkType: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: Int32
    public init(rawValue: Int32) { self.rawValue = rawValue }

    /// Ethernet II / 802.3 frames (LINKTYPE_ETHERNET).
    public static let ethernet = LinkType(rawValue: DLT_EN10MB)
    /// Raw IPv4 or IPv6, told apart by the version nibble (LINKTYPE_RAW).
    public static let rawIP = LinkType(rawValue: DLT_RAW)
    /// Raw IPv4 only (LINKTYPE_IPV4).
    public static let ipv4 = LinkType(rawValue: DLT_IPV4)
    /// Raw IPv6 only (LINKTYPE_IPV6).
    public static let ipv6 = LinkType(rawValue: DLT_IPV6)
    /// Linux "cooked" capture v1, 16-byte header (`tcpdump -i any` before 4.99).
    public static let linuxSLL = LinkType(rawValue: DLT_LINUX_SLL)
    /// Linux "cooked" capture v2, 20-byte header (`tcpdump -i any` since 4.99).
    public static let linuxSLL2 = LinkType(rawValue: DLT_LINUX_SLL2)
    /// BSD loopback: a 4-byte address family in the capturing host's byte order.
    public static let null = LinkType(rawValue: DLT_NULL)
    /// OpenBSD loopback: a 4-byte address family in network byte order.
    public static let loop = LinkType(rawValue: DLT_LOOP)

    /// libpcap's name, e.g. "EN10MB", "LINUX_SLL2", or "DLT n".
    public var name: String {
        pcap_datalink_val_to_name(rawValue).map { String(cString: $0) } ?? "DLT \(rawValue)"
    }

    /// `NAME (libpcap's description)`.
    public var description: String {
        guard let text = pcap_datalink_val_to_description(rawValue) else { return name }
        return "\(name) (\(String(cString: text)))"
    }

    /// Whether ``EthernetFraming`` can turn this link type into Ethernet frames.
    public var isConvertibleToEthernet: Bool {
        [.ethernet, .rawIP, .ipv4, .ipv6, .linuxSLL, .linuxSLL2, .null, .loop].contains(self)
    }
}
