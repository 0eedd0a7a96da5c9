import Foundation
import Testing
import VtapTestSupport

extension EndToEnd {
    /// `vtap run --flows N`: each rule's N flows with the most bytes, with
    /// the rules' metrics, against tshark's conversations of the same
    /// traffic, and against `vtap replay --flows` of tcpdump's capture.
    @Suite struct FlowView {
        @Test(.kernel, arguments: AttachMode.allCases)
        func topFlowsPerRuleAreTsharksConversations(attach: AttachMode) throws {
            let lab = try NetworkLab()
            defer { lab.shutdown() }
            let directory = try TemporaryDirectory(prefix: "vtap-e2e-flowview")
            let endpoints = try lab.preparedEndpoints()
            let rules = try RulesFile.write(
                [.init("udp", "\(endpoints.senderAddress) \(endpoints.receiverAddress) - - UDP")],
                settings: RulesFile.seedSequence, to: directory)
            // Four flows of 6, 12, 18 and 24 datagrams (sequence numbers
            // from 0), sent interleaved, so the top three are 4004, 4003 and
            // 4002 and 4001 is left out; the 4003 flow loses number 5.
            let counts: [UInt16: Int] = [4001: 6, 4002: 12, 4003: 18, 4004: 24]
            var frames: [[UInt8]] = []
            for round in 0..<24 {
                for port in counts.keys.sorted() where round < counts[port] ?? 0 {
                    if port == 4003 && round == 5 { continue }
                    frames.append(
                        endpoints.ipv4.udp(from: port, to: 9)
                            .payload(seqPayload(sequence: UInt32(round), totalLength: 40)).bytes)
                }
            }
            let capture = try PacketCapture.start(in: lab, file: directory.file("flows.pcap"))
            let run = try VtapRun.start(in: lab, object: rules, options: ["--flows", "3"] + attach.options)
            try lab.sendWithTrafgen(frames, gap: .milliseconds(2))
            #expect(capture.waitForRecords(frames.count))
            Thread.sleep(forTimeInterval: 0.3)
            let outcome = run.stop()
            #expect(outcome.endedCleanly, "\(outcome.result.summary)")
            try capture.stop()
            let summary = try outcome.output().summary()
            let flows = try #require(summary.flows)

            let conversations = try TShark.conversations(of: capture.file, protocol: "udp")
            let framesByFlow = Dictionary(
                conversations.map { ("\($0.source) > \($0.destination)", $0.frames) }, uniquingKeysWith: +)
            #expect(framesByFlow.count == 4, "\(conversations)")
            let expected = framesByFlow.sorted { $0.value > $1.value }.prefix(3)
            #expect(flows.map(\.name) == expected.map(\.key), "the top three by bytes, in order")
            for flow in flows {
                #expect(flow.rule == "udp" && flow.ipProtocol == 17)
                #expect(flow.metrics.packets == UInt64(framesByFlow[flow.name] ?? -1), "\(flow.name)")
                #expect(flow.metrics.bytes == flow.metrics.packets * UInt64(frames[0].count), "\(flow.name)")
                #expect(flow.metrics.jitterMeanMs != nil, "\(flow.name)")
            }
            // Each flow's sequence numbers are its own: only 4003 lost one.
            #expect(flows.map(\.metrics.seqLost) == [0, 1, 0])
            #expect(flows.map(\.metrics.seqSmall) == [0, 1, 0])
            // The rule is all four flows.
            let rule = try #require(summary.rule(named: "udp"))
            #expect(rule.packets == UInt64(framesByFlow.values.reduce(0, +)))
            #expect(summary.flowTable.viewHeld == 4 && summary.flowTable.viewEvicted == 0, "\(summary.flowTable)")

            // The replay of tcpdump's capture: the same flows, the same counts.
            let replayed = try VtapReplay.summary(rules: rules, capture: capture.file, options: ["--flows", "3"])
            let again = try #require(replayed.flows)
            #expect(again.map(\.name) == flows.map(\.name))
            #expect(again.map(\.metrics.totals) == flows.map(\.metrics.totals))
            #expect(again.map(\.metrics.sequence) == flows.map(\.metrics.sequence))
        }

        /// Without --flows the report has no `flows` key, and the view's
        /// table holds nothing.
        @Test(.kernel) func withoutFlowsThereIsNoView() throws {
            let summary = try VtapReplay.summary(
                rules: RepositoryLayout.root.appendingPathComponent("rules/seed.json"),
                capture: RepositoryLayout.root.appendingPathComponent("rules/seed-traffic.pcap"))
            #expect(summary.flows == nil)
            #expect(summary.flowTable.viewHeld == 0 && summary.flowTable.viewStarted == 0)
        }
    }
}
