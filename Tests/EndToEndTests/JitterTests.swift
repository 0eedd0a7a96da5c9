import Foundation
import Testing
import VtapTestSupport

extension EndToEnd {
    /// Jitter (mean and population stddev of inter-arrival gaps) against
    /// the same statistics of tcpdump's timestamps of the same packets:
    /// within 2% or 20 µs, whichever is larger.
    @Suite struct Jitter {
        struct FixedGap: Sendable, CustomTestStringConvertible {
            var milliseconds: Int
            var packets: Int
            /// End by --duration with -t and -j equal to it (else SIGINT and the summary).
            var byDuration: Bool
            var testDescription: String { "\(milliseconds) ms gap\(byDuration ? ", --duration" : "")" }
        }

        /// The seed's gaps (its jitter test ran trafgen -t 10/20/50/100 ms).
        /// tcpdump stamps a veth packet when it is queued to the receiver,
        /// vtap when its filter runs: enough gaps keep one late softirq from
        /// moving the stddev by 20 µs.
        static let fixedGaps = [
            FixedGap(milliseconds: 10, packets: 100, byDuration: false),
            FixedGap(milliseconds: 20, packets: 60, byDuration: true),
            FixedGap(milliseconds: 50, packets: 40, byDuration: false),
            FixedGap(milliseconds: 100, packets: 25, byDuration: true),
        ]

        @Test(.kernel, .tags(.slow), arguments: fixedGaps)
        func fixedGapsAgreeWithTheCapture(gap: FixedGap) throws {
            let lab = try NetworkLab()
            defer { lab.shutdown() }
            let endpoints = try lab.preparedEndpoints()
            let directory = try TemporaryDirectory(prefix: "vtap-e2e-jitter")
            let rules = try RulesFile.write(
                [.init("flow", "\(endpoints.senderAddress) \(endpoints.receiverAddress) 4500 9 UDP")],
                settings: RulesFile.seedSequence, to: directory)
            let frames = (0..<gap.packets).map {
                endpoints.ipv4.udp(from: 4500, to: 9).payload(seqPayload(sequence: UInt32($0), totalLength: 64)).bytes
            }
            // Enough for the traffic and the start-up of trafgen, with room to spare.
            let seconds = Int((Double(gap.milliseconds * gap.packets) / 1000 + 2.5).rounded(.up))
            let options =
                gap.byDuration ? ["--duration", "\(seconds)", "-t", "\(seconds)", "-j", "\(seconds)"] : ["-j", "60"]
            let recording = try Recording.make(
                in: lab, rules: rules, directory: directory, vtapOptions: options,
                ending: gap.byDuration ? .duration(timeout: .seconds(Int64(seconds) + 30)) : .signal(.interrupt)
            ) {
                try lab.sendWithTrafgen(frames, gap: .milliseconds(Int64(gap.milliseconds)))
                return frames.count
            }
            let captured = try recording.frames()
            try #require(captured.count == gap.packets)
            let expected = try #require(InterArrival(timesNanoseconds: captured.map(\.timeNanoseconds)))
            // The configured gap is what trafgen aims at; the capture is the truth.
            #expect(
                abs(expected.meanMilliseconds - Double(gap.milliseconds)) < 0.2 * Double(gap.milliseconds),
                "trafgen paced \(expected)")

            var reports = [("summary", recording.summary)]
            if gap.byDuration {
                let first = try #require(recording.output.intervals.first)
                #expect(first.udp.packets == UInt64(gap.packets), "one interval covers the run: \(first.udp.totals)")
                reports.append(("interval 1", first))
            }
            for (name, report) in reports {
                for (scope, measured) in [("udp", report.udp), ("rule", report.rules[0].metrics)] {
                    #expect(
                        Agreement.jitterAgrees(measured.jitterMeanMs, expected.meanMilliseconds),
                        "\(name) \(scope) mean \(String(describing: measured.jitterMeanMs)) ms; tcpdump \(expected)")
                    #expect(
                        Agreement.jitterAgrees(measured.jitterStddevMs, expected.stddevMilliseconds),
                        "\(name) \(scope) stddev \(String(describing: measured.jitterStddevMs)) ms; tcpdump \(expected)"
                    )
                }
            }
        }

        @Test(.kernel, .tags(.slow), arguments: AttachMode.allCases)
        func irregularGapsPerRuleAndProtocol(attach: AttachMode) throws {
            let lab = try NetworkLab()
            defer { lab.shutdown() }
            let (scenario, recording) = try IrregularJitterScenario.record(in: lab, options: attach.options)
            let summary = recording.summary
            let capture = try scenario.captureStatistics(recording)
            for (scope, measured, expected) in [
                ("rule a", summary.rules[0].metrics, capture.a), ("rule b", summary.rules[1].metrics, capture.b),
                ("udp", summary.udp, capture.all),
            ] {
                #expect(
                    Agreement.jitterAgrees(measured.jitterMeanMs, expected.meanMilliseconds),
                    "\(scope) mean \(String(describing: measured.jitterMeanMs)) ms; tcpdump \(expected)")
                #expect(
                    Agreement.jitterAgrees(measured.jitterStddevMs, expected.stddevMilliseconds),
                    "\(scope) stddev \(String(describing: measured.jitterStddevMs)) ms; tcpdump \(expected)")
            }
        }

        @Test(.kernel) func noSamplesMeansNull() throws {
            let lab = try NetworkLab()
            defer { lab.shutdown() }
            let endpoints = try lab.preparedEndpoints()
            let directory = try TemporaryDirectory(prefix: "vtap-e2e-jitter-null")
            let rules = try RulesFile.write(
                [
                    .init("one", "\(endpoints.senderAddress) \(endpoints.receiverAddress) 4500 9 UDP"),
                    .init("none", "\(endpoints.senderAddress) \(endpoints.receiverAddress) - - TCP"),
                ], to: directory)
            let frame = endpoints.ipv4.udp(from: 4500, to: 9).payload([1, 2, 3, 4]).bytes
            let recording = try Recording.make(in: lab, rules: rules, directory: directory) {
                try lab.sendWithTrafgen([frame])
                return 1
            }
            // One packet gives no gap; no packet gives none either.
            for measured in [
                recording.summary.rules[0].metrics, recording.summary.rules[1].metrics, recording.summary.tcp,
            ] {
                #expect(measured.jitterMeanMs == nil && measured.jitterStddevMs == nil, "\(measured)")
            }
            #expect(recording.summary.rules[0].metrics.packets == 1)
        }
    }
}

/// Two UDP flows, each its own rule, interleaved at irregular gaps (1–60
/// ms, a fixed pseudo-random series) with one 2.4 s pause, which restarts
/// the series and must not count as a sample.
struct IrregularJitterScenario {
    let endpoints: LabEndpoints
    let frames: [[UInt8]]
    let offsets: [UInt64]

    var rules: [RulesFile.Rule] {
        let s = endpoints.senderAddress
        let r = endpoints.receiverAddress
        return [.init("a", "\(s) \(r) 5001 9 UDP"), .init("b", "\(s) \(r) 5002 9 UDP")]
    }

    init(_ endpoints: LabEndpoints) {
        self.endpoints = endpoints
        var random = SplitMix64(seed: 2021)
        var frames: [[UInt8]] = []
        var gaps: [UInt64] = []
        var numbers = [UInt16(5001): UInt32(0), 5002: 0]
        for index in 0..<70 {
            let port: UInt16 = Bool.random(using: &random) ? 5001 : 5002
            numbers[port]! += 1
            frames.append(
                endpoints.ipv4.udp(from: port, to: 9).payload(seqPayload(sequence: numbers[port]!, totalLength: 100))
                    .bytes)
            if index > 0 {
                gaps.append(index == 40 ? 2_400_000_000 : UInt64.random(in: 1_000_000...60_000_000, using: &random))
            }
        }
        self.frames = frames
        offsets = cumulativeOffsets(gaps: gaps)
    }

    /// Inter-arrival statistics of each rule's packets and of all of them,
    /// from the capture.
    func captureStatistics(_ recording: Recording) throws -> (a: InterArrival, b: InterArrival, all: InterArrival) {
        let a = try recording.frames("udp.srcport == 5001").map(\.timeNanoseconds)
        let b = try recording.frames("udp.srcport == 5002").map(\.timeNanoseconds)
        let all = try recording.frames("udp").map(\.timeNanoseconds)
        guard all.count == frames.count, let ja = InterArrival(timesNanoseconds: a),
            let jb = InterArrival(timesNanoseconds: b), let jall = InterArrival(timesNanoseconds: all)
        else { throw ReportError("capture holds \(all.count) of \(frames.count) frames") }
        if let problem = pacingProblem(all) { throw ReportError(problem) }
        return (ja, jb, jall)
    }

    /// The oracle's premise: the traffic went out at the designed pace
    /// (each gap within 20 ms, the pause over 2 s), not in bursts; nil when
    /// it did.
    func pacingProblem(_ times: [Int64]) -> String? {
        let captured = zip(times, times.dropFirst()).map { $1 - $0 }
        let designed = zip(offsets, offsets.dropFirst()).map { Int64($1 - $0) }
        let worst = zip(captured, designed).map { abs($0 - $1) }.max() ?? 0
        if times.count == frames.count, worst < 20_000_000,
            captured.filter({ $0 > InterArrival.restartGapNanoseconds }).count == 1
        {
            return nil
        }
        return "trafgen did not keep the designed gaps (worst off by \(worst) ns): \(captured)"
    }

    /// Sends the scenario with vtap and tcpdump watching. A machine busy
    /// enough to hold trafgen back (other test suites compiling 100,000
    /// rules on the same two cores) voids the premise, not vtap's
    /// figures: then the traffic is sent again, at most three times.
    static func record(in lab: NetworkLab, options: [String] = []) throws -> (IrregularJitterScenario, Recording) {
        let scenario = IrregularJitterScenario(try lab.preparedEndpoints())
        var attempt = 1
        while true {
            let directory = try TemporaryDirectory(prefix: "vtap-e2e-irregular")
            let rules = try RulesFile.write(scenario.rules, settings: RulesFile.seedSequence, to: directory)
            let recording = try Recording.make(
                in: lab, rules: rules, directory: directory, vtapOptions: ["-j", "60"] + options
            ) {
                try lab.sendTimed(scenario.frames, offsetsNanoseconds: scenario.offsets)
                return scenario.frames.count
            }
            let times = try recording.frames("udp").map(\.timeNanoseconds)
            guard let problem = scenario.pacingProblem(times), attempt < 3 else { return (scenario, recording) }
            print("irregular jitter scenario, attempt \(attempt): \(problem.prefix(120)); sending again")
            attempt += 1
        }
    }
}
