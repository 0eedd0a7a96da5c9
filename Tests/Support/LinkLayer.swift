/// A 48-bit Ethernet address.
public struct MACAddress: Sendable, Hashable, CustomStringConvertible {
    public var bytes: [UInt8]

    public init(_ bytes: [UInt8]) {
        precondition(bytes.count == 6, "a MAC address has 6 bytes")
        self.bytes = bytes
    }

    /// Locally administered addresses, so crafted frames never look like a real NIC's.
    public static let sender = MACAddress([0x02, 0x00, 0x00, 0x00, 0x00, 0x01])
    public static let receiver = MACAddress([0x02, 0x00, 0x00, 0x00, 0x00, 0x02])
    public static let broadcast = MACAddress([0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF])

    public var description: String {
        bytes.map { String($0, radix: 16).leftPadded(to: 2) }.joined(separator: ":")
    }
}

public enum EtherType {
    public static let ipv4: UInt16 = 0x0800
    public static let arp: UInt16 = 0x0806
    public static let ipv6: UInt16 = 0x86DD
    public static let vlan: UInt16 = 0x8100
    public static let qinq: UInt16 = 0x88A8
    /// IEEE "local experimental": the default for non-IP test frames.
    public static let localExperimental: UInt16 = 0x88B5
}

/// One 802.1Q (TPID 0x8100) or 802.1ad (TPID 0x88a8) tag.
public struct VLANTag: Sendable, Hashable {
    public var tpid: UInt16
    public var priority: UInt8
    public var dropEligible: Bool
    public var id: UInt16

    public init(id: UInt16, priority: UInt8 = 0, dropEligible: Bool = false, tpid: UInt16 = EtherType.vlan) {
        self.tpid = tpid
        self.priority = priority
        self.dropEligible = dropEligible
        self.id = id
    }

    var tagControl: UInt16 {
        UInt16(priority & 0x7) << 13 | (dropEligible ? 0x1000 : 0) | (id & 0x0FFF)
    }
}

extension String {
    func leftPadded(to width: Int, with pad: Character = "0") -> String {
        count >= width ? self : String(repeating: pad, count: width - count) + self
    }
}
