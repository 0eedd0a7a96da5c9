/// IP protocol numbers that rules can name, and how the measurements group
/// them.
public enum IPProtocol {
    public static let icmp: UInt8 = 1
    public static let igmp: UInt8 = 2
    public static let tcp: UInt8 = 6
    public static let udp: UInt8 = 17
    public static let gre: UInt8 = 47
    public static let esp: UInt8 = 50
    public static let ah: UInt8 = 51
    public static let icmpv6: UInt8 = 58
    public static let sctp: UInt8 = 132
    public static let udplite: UInt8 = 136

    /// Names accepted in rules (case-insensitive) and printed back.
    public static let names: [(name: String, number: UInt8)] = [
        ("TCP", tcp), ("UDP", udp), ("ICMP", icmp), ("ICMPv6", icmpv6), ("SCTP", sctp),
        ("UDPLite", udplite), ("GRE", gre), ("ESP", esp), ("AH", ah), ("IGMP", igmp),
    ]

    public static func number(named name: String) -> UInt8? {
        let lowered = name.lowercased()
        if lowered == "ipv6-icmp" { return icmpv6 }
        return names.first { $0.name.lowercased() == lowered }?.number
    }

    public static func name(of number: UInt8) -> String {
        names.first { $0.number == number }?.name ?? String(number)
    }

    /// Protocols whose header starts with 16-bit source and destination ports.
    public static func carriesPorts(_ number: UInt8) -> Bool {
        number == tcp || number == udp || number == sctp || number == udplite
    }
}

/// The protocol groups every measurement is reported under.
public enum ProtocolClass: Int, CaseIterable, Sendable, Codable {
    case tcp = 0
    case udp = 1
    /// ICMP and ICMPv6.
    case icmp = 2
    case other = 3

    public init(protocolNumber: UInt8) {
        switch protocolNumber {
        case IPProtocol.tcp: self = .tcp
        case IPProtocol.udp: self = .udp
        case IPProtocol.icmp, IPProtocol.icmpv6: self = .icmp
        default: self = .other
        }
    }

    public var name: String {
        switch self {
        case .tcp: "tcp"
        case .udp: "udp"
        case .icmp: "icmp"
        case .other: "other"
        }
    }
}
