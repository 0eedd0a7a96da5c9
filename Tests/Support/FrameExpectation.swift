import VtapRuleModel

/// How vtap must classify a frame.
public enum Expectation: Sendable, Hashable {
    /// A header the parser must read is cut off or inconsistent.
    case malformed
    /// A valid IP packet with these fields (ports `nil` when it has none).
    case fields(PacketFields)
    /// Not IPv4 or IPv6 (after at most two VLAN tags).
    case nonIP
}

/// Why a frame is malformed; the raw values are the slots of the
/// `vtap_totals` map (templates/vtap_maps.h) that count each reason.
public enum MalformedReason: Int, Sendable, Hashable, CaseIterable {
    /// Ethernet header or a VLAN tag cut off.
    case linkLayer = 4
    /// More than `ReferenceParser.maximumVLANTags` tags.
    case vlanDepth = 5
    /// Fixed IP header cut off, or a version nibble that contradicts the EtherType.
    case ipHeader = 6
    /// IHL or IP lengths inconsistent with each other or with the frame.
    case ipLength = 7
    /// An IPv6 extension header cut off, or more than the allowed number.
    case ipv6Extension = 8
    /// Transport header cut off or inconsistent (TCP data offset).
    case transport = 9
}
