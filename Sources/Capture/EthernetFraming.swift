/// Turns packets of other link types into Ethernet frames, so every replayed
/// packet looks like what an AF_PACKET socket on an Ethernet interface sees.
///
/// The synthetic header's addresses are zero unless the capture knows them
/// (the sender's address in SLL/SLL2, broadcast destinations). Pure.
public enum EthernetFraming {
    public static let headerLength = 14
    public static let etherTypeIPv4: UInt16 = 0x0800
    public static let etherTypeIPv6: UInt16 = 0x86DD

    /// The Ethernet frame for `bytes`, a packet of `linkType`.
    ///
    /// - Throws: ``CaptureError`` `.unsupportedLinkType` for link types it
    ///   cannot convert, `.malformedPacket` for packets too short or with
    ///   no recognisable payload type.
    public static func frame(_ bytes: [UInt8], linkType: LinkType) throws -> [UInt8] {
        switch linkType {
        case .ethernet:
            return bytes
        case .rawIP:
            guard let first = bytes.first else { throw malformed(linkType, "empty packet") }
            switch first >> 4 {
            case 4: return header(type: etherTypeIPv4) + bytes
            case 6: return header(type: etherTypeIPv6) + bytes
            default: throw malformed(linkType, "IP version \(first >> 4) is neither 4 nor 6")
            }
        case .ipv4:
            return header(type: etherTypeIPv4) + bytes
        case .ipv6:
            return header(type: etherTypeIPv6) + bytes
        case .linuxSLL:
            return try cooked(
                bytes, linkType: linkType, headerLength: 16, protocolOffset: 14, hardwareTypeOffset: 2,
                packetType: bytes.count >= 2 ? UInt16(bytes[0]) << 8 | UInt16(bytes[1]) : 0,
                addressLengthOffset: 5, addressOffset: 6)
        case .linuxSLL2:
            return try cooked(
                bytes, linkType: linkType, headerLength: 20, protocolOffset: 0, hardwareTypeOffset: 8,
                packetType: bytes.count > 10 ? UInt16(bytes[10]) : 0, addressLengthOffset: 11, addressOffset: 12)
        case .null, .loop:
            guard bytes.count >= 4 else { throw malformed(linkType, "shorter than the 4-byte family header") }
            let big = UInt32(bytes[0]) << 24 | UInt32(bytes[1]) << 16 | UInt32(bytes[2]) << 8 | UInt32(bytes[3])
            let little = UInt32(bytes[3]) << 24 | UInt32(bytes[2]) << 16 | UInt32(bytes[1]) << 8 | UInt32(bytes[0])
            // DLT_NULL is in the capturing host's order, which the file does not say.
            let family = linkType == .loop ? big : (big <= 0xFFFF ? big : little)
            let payload = Array(bytes[4...])
            switch family {
            case 2: return header(type: etherTypeIPv4) + payload
            case 10, 24, 28, 30: return header(type: etherTypeIPv6) + payload  // AF_INET6 on Linux, BSDs, macOS
            default: throw malformed(linkType, "address family \(family) is neither IPv4 nor IPv6")
            }
        default:
            throw CaptureError(
                .unsupportedLinkType(linkType), path: nil,
                message: "vtap converts Ethernet, raw IP, Linux SLL/SLL2 and BSD loopback captures")
        }
    }

    /// The new length of a packet whose `originalLength` was counted in
    /// `linkType` framing, once it is an Ethernet frame.
    public static func ethernetLength(originalLength: Int, capturedLength: Int, frameLength: Int) -> Int {
        max(originalLength + (frameLength - capturedLength), frameLength)
    }

    // MARK: - Linux cooked captures

    /// ARPHRD_ETHER and ARPHRD_LOOPBACK: SLL's address is an Ethernet address.
    private static let ethernetLikeHardware: Set<UInt16> = [1, 772]
    /// ARPHRD_NETLINK: the payload is a netlink message, not a network packet.
    private static let netlinkHardware: UInt16 = 824
    /// SLL packet type PACKET_BROADCAST.
    private static let broadcastPacket: UInt16 = 1

    private static func cooked(
        _ bytes: [UInt8], linkType: LinkType, headerLength: Int, protocolOffset: Int, hardwareTypeOffset: Int,
        packetType: UInt16, addressLengthOffset: Int, addressOffset: Int
    ) throws -> [UInt8] {
        guard bytes.count >= headerLength else {
            throw malformed(linkType, "shorter than the \(headerLength)-byte header (\(bytes.count) bytes)")
        }
        let proto = UInt16(bytes[protocolOffset]) << 8 | UInt16(bytes[protocolOffset + 1])
        let hardware = UInt16(bytes[hardwareTypeOffset]) << 8 | UInt16(bytes[hardwareTypeOffset + 1])
        // SLL's address-length field is 2 bytes (the low one at the offset + 1), SLL2's is 1 byte.
        let addressLength = Int(bytes[addressLengthOffset])
        guard hardware != netlinkHardware else {
            throw malformed(linkType, "a netlink message (ARPHRD_NETLINK), not a network packet")
        }
        let payload = Array(bytes[headerLength...])
        var destination = [UInt8](repeating: 0, count: 6)
        var source = [UInt8](repeating: 0, count: 6)
        if packetType == broadcastPacket { destination = [UInt8](repeating: 0xFF, count: 6) }
        if ethernetLikeHardware.contains(hardware), addressLength == 6 {
            source = Array(bytes[addressOffset..<addressOffset + 6])
        }
        let etherType: UInt16
        switch proto {
        case 0x0600...:
            etherType = proto
        case 0x0001, 0x0004:
            // ETH_P_802_3 / ETH_P_802_2: an 802.3 frame, whose type field is the length.
            guard payload.count <= 1500 else { throw malformed(linkType, "802.3 payload longer than 1500 bytes") }
            etherType = UInt16(payload.count)
        default:
            throw malformed(linkType, "protocol 0x\(hex4(proto)) is not an EtherType")
        }
        return destination + source + [UInt8(etherType >> 8), UInt8(etherType & 0xFF)] + payload
    }

    private static func header(type: UInt16) -> [UInt8] {
        [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, UInt8(type >> 8), UInt8(type & 0xFF)]
    }

    private static func malformed(_ linkType: LinkType, _ message: String) -> CaptureError {
        CaptureError(.malformedPacket, path: nil, message: "\(linkType.name): \(message)")
    }
}

/// `value` as four hex digits.
func hex4(_ value: UInt16) -> String {
    let hex = String(value, radix: 16)
    return String(repeating: "0", count: max(0, 4 - hex.count)) + hex
}
