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

extension EndToEnd.LogFiles {
    /// The log's file system fills up mid-run (a tmpfs of 64 KiB) and is
    /// freed again: vtap warns once, goes on measuring and reporting every
    /// interval (and serving Prometheus), writes again once there is room,
    /// and says in the end how many lines were lost. The lines written before stay as they were,
    /// and every line in the file is whole.
    @Test(.kernel) func aFullDiskLosesLinesButNotTheRun() throws {
        let lab = try NetworkLab()
        defer { lab.shutdown() }
        let directory = try TemporaryDirectory(prefix: "vtap-e2e-full")
        let logs = directory.file("logs")
        try FileManager.default.createDirectory(at: logs, withIntermediateDirectories: true)
        try CommandRunner.check(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", logs.path])
        defer { _ = try? CommandRunner.run(["umount", "-l", logs.path]) }
        let rules = try RulesFile.write([.init("any", "- - - - -")], to: directory)
        let metricsPort = Int.random(in: 20_000...60_000)
        let run = try VtapRun.start(
            in: lab, object: rules, options: ["-t", "0.2", "--log-dir", logs.path, "--server-port", "\(metricsPort)"])
        Thread.sleep(forTimeInterval: 1.2)
        let name = try #require(try FileManager.default.contentsOfDirectory(atPath: logs.path).first)
        let log = logs.appendingPathComponent(name)
        let before = try String(contentsOf: log, encoding: .utf8)
        // Fill it: dd stops at ENOSPC.
        let filler = logs.appendingPathComponent("filler")
        let dd = try CommandRunner.run(["dd", "if=/dev/zero", "of=\(filler.path)", "bs=1k"])
        #expect(dd.standardError.contains("No space left"), "\(dd.summary)")
        Thread.sleep(forTimeInterval: 1.2)
        // Prometheus still gets its numbers while the log cannot be written.
        let scraped = try lab.run(in: .receiver, ["curl", "-sS", "http://127.0.0.1:\(metricsPort)/metrics"])
        #expect(
            scraped.succeeded && scraped.standardOutput.contains("vtap_unmatched_packets_total"), "\(scraped.summary)")
        try FileManager.default.removeItem(at: filler)
        Thread.sleep(forTimeInterval: 1.2)
        let outcome = run.stop()
        #expect(outcome.endedCleanly, "\(outcome.result.summary)")
        let stderr = outcome.result.standardError
        #expect(stderr.components(separatedBy: "measuring goes on").count == 2, "one warning: \(stderr)")
        #expect(stderr.contains("the log file takes lines again"), "\(stderr)")
        let lost = try #require(
            stderr.firstMatch(of: /(\d+) interval lines could not be written/).flatMap { Int($0.1) }, "\(stderr)")
        // (Fewer than the 1.2 s of 0.2 s intervals: the log's last page had room for a few.)
        #expect(lost >= 1, "\(lost)")

        let intervals = try outcome.output().reports.filter { !$0.isSummary }.count
        let text = try String(contentsOf: log, encoding: .utf8)
        #expect(text.hasPrefix(before), "the lines written before the disk filled are kept")
        #expect(text.hasSuffix("\n"))
        let lines = text.split(separator: "\n").dropFirst()
        #expect(lines.count == intervals - lost, "\(lines.count) lines, \(intervals) intervals, \(lost) lost")
        let columns = Set(lines.map { $0.split(separator: ",", omittingEmptySubsequences: false).count })
        #expect(columns.count == 1, "every line whole: \(columns)")
    }
    /// The log directory removed mid-run (a clean-up job): vtap warns once,
    /// makes the directory and the file again at the same path, header
    /// first, and goes on writing one line per interval; measuring, the
    /// console and Prometheus never stop. Only what the removal itself
    /// took is gone.
    @Test(.kernel) func aRemovedLogDirectoryIsMadeAgain() throws {
        let lab = try NetworkLab()
        defer { lab.shutdown() }
        let endpoints = try lab.preparedEndpoints()
        let directory = try TemporaryDirectory(prefix: "vtap-e2e-removed")
        let logs = directory.file("logs")
        try FileManager.default.createDirectory(at: logs, withIntermediateDirectories: true)
        let rules = try RulesFile.write(
            [.init("datagrams", "\(endpoints.senderAddress) \(endpoints.receiverAddress) - 9 UDP")], to: directory)
        let metricsPort = Int.random(in: 20_000...60_000)
        let run = try VtapRun.start(
            in: lab, object: rules, options: ["-t", "0.2", "--log-dir", logs.path, "--server-port", "\(metricsPort)"])
        Thread.sleep(forTimeInterval: 1.1)
        let name = try #require(try FileManager.default.contentsOfDirectory(atPath: logs.path).first)
        let log = logs.appendingPathComponent(name)
        let header = try #require(try String(contentsOf: log, encoding: .utf8).split(separator: "\n").first)
        let removed = ContinuousClock.now
        try FileManager.default.removeItem(at: logs)
        let sent = try lab.sendDatagrams(40, from: .sender, to: endpoints.receiverAddress)
        #expect(sent.succeeded, "\(sent.summary)")
        Thread.sleep(forTimeInterval: 0.5)
        let scraped = try lab.run(in: .receiver, ["curl", "-sS", "http://127.0.0.1:\(metricsPort)/metrics"])
        #expect(scraped.succeeded && scraped.standardOutput.contains(#"rule="datagrams""#), "\(scraped.summary)")
        Thread.sleep(forTimeInterval: 0.6)
        let outcome = run.stop()
        let since = ContinuousClock.now - removed
        #expect(outcome.endedCleanly, "\(outcome.result.summary)")
        let stderr = outcome.result.standardError
        #expect(stderr.components(separatedBy: "was removed; made again").count == 2, "one warning: \(stderr)")
        #expect(!stderr.contains("could not be written"), "no line lost after it was made again: \(stderr)")

        #expect(try outcome.output().summary().rule(named: "datagrams")?.packets == 40)
        let text = try String(contentsOf: log, encoding: .utf8)
        let lines = text.split(separator: "\n")
        #expect(lines.first == header, "header first")
        #expect(text.hasSuffix("\n"))
        // The intervals after the removal, one each 0.2 s until the stop
        // and its last partial one: the first of them made the file again.
        // Counted against the time that really passed (about 1.1 s: 4...8
        // lines), which a loaded machine stretches.
        let intervals = (since / .milliseconds(200))
        let expected = Int(intervals.rounded(.down)) - 1...Int(intervals.rounded(.up)) + 2
        #expect(
            expected.contains(lines.count - 1), "\(lines.count - 1) lines in the new file, \(since) after the removal")
        let columns = Set(lines.map { $0.split(separator: ",", omittingEmptySubsequences: false).count })
        #expect(columns.count == 1, "every line whole: \(columns)")
        let mode = try FileManager.default.attributesOfItem(atPath: logs.path)[.posixPermissions] as? Int
        #expect(mode == 0o755, "\(String(mode ?? 0, radix: 8))")
    }
}
