import Foundation
import Testing
import VtapTestSupport

extension EndToEnd {
    /// `vtap replay RULES CAPTURE --json` over the capture tcpdump took of a
    /// live run gives that run's summary: the same totals and sequence
    /// counters, and jitter within 2% or 20 µs, or what one frame seen late
    /// can move it in a scope of few frames (replay uses the capture's
    /// timestamps, live the kernel's clock when the filter ran; see
    /// `Agreement.jitterAgreesAcrossClocks`).
    @Suite struct ReplayEquivalence {
        @Test(.kernel) func totalsScenario() throws {
            let lab = try NetworkLab()
            defer { lab.shutdown() }
            let (_, recording) = try TotalsScenario.record(in: lab)
            try Self.expectReplayMatches(recording)
        }

        @Test(.kernel) func sequenceScenario() throws {
            let lab = try NetworkLab(mtu: SequenceScenario.mtu)
            defer { lab.shutdown() }
            let (_, recording) = try SequenceScenario.record(in: lab)
            try Self.expectReplayMatches(recording)
        }

        @Test(.kernel, .tags(.slow)) func irregularJitterScenario() throws {
            let lab = try NetworkLab()
            defer { lab.shutdown() }
            let (scenario, recording) = try IrregularJitterScenario.record(in: lab)
            let replayed = try Self.expectReplayMatches(recording, options: ["-j", "60"])
            // Replay reads the capture's own timestamps: it must agree with
            // the statistics of those timestamps as well.
            let capture = try scenario.captureStatistics(recording)
            for (scope, measured, expected) in [
                ("rule a", replayed.rules[0].metrics, capture.a), ("rule b", replayed.rules[1].metrics, capture.b),
                ("udp", replayed.udp, capture.all),
            ] {
                #expect(
                    Agreement.jitterAgrees(measured.jitterMeanMs, expected.meanMilliseconds),
                    "replay \(scope) mean \(String(describing: measured.jitterMeanMs)); capture \(expected)")
                #expect(
                    Agreement.jitterAgrees(measured.jitterStddevMs, expected.stddevMilliseconds),
                    "replay \(scope) stddev \(String(describing: measured.jitterStddevMs)); capture \(expected)")
            }
        }

        @Test(.kernel, .tags(.slow)) func tcpTransferScenario() throws {
            let lab = try NetworkLab()
            defer { lab.shutdown() }
            let (_, recording) = try TCPTransferScenario.record(in: lab)
            try Self.expectReplayMatches(recording)
        }

        /// The frame length BPF_PROG_TEST_RUN takes on x86-64 with 4 KiB pages.
        static let replayFrameLimit = 3712

        /// Replays the recording's capture through its rules and compares
        /// the summaries; returns the replay's.
        @discardableResult
        static func expectReplayMatches(
            _ recording: Recording, options: [String] = [], sourceLocation: SourceLocation = #_sourceLocation
        ) throws -> VtapReport {
            let live = recording.summary
            let replayed = try VtapReplay.summary(rules: recording.rules, capture: recording.capture, options: options)
            try #require(replayed.rules.count == live.rules.count, sourceLocation: sourceLocation)
            // BPF_PROG_TEST_RUN takes frames of at most one page less the
            // skb's overhead (README, "vtap replay"); replay reads no further
            // into longer ones, so numbers past that point are missing there.
            let lengths = try TShark.fields(of: recording.capture, ["frame.cap_len"], preferences: []).compactMap {
                $0.first.flatMap { Int($0) }
            }
            let beyondLimit = lengths.count { $0 > Self.replayFrameLimit }
            var scopes = zip(live.rules, replayed.rules).map { ("rule \($0.label)", $0.metrics, $1.metrics) }
            scopes += ProtocolName.all.map { ("protocol \($0)", live.protocolClass($0), replayed.protocolClass($0)) }
            for (scope, l, r) in scopes {
                #expect(
                    r.totals == l.totals, "\(scope): replay \(r.totals), live \(l.totals)",
                    sourceLocation: sourceLocation)
                if beyondLimit == 0 {
                    #expect(
                        r.sequence == l.sequence, "\(scope): replay \(r.sequence), live \(l.sequence)",
                        sourceLocation: sourceLocation)
                    #expect(r.seqLast == l.seqLast, "\(scope): seq_last", sourceLocation: sourceLocation)
                }
            }
            if beyondLimit > 0 {
                let missing = replayed.rules.reduce(0) { $0 + $1.metrics.sequence.missing }
                let liveMissing = live.rules.reduce(0) { $0 + $1.metrics.sequence.missing }
                #expect(
                    missing >= liveMissing && missing <= liveMissing + UInt64(beyondLimit),
                    "replay seq_missing \(missing), live \(liveMissing), frames past the limit \(beyondLimit)",
                    sourceLocation: sourceLocation)
            }
            for (scope, l, r) in scopes {
                for (what, lv, rv) in [
                    ("mean", l.jitterMeanMs, r.jitterMeanMs), ("stddev", l.jitterStddevMs, r.jitterStddevMs),
                ] {
                    if let lv {
                        #expect(
                            Agreement.jitterAgreesAcrossClocks(rv, lv, frames: l.packets),
                            "\(scope): jitter \(what) replay \(String(describing: rv)) ms, live \(lv) ms",
                            sourceLocation: sourceLocation)
                    } else {
                        #expect(
                            rv == nil, "\(scope): jitter \(what) replay \(String(describing: rv)), live null",
                            sourceLocation: sourceLocation)
                    }
                }
            }
            #expect(replayed.unmatched == live.unmatched, "unmatched", sourceLocation: sourceLocation)
            #expect(replayed.malformed == live.malformed, "malformed", sourceLocation: sourceLocation)
            return replayed
        }
    }
}
