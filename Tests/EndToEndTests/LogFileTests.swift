import Foundation
import Testing
import VtapTestSupport

extension EndToEnd {
    /// `--log-dir`: one file per run, `monitor_<pid>_<date>_<HH-MM>.log`,
    /// a header line with units, then one line per interval — complete
    /// even when vtap is stopped by SIGTERM.
    @Suite struct LogFiles {
        @Test(.kernel, .tags(.slow), arguments: ["csv", "seed"])
        func oneLinePerIntervalAfterSIGTERM(format: String) throws {
            let lab = try NetworkLab()
            defer { lab.shutdown() }
            let endpoints = try lab.preparedEndpoints()
            let directory = try TemporaryDirectory(prefix: "vtap-e2e-log")
            let logs = directory.file("logs")
            try FileManager.default.createDirectory(at: logs, withIntermediateDirectories: true)
            let rules = try RulesFile.write(
                [.init("flow", "\(endpoints.senderAddress) \(endpoints.receiverAddress) - - UDP")],
                settings: RulesFile.seedSequence, to: directory)
            let started = Date()
            let frames = (0..<25).map {
                endpoints.ipv4.udp(from: 4500, to: 9).payload(seqPayload(sequence: UInt32($0), totalLength: 32)).bytes
            }
            var pid: Int32 = 0
            let capture = try PacketCapture.start(in: lab, file: directory.file("received.pcap"))
            let run = try VtapRun.start(
                in: lab, object: rules, options: ["-t", "1", "--log-dir", logs.path, "--log-format", format])
            pid = run.processIdentifier
            try lab.sendWithTrafgen(frames, gap: .milliseconds(100))
            #expect(capture.waitForRecords(frames.count))
            let outcome = run.stop(.terminate)
            try capture.stop()
            let output = try outcome.output()

            let files = try FileManager.default.contentsOfDirectory(atPath: logs.path)
            try #require(files.count == 1, "one log file: \(files)")
            let name = files[0]
            let formatter = DateFormatter()
            formatter.locale = Locale(identifier: "en_US_POSIX")
            formatter.dateFormat = "yyyy-MM-dd_HH-mm"
            let minutes = [started.addingTimeInterval(-60), started, started.addingTimeInterval(60)]
                .map { "monitor_\(pid)_\(formatter.string(from: $0)).log" }
            #expect(minutes.contains(name), "\(name): expected one of \(minutes) (pid \(pid), local start time)")

            let text = try String(contentsOf: logs.appendingPathComponent(name), encoding: .utf8)
            #expect(text.hasSuffix("\n"), "the last line is complete")
            let lines = text.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init)
            let header = try #require(lines.first)
            #expect(header.contains("B_per_s") || header.contains("B/s"), "throughput unit in the header: \(header)")
            #expect(header.contains("ms"), "jitter unit in the header: \(header)")
            let body = Array(lines.dropFirst())
            #expect(
                body.count == output.intervals.count,
                "\(body.count) log lines for \(output.intervals.count) JSON intervals:\n\(text)")
            #expect(body.allSatisfy { !$0.isEmpty })
            if format == "csv" {
                let columns = header.split(separator: ",", omittingEmptySubsequences: false).count
                for line in body {
                    #expect(line.split(separator: ",", omittingEmptySubsequences: false).count == columns, "\(line)")
                }
                // Each line carries its interval's time, as the JSON line does.
                for (line, report) in zip(body, output.intervals) {
                    #expect(line.hasPrefix(report.timeText), "\(line) vs \(report.timeText)")
                }
            }
        }

        @Test(.kernel) func anUnwritableLogDirectoryIsAnErrorAtStart() throws {
            let lab = try NetworkLab()
            defer { lab.shutdown() }
            let directory = try TemporaryDirectory(prefix: "vtap-e2e-log")
            let rules = try BadInput.seedRules(lab, in: directory)
            let regularFile = directory.file("not-a-directory")
            try "x".write(to: regularFile, atomically: true, encoding: .utf8)
            let result = try BadInput.vtapRun(
                lab,
                [
                    rules.path, "-i", lab.receiverInterface, "--json", "--log-dir",
                    regularFile.appendingPathComponent("logs").path,
                ])
            BadInput.expectOneLineError(result, status: 4, mentioning: "not-a-directory")
        }
    }
}
