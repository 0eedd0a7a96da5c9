import Testing
import VtapCapture

/// Link-layer conversion to Ethernet frames: pure, on hand-made headers.
@Suite struct CaptureFramingTests {
    static let ipv4 = [0x45, 0x00, 0x00, 0x14] + [UInt8](repeating: 0xAB, count: 16)
    static let ipv6 = [0x60, 0x00, 0x00, 0x00] + [UInt8](repeating: 0xCD, count: 36)
    static let zeroMACs = [UInt8](repeating: 0, count: 12)

    @Test func ethernetPassesThrough() throws {
        let frame = CaptureFramingTests.zeroMACs + [0x08, 0x00] + Self.ipv4
        #expect(try EthernetFraming.frame(frame, linkType: .ethernet) == frame)
    }

    @Test func rawIPGetsASyntheticHeaderByVersion() throws {
        #expect(try EthernetFraming.frame(Self.ipv4, linkType: .rawIP) == Self.zeroMACs + [0x08, 0x00] + Self.ipv4)
        #expect(try EthernetFraming.frame(Self.ipv6, linkType: .rawIP) == Self.zeroMACs + [0x86, 0xDD] + Self.ipv6)
        #expect(try EthernetFraming.frame(Self.ipv4, linkType: .ipv4) == Self.zeroMACs + [0x08, 0x00] + Self.ipv4)
        #expect(try EthernetFraming.frame(Self.ipv6, linkType: .ipv6) == Self.zeroMACs + [0x86, 0xDD] + Self.ipv6)
        let badVersion = try #require(throws: CaptureError.self) {
            try EthernetFraming.frame([0x55, 0, 0], linkType: .rawIP)
        }
        #expect(badVersion.kind == .malformedPacket)
        #expect(badVersion.description.contains("IP version 5"))
        #expect(throws: CaptureError.self) { try EthernetFraming.frame([], linkType: .rawIP) }
    }

    @Test func linuxSLLKeepsProtocolAndSenderAddress() throws {
        let sender: [UInt8] = [0x02, 0x11, 0x22, 0x33, 0x44, 0x55]
        // packet type 0 (to us), ARPHRD_ETHER, address length 6, address + 2 pad, protocol IPv4.
        let header: [UInt8] = [0, 0, 0, 1, 0, 6] + sender + [0, 0] + [0x08, 0x00]
        let frame = try EthernetFraming.frame(header + Self.ipv4, linkType: .linuxSLL)
        #expect(frame == [0, 0, 0, 0, 0, 0] + sender + [0x08, 0x00] + Self.ipv4)
        // Broadcast packet type: broadcast destination.
        let broadcast: [UInt8] = [0, 1, 0, 1, 0, 6] + sender + [0, 0] + [0x08, 0x06]
        let arp = try EthernetFraming.frame(broadcast + [1, 2, 3], linkType: .linuxSLL)
        #expect(Array(arp[0..<6]) == [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF])
        #expect(Array(arp[12..<14]) == [0x08, 0x06])
        // 802.2 LLC payload: an 802.3 frame whose type field is the length.
        let llc: [UInt8] = [0, 0, 0, 1, 0, 6] + sender + [0, 0] + [0x00, 0x04]
        let llcFrame = try EthernetFraming.frame(llc + [0x42, 0x42, 0x03, 9, 9], linkType: .linuxSLL)
        #expect(Array(llcFrame[12..<14]) == [0x00, 0x05])
    }

    @Test func linuxSLL2KeepsProtocolAndSenderAddress() throws {
        let sender: [UInt8] = [0x02, 0xAA, 0xBB, 0xCC, 0xDD, 0xEE]
        // protocol IPv6, reserved, ifindex 7, ARPHRD_ETHER, packet type 4 (outgoing), address length 6.
        let header: [UInt8] = [0x86, 0xDD, 0, 0, 0, 0, 0, 7, 0, 1, 4, 6] + sender + [0, 0]
        let frame = try EthernetFraming.frame(header + Self.ipv6, linkType: .linuxSLL2)
        #expect(frame == [0, 0, 0, 0, 0, 0] + sender + [0x86, 0xDD] + Self.ipv6)
        let short = try #require(throws: CaptureError.self) {
            try EthernetFraming.frame(Array(header.prefix(19)), linkType: .linuxSLL2)
        }
        #expect(short.kind == .malformedPacket)
        #expect(short.description.contains("20-byte header"))
        let netlink: [UInt8] = [0, 0, 0, 0, 0, 0, 0, 1, 0x03, 0x38, 0, 0] + [UInt8](repeating: 0, count: 8)
        let notPacket = try #require(throws: CaptureError.self) {
            try EthernetFraming.frame(netlink + [1], linkType: .linuxSLL2)
        }
        #expect(notPacket.description.contains("netlink"))
    }

    @Test func bsdLoopbackFamiliesInEitherByteOrder() throws {
        #expect(
            try EthernetFraming.frame([2, 0, 0, 0] + Self.ipv4, linkType: .null) == Self.zeroMACs + [0x08, 0x00]
                + Self.ipv4)
        #expect(
            try EthernetFraming.frame([0, 0, 0, 2] + Self.ipv4, linkType: .null) == Self.zeroMACs + [0x08, 0x00]
                + Self.ipv4)
        #expect(
            try EthernetFraming.frame([30, 0, 0, 0] + Self.ipv6, linkType: .null) == Self.zeroMACs + [0x86, 0xDD]
                + Self.ipv6)
        #expect(
            try EthernetFraming.frame([0, 0, 0, 24] + Self.ipv6, linkType: .loop) == Self.zeroMACs + [0x86, 0xDD]
                + Self.ipv6)
        #expect(throws: CaptureError.self) { try EthernetFraming.frame([7, 0, 0, 0] + Self.ipv4, linkType: .null) }
    }

    @Test func unsupportedLinkTypeIsNamed() throws {
        let ieee80211 = LinkType(rawValue: 105)
        let error = try #require(throws: CaptureError.self) {
            try EthernetFraming.frame([1, 2, 3], linkType: ieee80211)
        }
        #expect(error.kind == .unsupportedLinkType(ieee80211))
        #expect(error.description.contains("IEEE802_11"))
        #expect(!ieee80211.isConvertibleToEthernet)
        #expect(LinkType.linuxSLL2.name == "LINUX_SLL2")
    }

    @Test func originalLengthFollowsTheHeaderChange() {
        // A raw IPv4 packet of 1500 bytes cut to 100: the Ethernet frame grows by 14.
        #expect(EthernetFraming.ethernetLength(originalLength: 1500, capturedLength: 100, frameLength: 114) == 1514)
        // SLL2 (20 bytes) becomes Ethernet (14): shrinks by 6.
        #expect(EthernetFraming.ethernetLength(originalLength: 80, capturedLength: 80, frameLength: 74) == 74)
    }
}
