import Foundation
import Testing
import VtapRuleModel
import VtapTestSupport

/// `vtap replay` counts agree with tshark reading the same capture.
@Suite(.kernel) struct ReplayTests {
    static let rules = """
        {
          "RULES": [
            {"name": "web", "rule": "- 10.1.0.9 - [80,443] TCP"},
            {"name": "voice", "rule": "3.3.3.3 - - - UDP"},
            {"name": "lab-v6", "rule": "2001:db8::/32 - - - -"},
            "10.1.0.0/16 - - - -"
          ]
        }
        """

    /// The same rules as tshark display filters; first match wins, as in vtap.
    static let filters = [
        "ip.dst == 10.1.0.9 && (tcp.dstport == 80 || tcp.dstport == 443)",
        "ip.src == 3.3.3.3 && udp",
        "ipv6.src == 2001:db8::/32",
        "ip.src == 10.1.0.0/16",
    ]

    static func traffic() -> [[UInt8]] {
        var frames: [[UInt8]] = []
        var random = SplitMix64(seed: 7)
        for i in 0..<400 {
            let size = Int.random(in: 0...1200, using: &random)
            let payload = [UInt8](repeating: UInt8(i & 0xFF), count: size)
            var packet = PacketBuilder()
            if i % 7 == 0 { packet = packet.vlan(100) }
            switch i % 6 {
            case 0: packet = packet.ipv4(from: "10.2.0.1", to: "10.1.0.9").tcp(from: 40000, to: i % 2 == 0 ? 80 : 443)
            case 1: packet = packet.ipv4(from: "3.3.3.3", to: "10.9.9.9").udp(from: 5060, to: 5060)
            case 2: packet = packet.ipv6(from: "2001:db8::\(i)", to: "fd00::1").udp(from: 1, to: 2)
            case 3: packet = packet.ipv4(from: "10.1.4.4", to: "10.1.0.9").tcp(from: 1, to: 8080)
            case 4:
                packet = packet.ipv4(from: "192.168.0.1", to: "192.168.0.2").icmpEcho(
                    identifier: 1, sequence: UInt16(i))
            default: packet = packet.ipv6(from: "fd00::2", to: "2001:db8::1").tcp(from: 1, to: 2)
            }
            frames.append(packet.payload(payload).paddedToMinimumLength().bytes)
        }
        return frames
    }

    @Test func replayCountsMatchTshark() throws {
        let directory = try TemporaryDirectory()
        let rulesFile = directory.file("rules.json")
        try Self.rules.write(to: rulesFile, atomically: true, encoding: .utf8)

        let good = Self.traffic()
        let malformed = malformedPacketCatalogue().filter { $0.expected == .malformed }
        var pcap = PcapWriter()
        for (i, frame) in (good + malformed.map(\.frame)).enumerated() {
            pcap.append(frame, timestampNanoseconds: 1_700_000_000_000_000_000 + UInt64(i) * 1_000_000)
        }
        let capture = directory.file("traffic.pcap")
        try pcap.write(to: capture)

        let result = try CommandRunner.run(
            [BuiltProducts.vtap, "replay", rulesFile.path, capture.path, "--json"], timeout: .seconds(120))
        #expect(result.status == 0, "\(result.summary)")
        // JSON lines: intervals, then the summary of the whole capture.
        let lastLine = try #require(result.standardOutput.split(separator: "\n").last)
        let report = try #require(JSONSerialization.jsonObject(with: Data(lastLine.utf8)) as? [String: Any])
        #expect(report["summary"] as? Bool == true)
        let rules = try #require(report["rules"] as? [[String: Any]])

        // tshark, frame by frame, with the same first-match order.
        let rows = try TShark.fields(of: capture, ["frame.number", "frame.len"], preferences: [])
        var expectedPackets = [UInt64](repeating: 0, count: Self.filters.count)
        var expectedBytes = [UInt64](repeating: 0, count: Self.filters.count)
        var claimed = Set<Int>()
        for (index, filter) in Self.filters.enumerated() {
            let matched = try CommandRunner.check(
                [
                    "tshark", "-n", "-r", capture.path, "-Y", "frame.number <= \(good.count) && (\(filter))",
                    "-T", "fields", "-e", "frame.number", "-e", "frame.len",
                ], timeout: .seconds(60))
            for line in matched.standardOutput.split(separator: "\n") {
                let parts = line.split(separator: "\t")
                guard parts.count == 2, let number = Int(parts[0]), let length = UInt64(parts[1]),
                    claimed.insert(number).inserted
                else { continue }
                expectedPackets[index] += 1
                expectedBytes[index] += length
            }
        }
        #expect(rows.count == good.count + malformed.count)
        for (index, rule) in rules.enumerated() {
            #expect(rule["packets"] as? UInt64 == expectedPackets[index], "rule \(index): \(rule)")
            #expect(rule["bytes"] as? UInt64 == expectedBytes[index], "rule \(index): \(rule)")
        }
        #expect(rules.map { $0["name"] as? String } == ["web", "voice", "lab-v6", nil])
        #expect(rules.last?.keys.contains("name") == true)

        let unmatched = try #require(report["unmatched"] as? [String: Any])
        #expect(unmatched["packets"] as? Int == good.count - claimed.count)
        let malformedReport = try #require(report["malformed"] as? [String: Any])
        #expect(malformedReport["packets"] as? Int == malformed.count)
        #expect(malformedReport["bytes"] as? Int == malformed.reduce(0) { $0 + $1.frame.count })
    }

    @Test func badInputsAreOneLineErrors() throws {
        let directory = try TemporaryDirectory()
        let notCapture = directory.file("notes.txt")
        try "hello".write(to: notCapture, atomically: true, encoding: .utf8)
        let rulesFile = directory.file("rules.json")
        try Self.rules.write(to: rulesFile, atomically: true, encoding: .utf8)

        let badCapture = try CommandRunner.run([BuiltProducts.vtap, "replay", rulesFile.path, notCapture.path])
        #expect(badCapture.status == 1, "\(badCapture.summary)")
        #expect(badCapture.standardError.split(separator: "\n").count == 1)

        // An object with no manifest was not built by vtapc.
        let stray = directory.file("stray.o")
        try Data([0x7F, 0x45, 0x4C, 0x46, 2, 1, 1, 0] + [UInt8](repeating: 0, count: 56)).write(to: stray)
        let notOurs = try CommandRunner.run([BuiltProducts.vtap, "replay", stray.path, notCapture.path])
        #expect(notOurs.status == 1)
        #expect(notOurs.standardError.contains("was not built by vtapc"))
    }
}
