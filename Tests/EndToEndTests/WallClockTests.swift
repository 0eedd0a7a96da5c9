import Foundation
import Testing
import VtapTestSupport

extension EndToEnd {
    /// The wall clock stepped an hour back or forward while `vtap run`
    /// measures (an NTP correction, an operator's `date -s`): intervals,
    /// the run's duration, report times and jitter all follow the
    /// monotonic clock, so none of them moves. Only vtap's own clock is
    /// stepped (WallClockStep). The forward step caught the interval wait:
    /// a DispatchSemaphore's, whose deadline libdispatch gives the kernel
    /// on the wall clock, so the run hung for the hour (see MonotonicLatch).
    @Suite struct WallClock {
        @Test(.kernel, arguments: [-3_600_000, 3_600_000])
        func aStepMovesNoIntervalTimeOrJitter(byMilliseconds: Int) throws {
            let directory = try TemporaryDirectory(prefix: "vtap-e2e-clock")
            let step = try WallClockStep.build(in: directory, afterMilliseconds: 1000, byMilliseconds: byMilliseconds)
            // The library does step a process's clock: `date` reads an hour off.
            let stepNow = WallClockStep(library: step.library, afterMilliseconds: 0, byMilliseconds: byMilliseconds)
            let date = try CommandRunner.check(stepNow.wrapping(["date", "+%s"]))
            let stepped = try #require(Double(date.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines)))
            let expected = Date().timeIntervalSince1970 + Double(byMilliseconds) / 1000
            #expect(abs(expected - stepped) < 5, "\(date.summary)")

            let lab = try NetworkLab()
            defer { lab.shutdown() }
            let endpoints = try lab.preparedEndpoints()
            let rules = try RulesFile.write(
                [.init("flow", "\(endpoints.senderAddress) \(endpoints.receiverAddress) - 9 UDP")], to: directory)
            let began = ContinuousClock.now
            let metricsPort = Int.random(in: 20_000...60_000)
            let run = try VtapRun.start(
                in: lab, object: rules, options: ["-t", "0.2", "--duration", "3", "--server-port", "\(metricsPort)"],
                loader: step.wrapping([BuiltProducts.vtap]))
            // Read with cat: Foundation reads a /proc file only as far as its first buffer.
            let maps = try CommandRunner.check(["cat", "/proc/\(run.processIdentifier)/maps"]).standardOutput
            #expect(maps.contains(step.library.lastPathComponent), "the library is loaded into vtap")
            // 150 datagrams 10 ms apart, across the step at 1 s.
            let frames = [endpoints.ipv4.udp(from: 4500, to: 9).payload(Array("vtap".utf8)).bytes]
            try lab.sendWithTrafgen(frames, count: 150, gap: .milliseconds(10))
            // Past the step: Prometheus is served all the same.
            let scraped = try lab.run(in: .receiver, ["curl", "-sS", "http://127.0.0.1:\(metricsPort)/metrics"])
            #expect(
                scraped.succeeded && scraped.standardOutput.contains(#"vtap_packets_total{interface=""#),
                "\(scraped.summary)")
            let outcome = run.waitForExit(timeout: .seconds(30))
            let elapsed = ContinuousClock.now - began
            #expect(outcome.endedCleanly, "\(outcome.result.summary)")
            #expect(elapsed < .seconds(10), "--duration 3 ended after \(elapsed)")

            let reports = try outcome.output().reports
            let intervals = reports.filter { !$0.isSummary }
            #expect((15...16).contains(intervals.count), "\(intervals.count) intervals in 3 s of 0.2 s")
            // Report times: the start's wall clock plus monotonic time, never an hour back.
            let first = try #require(intervals.first)
            #expect(abs(first.time.timeIntervalSinceNow) < 60, "\(first.timeText)")
            for (earlier, later) in zip(intervals, intervals.dropFirst()) {
                let gap = later.time.timeIntervalSince(earlier.time)
                #expect(gap > 0.1 && gap < 0.3, "\(earlier.timeText) then \(later.timeText)")
            }
            let summary = try outcome.output().summary()
            let flow = try #require(summary.rule(named: "flow"))
            #expect(flow.packets == 150)
            let jitter = try #require(flow.jitterMeanMs)
            #expect(jitter > 9 && jitter < 11, "mean inter-arrival \(jitter) ms for a 10 ms gap")
        }
    }
}
