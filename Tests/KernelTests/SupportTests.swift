import Foundation
import Testing
import VtapRuleModel
import VtapTestSupport

/// Tests of the shared test-support library (Tests/Support).
@Suite struct SupportTests {}

// MARK: - PacketBuilder

extension SupportTests {
    @Suite struct PacketBuilding {
        @Test func ipv4HeaderMatchesAPublishedExample() {
            // The worked example of RFC 1071-style checksums (Wikipedia, "IPv4
            // header checksum"): 4500 0073 0000 4000 4011 b861 c0a8 0001 c0a8 00c7.
            let packet = PacketBuilder().ipv4(from: "192.168.0.1", to: "192.168.0.199") { $0.dontFragment = true }
                .udp(from: 1, to: 2).payload(Array(repeating: 0, count: 0x73 - 28))
            let header = Array(packet.bytes[14..<34])
            #expect(header == [
                0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11, 0xB8, 0x61,
                0xC0, 0xA8, 0x00, 0x01, 0xC0, 0xA8, 0x00, 0xC7,
            ])
        }

        @Test func ethernetAndVLANTagsAreLaidOutInWireOrder() {
            let frame = PacketBuilder().qinq(outer: 0x123, inner: 0x0AB).ipv4(from: "10.0.0.1", to: "10.0.0.2")
                .udp(from: 1, to: 2).bytes
            #expect(Array(frame[0..<12]) == MACAddress.receiver.bytes + MACAddress.sender.bytes)
            #expect(Array(frame[12..<22]) == [0x88, 0xA8, 0x01, 0x23, 0x81, 0x00, 0x00, 0xAB, 0x08, 0x00])
            #expect(frame[22] == 0x45)
        }

        @Test func seedUDPPacketHasTheSeedPayloadLayout() {
            // udp_packet.cfg: A5300F10 E7A5C318 <seq> A5300F10, seq counting from 35.
            let packet = PacketBuilder().ipv4(from: "192.168.51.2", to: "10.1.0.2") { $0.ttl = 64 }
                .udp(from: 4500, to: 9).payload(seqPayload(sequence: 35, totalLength: 16))
            #expect(Array(packet.bytes.suffix(16)) == [
                0xA5, 0x30, 0x0F, 0x10, 0xE7, 0xA5, 0xC3, 0x18, 0x00, 0x00, 0x00, 0x23, 0xA5, 0x30, 0x0F, 0x10,
            ])
            #expect(packet.frameLength == 14 + 20 + 8 + 16)
            #expect(packet.l4PayloadLength == 16)
        }

        @Test(arguments: [0, 1, 3, 5, 7, 4992]) func seqPayloadPlacesPatternAtAnyOffset(offset: Int) {
            let bytes = seqPayload(sequence: 0x0102_0304, patternOffset: offset, totalLength: 5000)
            #expect(bytes.count == 5000)
            #expect(Array(bytes[offset..<offset + 8]) == [0xE7, 0xA5, 0xC3, 0x18, 0x01, 0x02, 0x03, 0x04])
            #expect(bytes[0..<offset].enumerated().allSatisfy { $0.element == [0xA5, 0x30, 0x0F, 0x10][$0.offset % 4] })
        }

        @Test func paddingKeepsTheTrueIPLength() {
            let packet = PacketBuilder().ipv4(from: "10.0.0.1", to: "10.0.0.2").udp(from: 1, to: 2).payload([7])
                .paddedToMinimumLength()
            let frame = packet.bytes
            #expect(frame.count == 60)
            #expect(packet.ipTotalLength == 29)
            #expect(Int(frame[16]) << 8 | Int(frame[17]) == 29)
            #expect(frame[43...].allSatisfy { $0 == 0 })
            #expect(packet.l4PayloadLength == 1)
        }

        @Test func goodputSubtractsEveryHeader() throws {
            let tcp = PacketBuilder().vlan(3).ipv4(from: "10.0.0.1", to: "10.0.0.2") { $0.options = [1, 1, 1, 1, 1] }
                .tcp(from: 1, to: 2) { $0.options = [2, 4, 5, 0xB4] }.payload(Array(repeating: 9, count: 100))
            #expect(tcp.ipTotalLength == 28 + 24 + 100)
            #expect(tcp.l4PayloadLength == 100)
            let v6 = PacketBuilder().ipv6(from: "::1", to: "::2", extensions: [.hopByHop(), .authentication()])
                .sctp(from: 1, to: 2).payload(Array(repeating: 9, count: 10))
            #expect(v6.ipHeaderLength == 40 + 8 + 24)
            #expect(v6.l4PayloadLength == 10)
            let fragment = PacketBuilder().ipv6(from: "::1", to: "::2", extensions: [.fragment(offset: 4)])
                .transport(protocol: IPProtocol.tcp).payload(Array(repeating: 9, count: 30))
            #expect(fragment.l4PayloadLength == 30)
            #expect(fragment.fields?.ports == nil)
            #expect(fragment.fields?.protocolNumber == IPProtocol.tcp)
            #expect(PacketBuilder().etherType(EtherType.arp).fields == nil)
        }

        @Test func headerSpansTileTheFrame() {
            let packet = PacketBuilder().vlan(1).ipv6(from: "::1", to: "::2", extensions: [.routing(), .fragment()])
                .tcp(from: 1, to: 2).payload([1, 2])
            let spans = packet.headerSpans
            #expect(spans.first?.range.lowerBound == 0)
            #expect(spans.last?.range.upperBound == packet.frameLength)
            #expect(zip(spans, spans.dropFirst()).allSatisfy { $0.range.upperBound == $1.range.lowerBound })
            #expect(spans.map(\.name) == [
                "ethernet addresses", "vlan tag 1", "ethertype", "ipv6 header", "ipv6 routing header",
                "ipv6 fragment header", "tcp header", "payload",
            ])
            let short = PacketBuilder().ipv4(from: "10.0.0.1", to: "10.0.0.2").icmpEcho().paddedToMinimumLength()
            #expect(short.headerSpans.map(\.name) == ["ethernet addresses", "ethertype", "ipv4 header", "icmp header", "padding"])
            #expect(short.headerSpans.last?.range == 42..<60)
        }

        @Test func addressTextRoundTrips() {
            #expect(IPAddressText.v4("10.213.0.1") == 0x0AD5_0001)
            #expect(IPAddressText.v6("2001:db8::1") == UInt128(0x2001_0DB8) << 96 | 1)
            #expect(IPAddressText.format(.v6(IPAddressText.v6("2001:db8::1"))) == "2001:db8::1")
            #expect(IPAddressText.parse("10.0.0.300") == nil)
        }
    }
}

// MARK: - Malformed packet catalogue

extension SupportTests {
    @Suite struct MalformedCatalogueSpec {
        let catalogue = malformedPacketCatalogue()

        @Test func referenceParserAgreesWithEveryEntry() {
            for entry in catalogue {
                let parsed = ReferenceParser.parse(entry.frame)
                #expect(parsed.expectation == entry.expected, "\(entry.name)")
                #expect(parsed.reason == entry.reason, "\(entry.name)")
            }
        }

        @Test func entriesAreNamedUniquelyAndCoverEveryReason() {
            #expect(Set(catalogue.map(\.name)).count == catalogue.count)
            #expect(Set(catalogue.compactMap(\.reason)) == Set(MalformedReason.allCases))
            #expect(catalogue.allSatisfy { ($0.expected == .malformed) == ($0.reason != nil) })
            #expect(catalogue.contains { $0.expected == .nonIP })
            #expect(catalogue.contains { if case .fields(let f) = $0.expected { f.ports == nil } else { false } })
        }

        @Test func everyHeaderIsCutSomewhere() {
            let names = catalogue.map(\.name)
            for header in [
                "ethernet addresses", "ethertype", "vlan tag 1", "vlan tag 2", "ipv4 header", "ipv4 options",
                "ipv6 header", "ipv6 hop-by-hop header", "ipv6 routing header", "ipv6 fragment header",
                "ipv6 destination options header", "ipv6 authentication header", "tcp header", "udp header",
                "icmp header", "icmpv6 header", "sctp header",
            ] {
                #expect(names.contains { $0.hasSuffix(": \(header) cut off") }, "\(header)")
            }
        }

        @Test func validEntriesCarryTheBuildersFields() {
            // Goodput from the reference parser must match the frame arithmetic.
            let padded = catalogue.first { $0.name == "ipv4 padded to 60 bytes" }
            let parsed = padded.map { ReferenceParser.parse($0.frame) }
            #expect(parsed?.ipTotalLength == 29)
            #expect(parsed?.l4PayloadLength == 1)
        }
    }
}
