import Foundation
import Testing
import VtapTestSupport

extension EndToEnd {
    /// Sequence state is per flow (directional 5-tuple; ICMP echo: addresses
    /// and identifier): interleaved flows of one protocol under one rule do
    /// not corrupt each other.
    @Suite struct Flows {
        @Test(.kernel) func interleavedFlowsKeepTheirOwnSequence() throws {
            let lab = try NetworkLab()
            defer { lab.shutdown() }
            let endpoints = try lab.preparedEndpoints()
            let scenario = InterleavedFlowsScenario(endpoints)
            let directory = try TemporaryDirectory(prefix: "vtap-e2e-flows")
            let rules = try RulesFile.write(
                scenario.groups.map { .init($0.name, $0.rule) }, settings: RulesFile.seedSequence, to: directory)
            let frames = scenario.groups.flatMap { $0.frames }
            let recording = try Recording.make(in: lab, rules: rules, directory: directory) {
                try lab.sendWithTrafgen(frames, gap: .milliseconds(1))
                return frames.count
            }
            let summary = recording.summary
            try #require(summary.rules.count == scenario.groups.count)
            for (group, rule) in zip(scenario.groups, summary.rules) {
                #expect(
                    rule.metrics.sequence == group.expected,
                    "\(group.name): vtap \(rule.metrics.sequence); expected \(group.expected)")
                #expect(rule.metrics.packets == UInt64(group.frames.count), "\(group.name): packets")
            }
            let udp = scenario.groups.filter { $0.rule.hasSuffix("UDP") }.reduce(SequenceCounters()) {
                $0 + $1.expected
            }
            #expect(summary.udp.sequence == udp, "protocol udp: vtap \(summary.udp.sequence); expected \(udp)")
            #expect(summary.icmp.sequence == scenario.groups[4].expected, "protocol icmp")
            #expect(summary.tcp.sequence == scenario.groups[5].expected, "protocol tcp")
        }
    }
}

/// Groups of flows interleaved packet by packet, one rule per group.
struct InterleavedFlowsScenario {
    struct Group {
        var name: String
        var rule: String
        var frames: [[UInt8]]
        var expected: SequenceCounters
    }

    let groups: [Group]

    init(_ e: LabEndpoints) {
        let s = e.senderAddress
        let r = e.receiverAddress
        func udp(
            from source: String = e.senderAddress, to destination: String = e.receiverAddress, _ sport: UInt16,
            _ dport: UInt16, _ numbers: [UInt32]
        ) -> [[UInt8]] {
            numbers.map {
                e.ipv4(from: source, to: destination).udp(from: sport, to: dport)
                    .payload(seqPayload(sequence: $0, totalLength: 16)).bytes
            }
        }
        /// a1 b1 a2 b2 …
        func interleave(_ flows: [[[UInt8]]]) -> [[UInt8]] {
            let longest = flows.map(\.count).max() ?? 0
            return (0..<longest).flatMap { index in flows.compactMap { index < $0.count ? $0[index] : nil } }
        }
        let icmp = { (identifier: UInt16, numbers: [UInt32]) in
            numbers.enumerated().map { index, number in
                e.ipv4.icmpEcho(identifier: identifier, sequence: UInt16(index))
                    .payload(seqPayload(sequence: number, totalLength: 16)).bytes
            }
        }
        let tcp = { (port: UInt16, start: UInt32) in
            (0..<10).map { index in
                e.ipv4.tcp(from: port, to: 80) { $0.sequence = start &+ UInt32(index * 100) }
                    .payload(Array(repeating: 0x54, count: 100)).bytes
            }
        }
        groups = [
            Group(
                name: "clean", rule: "\(s) \(r) - 9 UDP",
                frames: interleave([udp(5001, 9, Array(1...20)), udp(5002, 9, Array(1000...1019))]),
                expected: .init(count: 40)),
            // One flow skips 8: one small error, one lost; its neighbour stays clean.
            Group(
                name: "gapped", rule: "\(s) \(r) - 10 UDP",
                frames: interleave([udp(5003, 10, Array(1...7) + Array(9...20)), udp(5004, 10, Array(500...519))]),
                expected: .init(count: 39, small: 1, lost: 1)),
            // Same ports and addresses, opposite directions: two flows.
            Group(
                name: "directional", rule: "- - 7 7 UDP",
                frames: interleave([udp(7, 7, Array(1...10)), udp(from: r, to: s, 7, 7, Array(100...109))]),
                expected: .init(count: 20)),
            // 64 flows round-robin, five packets each.
            Group(
                name: "many", rule: "\(s) \(r) - 11 UDP",
                frames: interleave((0..<64).map { udp(20000 + UInt16($0), 11, (1...5).map { UInt32($0) }) }),
                expected: .init(count: 320)),
            Group(
                name: "icmp-ids", rule: "\(s) \(r) - - ICMP",
                frames: interleave([icmp(1, Array(1...10)), icmp(2, Array(50...59))]), expected: .init(count: 20)),
            Group(
                name: "tcp-two", rule: "\(s) \(r) - 80 TCP",
                frames: interleave([tcp(6001, 1000), tcp(6002, 900_000)]), expected: .init(count: 20)),
        ]
    }
}
