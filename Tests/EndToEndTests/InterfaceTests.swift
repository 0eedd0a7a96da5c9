import Foundation
import Testing
import VtapTestSupport

extension EndToEnd {
    /// Which interfaces and which direction vtap measures.
    @Suite struct Interfaces {
        /// Without -i: every interface that is up (the namespace's lo and
        /// veth), not one that is down.
        @Test(.kernel) func withoutInterfacesEveryInterfaceThatIsUp() throws {
            let lab = try NetworkLab()
            defer { lab.shutdown() }
            let endpoints = try lab.preparedEndpoints()
            let receiver = lab.namespace(.receiver)
            // A second veth pair inside the receiver's namespace, left down.
            let down = (lab.name + "d", lab.name + "e")
            try CommandRunner.check([
                "ip", "-n", receiver, "link", "add", down.0, "type", "veth", "peer", "name", down.1,
            ])
            let directory = try TemporaryDirectory(prefix: "vtap-e2e-ifaces")
            let rules = try RulesFile.write(
                [.init("flow", "\(endpoints.senderAddress) \(endpoints.receiverAddress) - - UDP")], to: directory)
            let frames = (0..<5).map { endpoints.ipv4.udp(from: 4500, to: 9).payload([UInt8($0)]).bytes }
            let capture = try PacketCapture.start(in: lab, file: directory.file("received.pcap"))
            let run = try VtapRun.start(in: lab, object: rules, interfaces: [])
            let attached = run.attachedLine ?? ""
            try lab.sendWithTrafgen(frames, gap: .milliseconds(1))
            #expect(capture.waitForRecords(frames.count))
            let outcome = run.stop()
            try capture.stop()
            let summary = try outcome.summary()
            #expect(Set(summary.interfaces) == [lab.receiverInterface, "lo"], "\(summary.interfaces)")
            for name in [lab.receiverInterface, "lo"] {
                #expect(attached.contains(name), "\(attached)")
            }
            #expect(!attached.contains(down.0) && !attached.contains(down.1), "\(attached)")
            #expect(summary.rules[0].metrics.packets == UInt64(frames.count))
        }

        /// DIRECTION "out" counts what the receiver sends (its echo replies),
        /// "both" adds what it receives; checked against tcpdump -Q out/inout.
        /// On TCX, a sent packet passes the egress program once and is not
        /// seen again at ingress, so "both" counts each packet once.
        @Test(.kernel, arguments: ["out", "both"], [AttachMode.socket, .tc])
        func directionFromTheRulesFile(direction: String, attach: AttachMode) throws {
            let lab = try NetworkLab()
            defer { lab.shutdown() }
            let endpoints = try lab.preparedEndpoints()
            let directory = try TemporaryDirectory(prefix: "vtap-e2e-direction")
            let rules = try RulesFile.write(
                [.init("icmp", "- - - - ICMP")], settings: ["DIRECTION": "\"\(direction)\""], to: directory)
            let requests = (0..<8).map {
                endpoints.ipv4.icmpEcho(identifier: 9, sequence: UInt16($0)).payload(
                    seqPayload(sequence: UInt32($0), totalLength: 56)
                )
                .bytes
            }
            let captureFile = directory.file("both.pcap")
            let capture = try PacketCapture.start(
                in: lab, direction: direction == "out" ? "out" : "inout", file: captureFile)
            let run = try VtapRun.start(in: lab, object: rules, options: attach.options)
            try lab.sendWithTrafgen(requests, gap: .milliseconds(2))
            // Requests in, replies out: the capture sees 8 or 16 frames.
            #expect(capture.waitForRecords(direction == "out" ? requests.count : 2 * requests.count))
            let outcome = run.stop()
            try capture.stop()
            let summary = try outcome.summary()
            let expected = try CaptureAnalysis.totals(in: captureFile, filter: "icmp")
            #expect(expected.packets == UInt64(direction == "out" ? 8 : 16), "oracle: \(expected)")
            #expect(
                summary.rules[0].metrics.totals == expected,
                "vtap \(summary.rules[0].metrics.totals); tcpdump \(expected)")
            #expect(summary.icmp.totals == expected)
        }
    }
}
