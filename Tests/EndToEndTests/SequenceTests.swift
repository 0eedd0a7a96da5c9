import Foundation
import Testing
import VtapTestSupport

extension EndToEnd {
    /// Sequence errors: crafted flows with known losses, reorders,
    /// duplicates, resets and wraps, every counter exact; and a real TCP
    /// transfer against what tcpdump saw of it.
    @Suite struct Sequences {
        @Test(.kernel, arguments: AttachMode.allCases)
        func craftedFlowsGiveExactCounters(attach: AttachMode) throws {
            let lab = try NetworkLab(mtu: SequenceScenario.mtu)
            defer { lab.shutdown() }
            let (scenario, recording) = try SequenceScenario.record(in: lab, options: attach.options)
            let summary = recording.summary
            try #require(summary.rules.count == scenario.cases.count)
            for (sequenceCase, rule) in zip(scenario.cases, summary.rules) {
                #expect(
                    SequenceScenario.reference(for: sequenceCase) == sequenceCase.expected,
                    "\(sequenceCase.name): the hand-written expectation disagrees with the written-out rules")
                let measured = rule.metrics
                #expect(
                    measured.sequence == sequenceCase.expected,
                    "\(sequenceCase.name): vtap \(measured.sequence); expected \(sequenceCase.expected)")
                #expect(
                    measured.seqTotal == sequenceCase.expected.total,
                    "\(sequenceCase.name): seq_total \(measured.seqTotal)")
                #expect(
                    measured.seqLast == sequenceCase.last,
                    "\(sequenceCase.name): seq_last \(String(describing: measured.seqLast)), expected \(String(describing: sequenceCase.last))"
                )
                #expect(
                    measured.totals == sequenceCase.packets.expectedTotals,
                    "\(sequenceCase.name): totals \(measured.totals)")
            }
            // Each protocol's counters are its rules' together.
            for name in ["udp", "icmp", "tcp"] {
                let cases = scenario.cases.filter { $0.protocolClass == name }
                let expected = cases.reduce(SequenceCounters()) { $0 + $1.expected }
                #expect(
                    summary.protocolClass(name).sequence == expected,
                    "protocol \(name): vtap \(summary.protocolClass(name).sequence); expected \(expected)")
            }
            // The capture holds what was sent, in order (the oracle's premise).
            let captured = try recording.frames()
            #expect(captured.count == scenario.frames.count)
        }

        /// PATTERN 0xFFFFFFFF + OFFSET n reads the number at payload offset n;
        /// without PATTERN and OFFSET, UDP and ICMP are not tracked, TCP is.
        @Test(.kernel, arguments: [true, false])
        func fixedOffsetOrNoTracking(fixedOffset: Bool) throws {
            let lab = try NetworkLab()
            defer { lab.shutdown() }
            let e = try lab.preparedEndpoints()
            let directory = try TemporaryDirectory(prefix: "vtap-e2e-seq-settings")
            let settings: KeyValuePairs<String, String> =
                fixedOffset ? ["PATTERN": "\"0xFFFFFFFF\"", "OFFSET": "8", "SEQUENCE_THRESHOLD": "2"] : [:]
            let rules = try RulesFile.write(
                [
                    .init("udp", "\(e.senderAddress) \(e.receiverAddress) - - UDP"),
                    .init("tcp", "\(e.senderAddress) \(e.receiverAddress) - - TCP"),
                ],
                settings: settings, to: directory)
            // The number sits at payload offset 8 (the seed layout's pattern at 4);
            // the last datagram ends before offset 12.
            let udp =
                [UInt32(1), 2, 3, 5].map {
                    e.ipv4.udp(from: 4500, to: 9).payload(seqPayload(sequence: $0, totalLength: 16))
                } + [e.ipv4.udp(from: 4500, to: 9).payload(Array(repeating: 0xA5, count: 10))]
            let tcp = [UInt32(100), 200, 300].map {
                e.ipv4.tcp(from: 6000, to: 80) { [s = $0] in $0.sequence = s }.payload(
                    Array(repeating: 0x54, count: 100))
            }
            let frames = (udp + tcp).map(\.bytes)
            let recording = try Recording.make(in: lab, rules: rules, directory: directory) {
                try lab.sendWithTrafgen(frames, gap: .milliseconds(1))
                return frames.count
            }
            let measuredUDP = recording.summary.rules[0].metrics.sequence
            if fixedOffset {
                #expect(
                    measuredUDP == .init(count: 4, small: 1, lost: 1, missing: 1), "udp at offset 8: \(measuredUDP)")
                #expect(recording.summary.rules[0].metrics.seqLast == 5)
            } else {
                // Not tracked: nothing checked, no error (missing is not asserted: no number is sought).
                #expect(
                    measuredUDP.count == 0 && measuredUDP.total == 0 && measuredUDP.lost == 0,
                    "udp untracked: \(measuredUDP)")
            }
            let measuredTCP = recording.summary.rules[1].metrics.sequence
            #expect(measuredTCP == .init(count: 3), "tcp is always tracked: \(measuredTCP)")
        }

        @Test(.kernel, .tags(.slow)) func tcpTransferAgreesWithTheCapture() throws {
            let lab = try NetworkLab()
            defer { lab.shutdown() }
            let (transfer, recording) = try TCPTransferScenario.record(in: lab)
            let rule = recording.summary.rules[0].metrics
            #expect(
                transfer.segments.count > 100, "a few seconds of iperf3 make many segments: \(transfer.segments.count)")
            #expect(rule.totals == transfer.totals, "vtap \(rule.totals); tcpdump \(transfer.totals)")
            #expect(recording.summary.tcp.totals == transfer.totals, "protocol tcp \(recording.summary.tcp.totals)")
            #expect(
                rule.sequence == transfer.expectedSequence,
                "vtap \(rule.sequence); from the capture \(transfer.expectedSequence)")
            #expect(rule.seqCount > 0)
            if transfer.retransmissions == 0 {
                #expect(
                    rule.seqReverse == 0 && rule.seqSmall == 0 && rule.seqBig == 0,
                    "tshark saw no retransmission on the clean veth: \(rule.sequence)")
            }
            #expect(rule.seqLost == 0, "TCP has no lost count")
        }
    }
}

/// iperf3 through the veth, recorded with tcpdump -s 128; expected counters
/// come from the capture's TCP headers by the written-out sequence rules.
struct TCPTransferScenario {
    var segments: [CapturedFrame]
    var totals: PacketTotals
    var expectedSequence: SequenceCounters
    var retransmissions: Int

    /// tshark fields after the payload ones.
    static let fields =
        CaptureAnalysis.payloadFields + [
            "tcp.srcport", "tcp.dstport", "tcp.seq_raw", "tcp.len", "tcp.flags.syn", "tcp.flags.fin",
            "tcp.analysis.retransmission",
        ]

    static func record(in lab: NetworkLab, options: [String] = []) throws -> (TCPTransferScenario, Recording) {
        let endpoints = try lab.preparedEndpoints()
        let directory = try TemporaryDirectory(prefix: "vtap-e2e-iperf")
        let rules = try RulesFile.write(
            [.init("iperf", "\(endpoints.senderAddress) \(endpoints.receiverAddress) - - TCP")],
            settings: ["SEQUENCE_THRESHOLD": "2"], to: directory)
        let recording = try Recording.make(
            in: lab, rules: rules, directory: directory, vtapOptions: options, snapLength: 128
        ) {
            try IperfTransfer.run(in: lab, seconds: 2)
            return nil
        }
        let filter = "ip.src == \(endpoints.senderAddress) && ip.dst == \(endpoints.receiverAddress) && tcp"
        let segments = try recording.frames(filter, fields: fields)
        var reference = SequenceReference(.tcp)
        var retransmissions = 0
        for segment in segments {
            // The TCP fields, after the payload ones.
            let f = Array(segment.fields.dropFirst(CaptureAnalysis.payloadFields.count))
            guard f.count == 7, let sequence = UInt32(f[2]), let length = UInt32(f[3]) else {
                throw ReportError("unreadable TCP fields: \(segment.fields)")
            }
            reference.observe(
                flow: "\(f[0])>\(f[1])", sequence: sequence, payload: length, syn: f[4] == "1" || f[4] == "True",
                fin: f[5] == "1" || f[5] == "True")
            if !f[6].isEmpty { retransmissions += 1 }
        }
        let scenario = TCPTransferScenario(
            segments: segments, totals: CaptureAnalysis.totals(of: segments, payload: CaptureAnalysis.l4Payload),
            expectedSequence: reference.counters, retransmissions: retransmissions)
        return (scenario, recording)
    }
}
