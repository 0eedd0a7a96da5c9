import Foundation
import Testing
import VtapTestSupport

extension EndToEnd {
    /// Packets, bytes and payload bytes: exact, against the crafted frames
    /// and against tcpdump on the same interface at the same time.
    @Suite struct Totals {
        /// With the rules file (compiled by vtap) and with vtapc's object,
        /// on an AF_PACKET socket and on TCX.
        @Test(.kernel, arguments: [false, true], AttachMode.allCases)
        func countsEqualTheCraftedFramesAndTheCapture(compiledByVtapc: Bool, attach: AttachMode) throws {
            let lab = try NetworkLab()
            defer { lab.shutdown() }
            let (scenario, recording) = try TotalsScenario.record(
                in: lab, compiled: compiledByVtapc, options: attach.options)
            let summary = recording.summary

            try #require(summary.rules.count == scenario.matched.count, "rules: \(summary.rules.map(\.label))")
            for (index, frames) in scenario.matched.enumerated() {
                let rule = summary.rules[index]
                let crafted = frames.expectedTotals
                let captured = try CaptureAnalysis.totals(in: recording.capture, filter: scenario.captureFilters[index])
                #expect(captured == crafted, "tcpdump vs the crafted frames, rule \(index) (oracle self-check)")
                #expect(
                    rule.metrics.totals == crafted,
                    "rule \(index) \(rule.label): vtap \(rule.metrics.totals), sent \(crafted)")
            }
            for name in ProtocolName.all {
                let expected = scenario.expectedClassTotals(name)
                let measured = summary.protocolClass(name)
                if name == "other" {
                    // The contract defines payload for UDP, TCP and ICMP only.
                    #expect(
                        measured.packets == expected.packets && measured.bytes == expected.bytes,
                        "protocol other: \(measured.totals)")
                } else {
                    #expect(measured.totals == expected, "protocol \(name): vtap \(measured.totals), sent \(expected)")
                }
            }
            #expect(summary.unmatched == scenario.unmatchedTally, "unmatched")
            #expect(summary.malformed == scenario.malformedTally, "malformed")

            // Everything vtap saw, against everything tcpdump saw.
            let all = try recording.frames()
            let vtapPackets =
                summary.rules.reduce(0) { $0 + $1.metrics.packets } + summary.unmatched.packets
                + summary.malformed.packets
            let vtapBytes =
                summary.rules.reduce(0) { $0 + $1.metrics.bytes } + summary.unmatched.bytes + summary.malformed.bytes
            #expect(vtapPackets == UInt64(all.count), "packets: vtap \(vtapPackets), tcpdump \(all.count)")
            #expect(vtapBytes == UInt64(all.reduce(0) { $0 + $1.length }), "bytes vs tcpdump frame lengths")

            // Totals run since the start: the last interval's equal the summary's.
            let lastInterval = try #require(recording.output.intervals.last, "no interval line before the summary")
            for index in summary.rules.indices {
                #expect(
                    lastInterval.rules[index].metrics.totals == summary.rules[index].metrics.totals, "rule \(index)")
            }
            for name in ProtocolName.all {
                #expect(lastInterval.protocolClass(name).totals == summary.protocolClass(name).totals, "\(name)")
            }
            #expect(lastInterval.unmatched == summary.unmatched && lastInterval.malformed == summary.malformed)
            // Totals never decrease from one interval to the next.
            let udpPackets = recording.output.intervals.map(\.udp.packets)
            #expect(udpPackets == udpPackets.sorted(), "udp packets per interval: \(udpPackets)")
        }

        @Test(.kernel) func reportsDescribeTheRun() throws {
            let lab = try NetworkLab()
            defer { lab.shutdown() }
            let (scenario, recording) = try TotalsScenario.record(in: lab)
            let output = recording.output
            #expect(
                recording.attachedLine == VtapRun.attachedMarker + lab.receiverInterface, "\(recording.attachedLine)")
            #expect(!output.intervals.isEmpty)
            for report in output.reports {
                #expect(report.interfaces == [lab.receiverInterface])
                #expect(report.throughputUnit == "B/s")
                #expect(report.timeText.hasSuffix("Z"), "UTC: \(report.timeText)")
                #expect(report.rules.map(\.index) == Array(0..<scenario.rules.count))
                #expect(report.rules.map(\.name) == scenario.rules.map(\.name))
                #expect(report.rules.allSatisfy { !$0.label.isEmpty })
                #expect(report.rules[0].label == "udp-flow")
            }
            // interval_s is the time a line covers: -t for full intervals
            // (give or take how late the read that ended it woke), less for
            // the partial last one, the whole run for the summary.
            let intervals = output.intervals
            for report in intervals.dropLast() {
                #expect(abs(report.intervalSeconds - 1) < 0.1, "full interval: \(report.intervalSeconds) s")
            }
            if let last = intervals.last { #expect(last.intervalSeconds > 0 && last.intervalSeconds <= 1.1) }
            let covered = intervals.reduce(0) { $0 + $1.intervalSeconds }
            #expect(
                abs(recording.summary.intervalSeconds - covered) < 0.01 * covered + 0.005,
                "summary covers \(recording.summary.intervalSeconds) s, intervals \(covered) s")
            #expect(recording.summary.time == intervals.last?.time, "the summary ends with the last interval")
            // Times go forward, about one throughput interval apart.
            let times = output.reports.map(\.time)
            #expect(times == times.sorted(), "\(output.reports.map(\.timeText))")
            let now = Date()
            #expect(times.allSatisfy { abs($0.timeIntervalSince(now)) < 120 }, "times are now, in UTC")
            // An unnamed rule's name is JSON null, not absent (the decoder requires the key).
            #expect(output.reports.last?.rules[3].name == nil)
        }
    }
}
