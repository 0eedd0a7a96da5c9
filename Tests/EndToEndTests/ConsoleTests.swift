import Foundation
import Testing
import VtapTestSupport

extension EndToEnd {
    /// Without --json, tables go to stdout; stderr keeps only the attached line.
    @Suite struct Console {
        @Test(.kernel) func tablesOnStandardOutput() throws {
            let lab = try NetworkLab()
            defer { lab.shutdown() }
            let e = try lab.preparedEndpoints()
            let directory = try TemporaryDirectory(prefix: "vtap-e2e-console")
            let rules = try RulesFile.write(
                [.init("voice-flow", "\(e.senderAddress) \(e.receiverAddress) - - UDP")], to: directory)
            let frames = (0..<5).map { e.ipv4.udp(from: 4500, to: 9).payload([UInt8($0)]).bytes }
            let capture = try PacketCapture.start(in: lab, file: directory.file("received.pcap"))
            let run = try VtapRun.start(in: lab, object: rules, json: false)
            try lab.sendWithTrafgen(frames, gap: .milliseconds(1))
            #expect(capture.waitForRecords(frames.count))
            let outcome = run.stop()
            try capture.stop()
            #expect(outcome.endedCleanly, "\(outcome.result.summary)")
            let stdout = outcome.result.standardOutput
            #expect(!stdout.isEmpty && !stdout.hasPrefix("{"), "tables, not JSON: \(stdout.prefix(300))")
            #expect(stdout.contains("voice-flow"), "the rule's name is in the tables")
            let stderr = outcome.result.standardError.split(separator: "\n")
            #expect(stderr == [Substring(VtapRun.attachedMarker + lab.receiverInterface)], "\(stderr)")
        }
    }
}
