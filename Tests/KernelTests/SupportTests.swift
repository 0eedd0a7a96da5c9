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
            #expect(
                header == [
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
            #expect(
                Array(packet.bytes.suffix(16)) == [
                    0xA5, 0x30, 0x0F, 0x10, 0xE7, 0xA5, 0xC3, 0x18, 0x00, 0x00, 0x00, 0x23, 0xA5, 0x30, 0x0F, 0x10,
                ])
            #expect(packet.frameLength == 14 + 20 + 8 + 16)
            #expect(packet.l4PayloadLength == 16)
        }

        @Test(arguments: [0, 1, 3, 5, 7, 4992]) func seqPayloadPlacesPatternAtAnyOffset(offset: Int) {
            let bytes = seqPayload(sequence: 0x0102_0304, patternOffset: offset, totalLength: 5000)
            #expect(bytes.count == 5000)
            #expect(Array(bytes[offset..<offset + 8]) == [0xE7, 0xA5, 0xC3, 0x18, 0x01, 0x02, 0x03, 0x04])
            #expect(
                bytes[0..<offset].enumerated().allSatisfy { $0.element == [0xA5, 0x30, 0x0F, 0x10][$0.offset % 4] })
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
            #expect(tcp.etherType(EtherType.arp).fields == nil, "IP behind a non-IP EtherType is not IP")
        }

        @Test func headerSpansTileTheFrame() {
            let packet = PacketBuilder().vlan(1).ipv6(from: "::1", to: "::2", extensions: [.routing(), .fragment()])
                .tcp(from: 1, to: 2).payload([1, 2])
            let spans = packet.headerSpans
            #expect(spans.first?.range.lowerBound == 0)
            #expect(spans.last?.range.upperBound == packet.frameLength)
            #expect(zip(spans, spans.dropFirst()).allSatisfy { $0.range.upperBound == $1.range.lowerBound })
            #expect(
                spans.map(\.name) == [
                    "ethernet addresses", "vlan tag 1", "ethertype", "ipv6 header", "ipv6 routing header",
                    "ipv6 fragment header", "tcp header", "payload",
                ])
            let short = PacketBuilder().ipv4(from: "10.0.0.1", to: "10.0.0.2").icmpEcho().paddedToMinimumLength()
            #expect(
                short.headerSpans.map(\.name) == [
                    "ethernet addresses", "ethertype", "ipv4 header", "icmp header", "padding",
                ])
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

// MARK: - Random packets

extension SupportTests {
    @Suite struct RandomPackets {
        static let interesting = InterestingValues(
            v4: [IPAddressText.v4("10.1.0.0"), IPAddressText.v4("10.1.0.255"), 0, UInt32.max],
            v6: [IPAddressText.v6("2001:db8::"), IPAddressText.v6("2001:db8::ffff")],
            ports: [0, 80, 1023, 1024, 65535], protocols: [IPProtocol.tcp, IPProtocol.esp, 0, 44, 200])

        @Test func sameSeedSamePackets() {
            var first = RandomPacketGenerator(seed: 42, interesting: Self.interesting)
            var second = RandomPacketGenerator(seed: 42, interesting: Self.interesting)
            var other = RandomPacketGenerator(seed: 43, interesting: Self.interesting)
            let packets = first.next(200)
            #expect(packets == second.next(200))
            #expect(packets.map(\.frame) != other.next(200).map(\.frame))
        }

        @Test(arguments: [1, 2, 3] as [UInt64]) func referenceParserAgreesWithTheGenerator(seed: UInt64) {
            var generator = RandomPacketGenerator(seed: seed, interesting: Self.interesting)
            for (index, generated) in generator.next(3000).enumerated() {
                let parsed = ReferenceParser.parse(generated.frame)
                let context = Comment(rawValue: "seed \(seed), packet \(index): \(generated.packet)")
                #expect(parsed.expectation == .fields(generated.fields), context)
                #expect(parsed.l4PayloadLength == generated.l4PayloadLength, context)
                #expect(parsed.ipTotalLength == generated.packet.ipTotalLength, context)
            }
        }

        @Test func coversEveryShapeAndFavoursInterestingValues() {
            var generator = RandomPacketGenerator(seed: 7, interesting: Self.interesting)
            let packets = generator.next(3000)
            let fields = packets.map(\.fields)
            let protocols = Set(fields.map(\.protocolNumber))
            for number in [
                IPProtocol.tcp, IPProtocol.udp, IPProtocol.icmp, IPProtocol.icmpv6, IPProtocol.sctp,
                IPProtocol.gre, IPProtocol.udplite, IPProtocol.esp, 200,
            ] {
                #expect(protocols.contains(number), "protocol \(number)")
            }
            let v6Protocols = Set(fields.filter(\.source.isV6).map(\.protocolNumber))
            #expect(v6Protocols.isDisjoint(with: [0, 43, 44, 51]), "extension headers are never a v6 protocol")
            #expect(packets.contains { $0.packet.vlanTags.count == 2 })
            #expect(packets.contains { $0.packet.isNonFirstFragment && !$0.packet.isIPv6 })
            #expect(packets.contains { $0.packet.isNonFirstFragment && $0.packet.isIPv6 })
            #expect(packets.contains { $0.frame.count == 60 && $0.packet.padsToMinimumLength })
            let nearV4 = Set(Self.interesting.v4.flatMap { [$0 &- 1, $0, $0 &+ 1] })
            let nearPorts = Set(Self.interesting.ports.flatMap { [$0 &- 1, $0, $0 &+ 1] })
            let v4Hits = fields.filter { if case .v4(let a) = $0.source { nearV4.contains(a) } else { false } }.count
            let v4Total = fields.filter { if case .v4 = $0.source { true } else { false } }.count
            let portHits = fields.compactMap(\.ports).filter { nearPorts.contains($0.destination) }.count
            let portTotal = fields.compactMap(\.ports).count
            // About 70% are picked near an interesting value; chance alone gives ~0%.
            #expect(Double(v4Hits) > 0.5 * Double(v4Total))
            #expect(Double(portHits) > 0.5 * Double(portTotal))
            // Exactly on, one below and one above all occur.
            #expect(fields.contains { $0.ports?.destination == 1023 })
            #expect(fields.contains { $0.ports?.destination == 1022 })
            #expect(fields.contains { $0.ports?.destination == 1025 })
        }

        /// Where each protocol's ports and checksum status are in the rows below.
        static let tsharkColumns: [UInt8: (ports: Int?, checksumStatus: Int)] = [
            IPProtocol.tcp: (5, 12), IPProtocol.udp: (7, 13), IPProtocol.udplite: (7, 13),
            IPProtocol.sctp: (9, 16), IPProtocol.icmp: (nil, 14), IPProtocol.icmpv6: (nil, 15),
        ]

        @Test func tsharkDecodesTheSameFieldsWithValidChecksums() throws {
            var generator = RandomPacketGenerator(seed: 2024, interesting: Self.interesting)
            let packets = generator.next(400)
            var writer = PcapWriter()
            for (index, generated) in packets.enumerated() {
                writer.append(generated.frame, timestampNanoseconds: UInt64(index) * 1000)
            }
            let directory = try TemporaryDirectory()
            let file = directory.file("random.pcap")
            try writer.write(to: file)
            let rows = try TShark.fields(
                of: file,
                [
                    "ip.src", "ip.dst", "ipv6.src", "ipv6.dst", "ip.proto", "tcp.srcport", "tcp.dstport",
                    "udp.srcport", "udp.dstport", "sctp.srcport", "sctp.dstport", "ip.checksum.status",
                    "tcp.checksum.status", "udp.checksum.status", "icmp.checksum.status", "icmpv6.checksum.status",
                    "sctp.checksum.status",
                ])
            try #require(rows.count == packets.count)
            for (generated, row) in zip(packets, rows) {
                let fields = generated.fields
                let context = Comment(rawValue: "seed 2024: \(generated.packet)")
                let (source, destination, proto) = fields.source.isV6 ? (row[2], row[3], "") : (row[0], row[1], row[4])
                #expect(IPAddressText.parse(source) == fields.source, context)
                #expect(IPAddressText.parse(destination) == fields.destination, context)
                if !fields.source.isV6 { #expect(proto == String(fields.protocolNumber), context) }
                if !fields.source.isV6 { #expect(row[11] == "1", "IPv4 header checksum: \(context)") }
                // Only the packet's own protocol's columns: random payloads may
                // look like tunnels to tshark and add inner headers.
                guard let columns = Self.tsharkColumns[fields.protocolNumber] else { continue }
                if let ports = columns.ports, fields.ports != nil {
                    let expected = fields.ports.map { [String($0.source), String($0.destination)] }
                    #expect([row[ports], row[ports + 1]] == expected, context)
                }
                // Checksums can only be verified over whole packets.
                if !generated.packet.isFragment {
                    #expect(row[columns.checksumStatus] == "1", "checksum status: \(context)")
                }
            }
        }
    }
}

// MARK: - Pcap writer

extension SupportTests {
    @Suite struct PcapWriting {
        @Test func tsharkReadsTimestampsAndLengthsBack() throws {
            let frame = PacketBuilder().ipv4(from: "10.0.0.1", to: "10.0.0.2").udp(from: 1, to: 2)
                .payload(Array(repeating: 0xAB, count: 100)).bytes
            var writer = PcapWriter(snapLength: 96)
            writer.append(frame, timestampNanoseconds: 1_700_000_000_123_456_789)
            writer.append(
                Array(frame.prefix(60)), timestampNanoseconds: 1_700_000_001_000_000_001, originalLength: 1514)
            writer.append(Array(frame.prefix(42)), timestampNanoseconds: 5)
            #expect(Array(writer.data.prefix(4)) == [0x4D, 0x3C, 0xB2, 0xA1])
            let directory = try TemporaryDirectory()
            let file = directory.file("times.pcap")
            try writer.write(to: file)
            let rows = try TShark.fields(of: file, ["frame.time_epoch", "frame.len", "frame.cap_len"])
            #expect(
                rows == [
                    ["1700000000.123456789", "142", "96"],
                    ["1700000001.000000001", "1514", "60"],
                    ["0.000000005", "42", "42"],
                ])
        }
    }
}

extension PacketFields.Address {
    fileprivate var isV6: Bool {
        if case .v6 = self { return true }
        return false
    }
}

// MARK: - Commands, network lab, trafgen

extension SupportTests {
    @Suite struct Commands {
        @Test func capturesOutputAndStatus() throws {
            let result = try CommandRunner.run(["sh", "-c", "echo out; echo err >&2; exit 3"])
            #expect(result.standardOutput == "out\n")
            #expect(result.standardError == "err\n")
            #expect(result.status == 3)
            #expect(!result.succeeded && !result.timedOut)
        }

        @Test func killsACommandThatOutlivesItsTimeout() throws {
            let start = ContinuousClock.now
            let result = try CommandRunner.run(["sleep", "20"], timeout: .milliseconds(300))
            #expect(result.timedOut)
            #expect(ContinuousClock.now - start < .seconds(5))
        }

        @Test func backgroundCommandIsWatchedWhileItRuns() throws {
            let command = try RunningCommand(["sh", "-c", "echo ready >&2; exec sleep 20"])
            #expect(command.waitForStandardError(containing: "ready"))
            #expect(command.isRunning)
            command.interrupt()
            let result = command.wait(timeout: .seconds(5))
            #expect(!result.timedOut)
            #expect(result.status != 0)
        }

        @Test func trafgenConfigListsEveryByte() {
            let text = TrafgenConfig.text(for: [[0x00, 0xAB], Array(0..<17)], names: ["short"])
            #expect(text.hasPrefix("# 0: short\n{\n  0x00, 0xab\n}\n# 1\n{\n  0x00, 0x01,"))
            #expect(text.contains("0x0e, 0x0f,\n  0x10\n}\n"))
        }
    }

    @Suite(.serialized) struct Lab {
        @Test(.kernel) func buildsAnIsolatedPairAndRemovesIt() throws {
            let lab = try NetworkLab(mtu: 1400)
            let namespaces = try CommandRunner.check(["ip", "netns", "list"]).standardOutput
            #expect(namespaces.contains(lab.namespace(.sender)) && namespaces.contains(lab.namespace(.receiver)))
            #expect(lab.receiverInterface.count <= 15)
            let link = try lab.run(in: .receiver, ["ip", "-o", "link", "show", "dev", lab.receiverInterface])
            #expect(link.standardOutput.contains("mtu 1400"), "\(link.summary)")
            let ipv6 = try lab.run(in: .sender, ["cat", "/proc/sys/net/ipv6/conf/\(lab.senderInterface)/disable_ipv6"])
            #expect(ipv6.standardOutput == "1\n")
            let route = try lab.run(in: .sender, ["ip", "route", "get", lab.address(.receiver)])
            #expect(route.standardOutput.contains("dev \(lab.senderInterface)"), "\(route.summary)")
            let routes = try lab.run(in: .receiver, ["ip", "-o", "route", "show"]).standardOutput
            #expect(!routes.contains("default"), "no way out of the lab: \(routes)")
            let background = try lab.start(in: .receiver, ["sleep", "30"])
            lab.shutdown()
            #expect(!background.isRunning)
            let after = try CommandRunner.check(["ip", "netns", "list"]).standardOutput
            #expect(!after.contains(lab.namespace(.sender)) && !after.contains(lab.namespace(.receiver)))
        }

        @Test(.kernel) func sweepRemovesOnlyNamespacesOfDeadProcesses() throws {
            let finished = try CommandRunner.run(["sh", "-c", "echo $$"])
            let deadPID = try #require(Int32(finished.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines)))
            let dead = "vt\(deadPID)-1s"
            let mine = "vt\(getpid())-9999r"
            try CommandRunner.check(["ip", "netns", "add", dead])
            try CommandRunner.check(["ip", "netns", "add", mine])
            defer { _ = try? CommandRunner.run(["ip", "netns", "del", mine]) }
            let removed = NetworkLab.sweepLeftovers()
            #expect(removed.contains(dead))
            #expect(!removed.contains(mine))
            let after = try CommandRunner.check(["ip", "netns", "list"]).standardOutput
            #expect(!after.contains(dead) && after.contains(mine))
        }

        @Test(.kernel) func trafgenSendsExactlyTheCraftedBytes() throws {
            let lab = try NetworkLab()
            defer { lab.shutdown() }
            let frames = Self.twentyFrames()
            let directory = try TemporaryDirectory()
            let capture = directory.file("received.pcap")
            let tcpdump = try lab.start(
                in: .receiver,
                [
                    // Immediate mode: libpcap hands each packet over at once instead of
                    // holding ring blocks that SIGINT would discard.
                    "tcpdump", "-i", lab.receiverInterface, "-w", capture.path, "-U", "--immediate-mode", "-n",
                    "-Z", "root", "-s", "0",
                ])
            // tcpdump says so on stderr once its socket is bound.
            try #require(tcpdump.waitForStandardError(containing: "listening on"), "\(tcpdump.standardErrorSoFar)")
            try lab.sendWithTrafgen(frames, count: frames.count, gap: .milliseconds(10))
            // Stop once every frame is on disk (24-byte file header, 16 per record).
            let expectedSize = 24 + frames.reduce(0) { $0 + 16 + $1.count }
            let deadline = Date() + 10
            while Self.fileSize(capture) < expectedSize && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
            tcpdump.interrupt()
            let stopped = tcpdump.wait(timeout: .seconds(10))
            #expect(!stopped.timedOut && stopped.standardError.contains("20 packets captured"), "\(stopped.summary)")
            let received = try TShark.frameBytes(of: capture)
            #expect(received.count == frames.count)
            for (index, (sent, got)) in zip(frames, received).enumerated() {
                #expect(sent == got, "frame \(index)")
            }
        }

        static func fileSize(_ url: URL) -> Int {
            ((try? FileManager.default.attributesOfItem(atPath: url.path))?[.size] as? Int) ?? 0
        }

        /// Valid and malformed frames of every kind, VLAN-tagged ones too.
        static func twentyFrames() -> [[UInt8]] {
            let v4 = PacketBuilder().ipv4(from: "10.1.0.8", to: "10.1.0.9")
            let v6 = PacketBuilder().ipv6(from: "2001:db8::8", to: "2001:db8::9")
            var frames: [[UInt8]] = (0..<6).map {
                v4.udp(from: 4500, to: 9).payload(seqPayload(sequence: UInt32($0), totalLength: 16)).bytes
            }
            frames += [
                v4.tcp(from: 6000, to: 80, flags: [.syn]).bytes,
                v4.icmpEcho(identifier: 7, sequence: 1).payload([1, 2, 3]).paddedToMinimumLength().bytes,
                v4.vlan(10).sctp(from: 5000, to: 6000, verificationTag: 1).bytes,
                v4.qinq(outer: 100, inner: 10).udp(from: 1, to: 2).payload(Array(repeating: 0x41, count: 1000)).bytes,
                v6.udp(from: 4500, to: 9).payload(seqPayload(sequence: 99, patternOffset: 3, totalLength: 20)).bytes,
                v6.icmpEcho(identifier: 7, sequence: 2).bytes,
                PacketBuilder()
                    .ipv6(from: "2001:db8::8", to: "2001:db8::9", extensions: [.hopByHop(), .fragment(offset: 5)])
                    .transport(protocol: 6).payload([1, 2, 3, 4]).bytes,
                v4.transport(protocol: 47, header: [0, 0, 0x88, 0xB5]).payload([5, 6]).bytes,
                PacketBuilder(destination: .broadcast).etherType(EtherType.arp)
                    .payload(Array(repeating: 0, count: 28)).bytes,
            ]
            let catalogue = malformedPacketCatalogue()
            for name in [
                "ipv4 IHL 4", "tcp data offset 4", "ipv4 total length one past the frame",
                "seven ipv6 extension headers", "three 802.1Q tags",
            ] {
                frames += catalogue.filter { $0.name == name }.map(\.frame)
            }
            precondition(frames.count == 20, "the test sends 20 frames")
            return frames
        }
    }
}
