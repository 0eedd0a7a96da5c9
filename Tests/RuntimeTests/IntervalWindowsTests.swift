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

    /// Live reads wake late: the interval ends where the counts were read,
    /// so its rates are over the time it covered, and the grid of
    /// boundaries does not drift.
    @Test func aLateLiveReadEndsTheIntervalWhereItRead() {
        var timeline = MeasurementTimeline(
            ruleCount: 1, start: 0, reportSeconds: 1, jitterSeconds: 1, origin: ReportTime(nanosecondsSinceEpoch: 7))
        timeline.record([("eth0", Self.snapshot(packets: 1030))], at: 1_030_000_000)
        let late = timeline.intervalsEnded(readAt: 1_030_000_000)
        #expect(late.count == 1)
        #expect(late[0].seconds == 1.03)
        #expect(late[0].to.rules[0].packets == 1030)
        #expect(late[0].end.nanosecondsSinceEpoch == 1_030_000_007)
        #expect(timeline.nextBoundary == 2_000_000_000, "the next boundary stays on the grid")

        timeline.record([("eth0", Self.snapshot(packets: 2001))], at: 2_001_000_000)
        let next = timeline.intervalsEnded(readAt: 2_001_000_000)
        #expect(next.count == 1)
        #expect(next[0].seconds == 0.971)
        #expect(next[0].from.rules[0].packets == 1030 && next[0].to.rules[0].packets == 2001)

        // Over two boundaries late: one read, one interval.
        timeline.record([("eth0", Self.snapshot(packets: 4500))], at: 4_500_000_000)
        let stalled = timeline.intervalsEnded(readAt: 4_500_000_000)
        #expect(stalled.count == 1)
        #expect(stalled[0].seconds == 2.499)
        #expect(stalled[0].to.rules[0].packets == 4500)
        #expect(timeline.nextBoundary == 5_000_000_000)

        // A read between boundaries ends nothing.
        timeline.record([("eth0", Self.snapshot(packets: 4600))], at: 4_600_000_000)
        #expect(timeline.intervalsEnded(readAt: 4_600_000_000).isEmpty)
        let end = timeline.finish(at: 4_700_000_000)
        #expect(end.summary.seconds == 4.7)
        #expect(abs((end.partial?.seconds ?? 0) - 0.2) < 1e-9)
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
