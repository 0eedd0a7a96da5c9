import Testing
import VtapMetrics
import VtapRuleModel

@testable import VtapRuntime

@Suite struct IntervalWindowsTests {
    @Test func reportsAndJitterWindowsInTimeOrder() {
        var windows = IntervalWindows(start: 1_000, reportSeconds: 1e-6, jitterSeconds: 2e-6)
        #expect(windows.advance(to: 1_999) == [])
        #expect(windows.advance(to: 2_000) == [.report(at: 2_000)])
        // Both end at 3,000: the jitter window first, so the report sees it.
        #expect(windows.advance(to: 3_500) == [.jitter(at: 3_000), .report(at: 3_000)])
        #expect(windows.nextBoundary == 4_000)
        // A long gap passes every boundary in it.
        #expect(windows.advance(to: 6_000).map(\.time) == [4_000, 5_000, 5_000, 6_000])
    }
}

@Suite struct MeasurementTimelineTests {
    static func snapshot(packets: UInt64, jitterSamples: UInt64 = 0, jitterSum: UInt64 = 0) -> CounterSnapshot {
        var counters = Counters()
        counters.packets = packets
        counters.bytes = packets * 100
        counters.jitterSamples = jitterSamples
        counters.jitterSumNanoseconds = jitterSum
        return CounterSnapshot(
            rules: [counters], protocols: [counters, Counters(), Counters(), Counters()],
            totals: Array(repeating: Tally(), count: ObjectContract.totals.count))
    }

    @Test func intervalsSeeTheTotalsAtTheirEdges() {
        var timeline = MeasurementTimeline(
            ruleCount: 1, start: 0, reportSeconds: 1, jitterSeconds: 1, origin: ReportTime(nanosecondsSinceEpoch: 0))
        timeline.record([("eth0", Self.snapshot(packets: 10))], at: 1_000_000_000)
        let first = timeline.intervalsEnded(by: 1_000_000_000)
        #expect(first.count == 1)
        #expect(first[0].from.rules[0].packets == 0)
        #expect(first[0].to.rules[0].packets == 10)
        #expect(first[0].seconds == 1)
        #expect(first[0].end.nanosecondsSinceEpoch == 1_000_000_000)
        // The jitter window that ended with it is the one it reports.
        #expect(first[0].jitterFrom.rules[0].packets == 0)
        #expect(first[0].jitterTo.rules[0].packets == 10)

        timeline.record([("eth0", Self.snapshot(packets: 25))], at: 1_500_000_000)
        let end = timeline.finish(at: 1_500_000_000)
        let partial = try! #require(end.partial)
        #expect(partial.from.rules[0].packets == 10)
        #expect(partial.to.rules[0].packets == 25)
        #expect(partial.seconds == 0.5)
        #expect(end.summary.isSummary)
        #expect(end.summary.from.rules[0].packets == 0)
        #expect(end.summary.to.rules[0].packets == 25)
        #expect(end.summary.seconds == 1.5)
    }

    @Test func severalSourcesAddUp() {
        var timeline = MeasurementTimeline(
            ruleCount: 1, start: 0, reportSeconds: 1, jitterSeconds: 1, origin: ReportTime(nanosecondsSinceEpoch: 0))
        timeline.record([("a", Self.snapshot(packets: 3)), ("b", Self.snapshot(packets: 4))], at: 500)
        timeline.record([("a", Self.snapshot(packets: 5)), ("b", Self.snapshot(packets: 4))], at: 900)
        #expect(timeline.totals.rules[0].packets == 9)
    }

    /// Each interface keeps its own totals and its own last jitter window,
    /// for exports labelled by interface.
    @Test func eachSourceHasItsOwnTotalsAndJitterWindow() {
        var timeline = MeasurementTimeline(
            ruleCount: 1, start: 0, reportSeconds: 10, jitterSeconds: 1, origin: ReportTime(nanosecondsSinceEpoch: 0))
        #expect(timeline.sourceTotals("a").jitterTo.rules[0].jitterSamples == 0, "no window before the first ends")
        timeline.record(
            [
                ("a", Self.snapshot(packets: 3, jitterSamples: 2, jitterSum: 20)),
                ("b", Self.snapshot(packets: 7, jitterSamples: 6, jitterSum: 60)),
            ], at: 900_000_000)
        _ = timeline.intervalsEnded(by: 1_000_000_000)
        timeline.record(
            [
                ("a", Self.snapshot(packets: 10, jitterSamples: 9, jitterSum: 95)),
                ("b", Self.snapshot(packets: 7, jitterSamples: 6, jitterSum: 60)),
            ], at: 1_900_000_000)
        // Read between boundaries: totals are current, the window is the last one that ended.
        let a = timeline.sourceTotals("a")
        #expect(a.totals.rules[0].packets == 10)
        #expect(a.jitterFrom.rules[0].jitterSamples == 0 && a.jitterTo.rules[0].jitterSamples == 2)
        _ = timeline.intervalsEnded(by: 2_000_000_000)
        let a2 = timeline.sourceTotals("a")
        let b2 = timeline.sourceTotals("b")
        #expect(JitterStatistics(from: a2.jitterFrom.rules[0], to: a2.jitterTo.rules[0])?.meanNanoseconds == 75.0 / 7)
        #expect(JitterStatistics(from: b2.jitterFrom.rules[0], to: b2.jitterTo.rules[0]) == nil, "b had no gaps in it")
        #expect(b2.totals.rules[0].packets == 7)
        #expect(timeline.totals.rules[0].packets == 17)
    }
}
