import VtapRuleModel

/// What vtap's parser must read of a transport header, per protocol: the
/// part of the goodput definition shared by the builder and the reference
/// parser.
public enum TransportRule {
    /// Bytes of header the parser needs to see before it can trust ports
    /// and the payload length: TCP 20 (then its data offset), UDP and
    /// UDP-Lite 8, ICMP and ICMPv6 8, SCTP 12; other protocols 0 — their
    /// whole IP payload is payload.
    public static func minimumHeaderLength(protocol number: UInt8) -> Int {
        switch number {
        case IPProtocol.tcp: 20
        case IPProtocol.udp, IPProtocol.udplite, IPProtocol.icmp, IPProtocol.icmpv6: 8
        case IPProtocol.sctp: 12
        default: 0
        }
    }

    /// The transport header's length as the parser computes it from the
    /// first bytes of the segment (TCP: data offset × 4), or `nil` when the
    /// minimum header is not there.
    public static func headerLength(protocol number: UInt8, segment: ArraySlice<UInt8>) -> Int? {
        let minimum = minimumHeaderLength(protocol: number)
        guard segment.count >= minimum else { return nil }
        if number == IPProtocol.tcp {
            return Int(segment[segment.startIndex + 12] >> 4) * 4
        }
        return minimum
    }
}
