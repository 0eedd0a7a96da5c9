import Foundation
import Testing
import VtapMetrics
import VtapOutputs
import VtapRuleModel
import VtapTestSupport

/// IPFIX messages (RFC 7011) as a reader nobody here wrote decodes them:
/// tshark's cflow dissector, over a capture of the messages in UDP.
@Suite struct IPFIXMessagesTests {
    static func connection(_ index: Int, ipVersion: Int = 4) -> ConnectionKPIs {
        ConnectionKPIs(
            socket: 0xffff_8880_0000_0000 + UInt64(index), rule: index % 3,
            nanoseconds: 1_800_000_000_500_000_000 + Int64(index) * 1_000_000,
            startNanoseconds: 1_800_000_000_000_000_000, establishedNanoseconds: 1_800_000_000_000_100_000,
            end: index % 2 == 0 ? .fin : .open, state: 4, ipVersion: ipVersion,
            localAddress: ipVersion == 4 ? "192.0.2.1" : "2001:db8::1", localPort: UInt16(40000 + index),
            remoteAddress: ipVersion == 4 ? "198.51.100.7" : "2001:db8::2", remotePort: 443,
            bytesSent: UInt64(1000 * index + 7), bytesAcked: UInt64(1000 * index + 8), bytesReceived: 5001,
            segmentsIn: 31, segmentsOut: UInt32(10 + index), retransmissions: UInt32(index % 5),
            smoothedRTTMicroseconds: 1_600, minimumRTTMicroseconds: 900, maximumRTTMicroseconds: 4_000,
            handshakeRTTMicroseconds: 1_100, stalls: 1, receiveBufferStart: 131_072, receiveBufferEnd: 1_000_000)
    }

    /// The messages as UDP datagrams to port 4739 in a capture.
    static func capture(_ messages: [[UInt8]], in directory: TemporaryDirectory) throws -> URL {
        var pcap = PcapWriter()
        for (index, message) in messages.enumerated() {
            let frame = PacketBuilder().ipv4(from: "192.0.2.1", to: "192.0.2.2").udp(from: 50000, to: 4739)
                .payload(message).bytes
            pcap.append(frame, timestampNanoseconds: 1_800_000_000_000_000_000 + UInt64(index) * 1_000)
        }
        let file = directory.file("ipfix.pcap")
        try pcap.write(to: file)
        return file
    }

    static func tshark(_ file: URL, fields: [String]) throws -> [[String]] {
        var arguments = ["tshark", "-n", "-r", file.path, "-d", "udp.port==4739,cflow", "-T", "fields"]
        arguments += ["-E", "separator=\t", "-E", "aggregator=,"]
        for field in fields { arguments += ["-e", field] }
        let result = try CommandRunner.check(arguments, timeout: .seconds(60))
        return result.standardOutput.split(separator: "\n").map {
            $0.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
        }
    }

    @Test func everyTemplateAndRecordDecodesWithItsSequenceNumbers() throws {
        let directory = try TemporaryDirectory(prefix: "vtap-ipfix")
        var messages = IPFIXMessages(observationDomain: 7, templates: KPIRecords.all.templates)
        let v4 = (0..<30).map { Self.connection($0) }
        let v6 = (0..<5).map { Self.connection($0, ipVersion: 6) }
        let first = messages.messages(
            records: (v4 + v6).compactMap(KPIRecords.all.record), exportTime: 1_800_000_000, includeTemplates: true
        ).map(\.bytes)
        let second = messages.messages(
            records: [KPIRecords.all.record(Self.connection(99))].compactMap { $0 }, exportTime: 1_800_000_005,
            includeTemplates: false
        ).map(\.bytes)
        #expect(first.count > 1, "35 records need more than one 1,400-byte message")
        #expect(first.allSatisfy { $0.count <= 1400 })
        let file = try Self.capture(first + second, in: directory)

        // No frame is malformed, and every record is there.
        let expert = try CommandRunner.check(
            ["tshark", "-n", "-r", file.path, "-d", "udp.port==4739,cflow", "-z", "expert,warn", "-q"])
        #expect(!expert.standardOutput.contains("Malformed"), "\(expert.standardOutput)")
        let rows = try Self.tshark(
            file, fields: ["cflow.sequence", "cflow.od_id", "cflow.template_id", "cflow.srcport", "cflow.len"])
        #expect(rows.count == first.count + second.count)
        // The export sequence number counts the data records before the message.
        var before = 0
        for row in rows {
            #expect(Int(row[0]) == before, "\(row)")
            #expect(row[1] == "7")
            before += row[3].split(separator: ",").count
        }
        #expect(before == 36)
        #expect(rows[0][2] == "256,257", "the templates come first: \(rows[0])")
        let ports = rows.flatMap { $0[3].split(separator: ",").map(String.init) }
        #expect(ports == (v4 + v6 + [Self.connection(99)]).map { "\($0.localPort)" })
        // The header's length is the message's.
        for (row, message) in zip(rows, first + second) { #expect(Int(row[4]) == message.count) }
    }

    @Test func fieldsCarryTheirValues() throws {
        let directory = try TemporaryDirectory(prefix: "vtap-ipfix")
        var messages = IPFIXMessages(observationDomain: 1, templates: KPIRecords.all.templates)
        let k = Self.connection(3)
        let file = try Self.capture(
            messages.messages(
                records: [KPIRecords.all.record(k)].compactMap { $0 }, exportTime: 1_800_000_001, includeTemplates: true
            ).map(\.bytes), in: directory)
        let row = try #require(
            Self.tshark(
                file,
                fields: [
                    "cflow.srcaddr", "cflow.dstaddr", "cflow.srcport", "cflow.dstport", "cflow.protocol",
                    "cflow.flow_end_reason", "cflow.abstimestart", "cflow.abstimeend",
                ]
            ).first)
        #expect(Array(row.prefix(6)) == ["192.0.2.1", "198.51.100.7", "40003", "443", "6", "2"], "\(row)")
        #expect(row[6].contains("2027-01-15") || row[6].contains("Jan 15, 2027"), "start \(row[6])")
        // An IPv6 record goes by the second template, with its addresses.
        var v6Messages = IPFIXMessages(observationDomain: 1, templates: KPIRecords.all.templates)
        let v6File = try Self.capture(
            v6Messages.messages(
                records: [KPIRecords.all.record(Self.connection(2, ipVersion: 6))].compactMap { $0 },
                exportTime: 1_800_000_001, includeTemplates: true
            ).map(\.bytes), in: directory)
        let v6Row = try #require(
            Self.tshark(v6File, fields: ["cflow.srcaddrv6", "cflow.dstaddrv6", "cflow.flow_end_reason"]).first)
        #expect(v6Row == ["2001:db8::1", "2001:db8::2", "3"], "\(v6Row)")
    }

    /// An MPTCP connection's record: tshark reads the template's
    /// enterprise elements (Flowcorder's reinjectionOctetOut 14,
    /// subflowCount 17, pathIndex 19; vtap's mptcpToken 111, kpiScope 112)
    /// and their values in the record, as raw enterprise entries.
    @Test func mptcpValuesTravelInTheirEnterpriseElements() throws {
        let directory = try TemporaryDirectory(prefix: "vtap-ipfix")
        var k = Self.connection(4)
        k.mptcp = .init(scope: .mptcp, token: 0xaf57_75fc, pathIndex: 0, subflows: 3, reinjectedBytes: 0x1_0203)
        var messages = IPFIXMessages(observationDomain: 1, templates: KPIRecords.all.templates)
        let file = try Self.capture(
            messages.messages(
                records: [KPIRecords.all.record(k)].compactMap { $0 }, exportTime: 1_800_000_001, includeTemplates: true
            ).map(\.bytes), in: directory)
        let rows = try Self.tshark(
            file,
            fields: [
                "cflow.template_ipfix_field_type_enterprise", "cflow.template_ipfix_field_pen",
                "cflow.enterprise_private_entry",
            ])
        let row = try #require(rows.first)
        let types = row[0].split(separator: ",").map(String.init)
        let pens = Set(row[1].split(separator: ",").map(String.init))
        #expect(pens == ["65534"], "\(row)")
        // Both templates list them, last, in this order.
        let mptcpTypes = ["14", "17", "19", "111", "112"]
        #expect(types.count % 2 == 0 && Array(types.suffix(5)) == mptcpTypes, "\(types)")
        #expect(Array(types.prefix(types.count / 2).suffix(5)) == mptcpTypes, "\(types)")
        let entries = row[2].split(separator: ",").map(String.init)
        #expect(
            Array(entries.suffix(5)) == ["0000000000010203", "03", "00", "af5775fc", "02"], "\(entries)")
        // A plain TCP record's are zero, its scope tcp.
        var tcpMessages = IPFIXMessages(observationDomain: 1, templates: KPIRecords.all.templates)
        let tcpFile = try Self.capture(
            tcpMessages.messages(
                records: [KPIRecords.all.record(Self.connection(4))].compactMap { $0 }, exportTime: 1_800_000_001,
                includeTemplates: true
            ).map(\.bytes), in: directory)
        let tcpRow = try #require(Self.tshark(tcpFile, fields: ["cflow.enterprise_private_entry"]).first)
        #expect(
            Array(tcpRow[0].split(separator: ",").suffix(5)) == ["0000000000000000", "00", "00", "00000000", "00"],
            "\(tcpRow)")
    }

    /// KPI chooses the elements: a record of RTT alone has the
    /// connection's identity and the RTT elements only, and tshark decodes
    /// it with no malformed packet.
    @Test func chosenKPIsChooseTheElements() throws {
        let directory = try TemporaryDirectory(prefix: "vtap-ipfix")
        let rtt = KPIRecords([.rtt])
        let ids = rtt.templates[0].elements.map { "\($0.enterprise ?? 0)/\($0.id)" }
        #expect(
            ids == [
                "0/8", "0/12", "0/7", "0/11", "0/4", "0/152", "0/153", "0/136", "65534/5", "65534/100", "65534/101",
                "65534/102", "65534/103", "65534/109",
            ], "\(ids)")
        #expect(rtt.templates[1].elements.count == rtt.templates[0].elements.count)
        var messages = IPFIXMessages(observationDomain: 1, templates: rtt.templates)
        let file = try Self.capture(
            messages.messages(
                records: [rtt.record(Self.connection(3))].compactMap { $0 }, exportTime: 1_800_000_001,
                includeTemplates: true
            ).map(\.bytes), in: directory)
        let expert = try CommandRunner.check(
            ["tshark", "-n", "-r", file.path, "-d", "udp.port==4739,cflow", "-z", "expert,warn", "-q"])
        #expect(!expert.standardOutput.contains("Malformed"), "\(expert.standardOutput)")
        let rows = try Self.tshark(
            file, fields: ["cflow.template_ipfix_field_type", "cflow.srcport", "cflow.enterprise_private_entry"])
        let row = try #require(rows.first)
        // tshark's reading of the IPv4 template's IANA elements: the
        // identity only, no octetTotalCount (85) or packetTotalCount (86).
        let ianaTypes = row[0].split(separator: ",").prefix(8).map(String.init)
        #expect(ianaTypes == ["8", "12", "7", "11", "4", "152", "153", "136"], "\(row)")
        // The record: the RTTs (2 ms rounded; 1,100, 900, 1,600, 4,000 µs), and the rule.
        #expect(row[1] == "40003", "\(row)")
        #expect(
            row[2].split(separator: ",") == ["0002", "0000044c", "00000384", "00000640", "00000fa0", "00000000"],
            "\(row)")
        #expect(
            row[2].split(separator: ",") == ["0002", "0000044c", "00000384", "00000640", "00000fa0", "00000000"],
            "\(row)")
    }

    @Test func withdrawalNamesEveryTemplateWithNoFields() throws {
        let messages = IPFIXMessages(observationDomain: 1, templates: KPIRecords.all.templates)
        let bytes = messages.withdrawal(exportTime: 1)
        // Header, a template set (id 2) of two records: template id, 0 fields.
        #expect(bytes.count == 16 + 4 + 8)
        #expect(Array(bytes[16..<20]) == [0, 2, 0, 12])
        #expect(Array(bytes[20...]) == [1, 0, 0, 0, 1, 1, 0, 0])
    }

    @Test func collectorAddresses() {
        #expect(CollectorAddress("192.0.2.10:4739")?.description == "192.0.2.10:4739")
        #expect(CollectorAddress("collector.example:2055")?.host == "collector.example")
        #expect(CollectorAddress("[2001:db8::1]:4739")?.description == "[2001:db8::1]:4739")
        for bad in [
            "192.0.2.10", "192.0.2.10:0", "192.0.2.10:65536", ":4739", "2001:db8::1:4739", "[2001:db8::1]", "a b:1",
        ] {
            #expect(CollectorAddress(bad) == nil, "\(bad)")
        }
    }
}
