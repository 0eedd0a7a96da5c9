import Foundation
import Testing
import VtapTestSupport

extension EndToEnd {
    /// The crafted malformed frames the kernel tests replay (every header
    /// cut off, every length field lying, the depth limits and their valid
    /// look-alikes), sent over a veth with trafgen while `vtap run`
    /// measures: its counts must be exactly those of `vtap replay` of
    /// tcpdump's capture of the same frames (per protocol class, per rule,
    /// unmatched and malformed), and the malformed ones at least as many as
    /// the catalogue marks malformed among the frames the capture holds.
    @Suite struct HostileFrames {
        @Test(.kernel, arguments: AttachMode.allCases)
        func liveCountsEqualTheReplayOfTheirCapture(attach: AttachMode) throws {
            let lab = try NetworkLab()
            defer { lab.shutdown() }
            let directory = try TemporaryDirectory(prefix: "vtap-e2e-hostile")
            // A rule for the catalogue's IPv4 flows, one for its IPv6 ones;
            // the rest is unmatched or malformed.
            let rules = try RulesFile.write(
                [.init("v4", "10.0.0.1 10.0.0.2 - - -"), .init("v6", "2001:db8::1 2001:db8::2 - - -")], to: directory)
            let object = directory.file("filter.o")
            try RulesFile.compile(rules, to: object)
            let endpoints = try lab.preparedEndpoints()
            let catalogue = malformedPacketCatalogue()
            let frames = catalogue.map { endpoints.addressedToReceiver($0.frame) }
            // XDP runs before the stack takes a VLAN tag off, which drops a
            // tagged frame without the tag and the next ethertype whole
            // (under 20 bytes: skb_vlan_untag) before any packet tap
            // (tcpdump, the socket, TC) sees it: XDP alone counts those, as
            // malformed. (Frames shorter than an Ethernet header the veth
            // drops first.)
            let beforeTheTaps = frames.filter { frame in
                frame.count >= 14 && frame.count < 20
                    && [0x8100, 0x88A8].contains(Int(frame[12]) << 8 | Int(frame[13]))
            }
            let onlyXDP =
                attach == .xdp
                ? Tally(packets: UInt64(beforeTheTaps.count), bytes: UInt64(beforeTheTaps.reduce(0) { $0 + $1.count }))
                : Tally(packets: 0, bytes: 0)

            let capture = try PacketCapture.start(in: lab, file: directory.file("hostile.pcap"))
            let vtap = try VtapRun.start(in: lab, object: object, options: attach.options)
            let sent = try lab.sendWithTrafgen(frames, gap: .milliseconds(2))
            #expect(sent.succeeded, "\(sent.summary)")
            capture.waitUntilQuiet()
            Thread.sleep(forTimeInterval: 0.5)
            let live = try vtap.stop().summary()
            try capture.stop()
            let captured = capture.recordCount
            // The veth drops frames too short for an Ethernet header; the rest arrive.
            #expect(captured >= frames.filter { $0.count >= 14 }.count * 9 / 10, "\(captured) of \(frames.count)")

            let replay = try CommandRunner.run(
                [BuiltProducts.vtap, "replay", object.path, capture.file.path, "--json"], timeout: .seconds(60))
            #expect(replay.status == 0, "\(replay.summary)")
            let replayed = try VtapOutput(parsing: replay.standardOutput).summary()

            #expect(
                live.malformed.packets == replayed.malformed.packets + onlyXDP.packets
                    && live.malformed.bytes == replayed.malformed.bytes + onlyXDP.bytes,
                "malformed: live \(live.malformed), replay \(replayed.malformed), before the taps \(onlyXDP)")
            #expect(
                live.unmatched == replayed.unmatched, "unmatched: live \(live.unmatched), replay \(replayed.unmatched)")
            for name in ProtocolName.all {
                let (a, b) = (live.protocolClass(name), replayed.protocolClass(name))
                #expect(a.packets == b.packets && a.bytes == b.bytes, "\(name): live \(a.packets), replay \(b.packets)")
            }
            for (a, b) in zip(live.rules, replayed.rules) {
                #expect(
                    a.metrics.packets == b.metrics.packets && a.metrics.bytes == b.metrics.bytes,
                    "rule \(a.name ?? "?"): live \(a.metrics.packets), replay \(b.metrics.packets)")
            }
            let total =
                live.malformed.packets + live.unmatched.packets + live.rules.reduce(0) { $0 + $1.metrics.packets }
            #expect(
                total == UInt64(captured) + onlyXDP.packets,
                "every captured frame counted once: \(total) of \(captured) + \(onlyXDP.packets)")
            #expect(live.malformed.packets > 50, "the catalogue's malformed frames arrive as malformed")
        }
    }
}

extension EndToEnd.HostileFrames {
    /// More flows than the flow table holds (FLOW_TABLE_SIZE 8, 64 flows
    /// sent round-robin, so every packet finds its flow evicted): the
    /// totals stay exact, an evicted flow starts afresh rather than
    /// counting the others' packets as its losses, and the evictions are
    /// counted — in the report, on stderr and in Prometheus, scraped while
    /// the table overflows — for the sequence table and the per-flow view.
    @Test(.kernel) func aFullFlowTableKeepsTheTotalsExact() throws {
        let lab = try NetworkLab()
        defer { lab.shutdown() }
        let directory = try TemporaryDirectory(prefix: "vtap-e2e-flows")
        let endpoints = try lab.preparedEndpoints()
        let rules = try RulesFile.write(
            [.init("flows", "\(endpoints.senderAddress) \(endpoints.receiverAddress) - - UDP")],
            settings: Array(RulesFile.seedSequence) + [("FLOW_TABLE_SIZE", "8")], to: directory)
        let frames = (0..<4).flatMap { round in
            (0..<64).map { flow in
                endpoints.ipv4.udp(from: UInt16(10_000 + flow), to: 9)
                    .payload(seqPayload(sequence: UInt32(round), totalLength: 32)).bytes
            }
        }
        let capture = try PacketCapture.start(in: lab, file: directory.file("flows.pcap"))
        let metricsPort = Int.random(in: 20_000...60_000)
        let vtap = try VtapRun.start(
            in: lab, object: rules, options: ["--flows", "100", "--server-port", "\(metricsPort)"])
        let sent = try lab.sendWithTrafgen(frames, gap: .milliseconds(1))
        #expect(sent.succeeded, "\(sent.summary)")
        #expect(capture.waitForRecords(frames.count))
        Thread.sleep(forTimeInterval: 0.3)
        let scraped = try lab.run(in: .receiver, ["curl", "-sS", "http://127.0.0.1:\(metricsPort)/metrics"])
        let outcome = vtap.stop()
        let summary = try outcome.output().summary()
        try capture.stop()
        let rule = try #require(summary.rules.first).metrics
        #expect(rule.packets == UInt64(frames.count) && rule.bytes == UInt64(frames.reduce(0) { $0 + $1.count }))
        #expect(rule.seqTotal == 0 && rule.seqLost == 0, "evicted flows start afresh: \(rule)")

        // Every packet found its flow gone, in both tables: each started one.
        let table = summary.flowTable
        #expect(table.started == UInt64(frames.count) && table.viewStarted == UInt64(frames.count), "\(table)")
        #expect((1...8).contains(table.held) && (1...8).contains(table.viewHeld), "\(table)")
        #expect(table.evicted == table.started - UInt64(table.held), "\(table)")
        #expect(table.viewEvicted == table.viewStarted - UInt64(table.viewHeld), "\(table)")
        #expect(summary.flows?.count == table.viewHeld, "the view reports what its table holds")
        let stderr = outcome.result.standardError
        #expect(stderr.contains("warning: \(table.evicted) flows' sequence state evicted"), "\(stderr)")
        #expect(stderr.contains("warning: \(table.viewEvicted) flows evicted from the per-flow view"), "\(stderr)")
        let interface = lab.interface(.receiver)
        for (name, evicted) in [("sequence", table.evicted), ("view", table.viewEvicted)] {
            let series = "vtap_flows_evicted_total{interface=\"\(interface)\",table=\"\(name)\"} \(evicted)"
            #expect(scraped.standardOutput.contains(series), "\(series) in \(scraped.summary)")
        }
    }
}
