import Foundation
import Testing
import VtapMetrics
import VtapRuleModel
import VtapTestSupport

@Suite struct ReportBuilderTests {
    static let rules = [
        Manifest.RuleEntry(index: 0, number: 1, name: nil, label: "1", source: "1.1.1.1 - - - TCP", line: 3, column: 9),
        Manifest.RuleEntry(index: 1, number: 2, name: "dns", label: "dns", source: "- - - 53 UDP", line: 4, column: 9),
    ]

    static func context(bits: Bool = false) -> ReportContext {
        ReportContext(
            time: ReportTime(nanosecondsSinceEpoch: 1_625_056_496_789_000_000), interfaces: ["eth0"],
            throughputUnit: bits ? .bitsPerSecond : .bytesPerSecond, rules: rules,
            display: Settings.Display(jitter: false))
    }

    static func totals(scale: UInt64) -> MeasurementTotals {
        var t = MeasurementTotals(ruleCount: 2)
        t.rules[0].packets = 10 * scale
        t.rules[0].bytes = 1000 * scale
        t.rules[1].packets = 1 * scale
        t.rules[1].bytes = 80 * scale
        t.protocols[ProtocolClass.udp.rawValue].packets = 3 * scale
        t.protocols[ProtocolClass.udp.rawValue].jitterSamples = 2 * scale
        t.protocols[ProtocolClass.udp.rawValue].jitterSumNanoseconds = UInt128(2_000_000 * scale)
        t.protocols[ProtocolClass.udp.rawValue].jitterSumSquaresNanoseconds2 = UInt128(2_000_000_000_000 * scale)
        t.totals[TotalSlot.unmatched.rawValue] = Tally(packets: 4 * scale, bytes: 240 * scale)
        t.totals[TotalSlot.malformed.rawValue] = Tally(packets: scale, bytes: 20 * scale)
        return t
    }

    @Test func intervalCarriesRulesInOrderClassesAndTotals() {
        let report = ReportBuilder.interval(
            from: Self.totals(scale: 1), to: Self.totals(scale: 3), seconds: 2, context: Self.context(bits: true))
        #expect(!report.isSummary)
        #expect(report.time.rfc3339 == "2021-06-30T12:34:56.789Z")
        #expect(report.interfaces == ["eth0"])
        #expect(report.intervalSeconds == 2)
        #expect(report.throughputUnit == .bitsPerSecond)
        #expect(report.display == Settings.Display(jitter: false))
        #expect(report.rules.map(\.index) == [0, 1])
        #expect(report.rules.map(\.name) == [nil, "dns"])
        #expect(report.rules.map(\.label) == ["1", "dns"])
        #expect(report.rules.map(\.source) == ["1.1.1.1 - - - TCP", "- - - 53 UDP"])
        #expect(report.rules[0].metrics.packets == 30)
        #expect(report.rules[0].metrics.packetsPerSecond == 10)
        #expect(report.rules[0].metrics.throughput == 8000)
        #expect(report.protocols.count == 4)
        #expect(report.metrics(for: .udp).packets == 9)
        #expect(report.metrics(for: .udp).jitter?.meanMilliseconds == 1)
        #expect(report.metrics(for: .tcp).jitter == nil)
        #expect(report.unmatched == Tally(packets: 12, bytes: 720))
        #expect(report.malformed == Tally(packets: 3, bytes: 60))
    }

    @Test func summaryCoversTheWholeRunFromZero() {
        let report = ReportBuilder.summary(totals: Self.totals(scale: 3), seconds: 6, context: Self.context())
        #expect(report.isSummary)
        #expect(report.intervalSeconds == 6)
        #expect(report.rules[0].metrics.packetsPerSecond == 5)
        #expect(report.rules[1].metrics.throughput == 40)
        #expect(report.metrics(for: .udp).jitter?.samples == 6)
    }

    @Test func separateJitterWindow() {
        let report = ReportBuilder.interval(
            from: Self.totals(scale: 2), to: Self.totals(scale: 3), seconds: 1,
            jitterFrom: MeasurementTotals(ruleCount: 2), jitterTo: Self.totals(scale: 3), context: Self.context())
        #expect(report.metrics(for: .udp).packetsPerSecond == 3)
        #expect(report.metrics(for: .udp).jitter?.samples == 6)
    }

    @Test func contextFromAManifestsSettings() {
        let settings = Settings(display: Settings.Display(throughput: false))
        #expect(settings.display.throughput == false)
        let manifest = Manifest(rules: Self.rules, settings: settings)
        let context = ReportContext(
            time: ReportTime(nanosecondsSinceEpoch: 0), interfaces: [], bits: true, manifest: manifest)
        #expect(context.throughputUnit == .bitsPerSecond)
        #expect(context.rules == Self.rules)
        #expect(context.display == settings.display)
    }
}

@Suite struct ReportTimeTests {
    @Test func knownInstants() {
        func text(_ ns: Int64) -> String { ReportTime(nanosecondsSinceEpoch: ns).rfc3339 }
        #expect(text(0) == "1970-01-01T00:00:00.000Z")
        #expect(text(951_782_400_000_000_000) == "2000-02-29T00:00:00.000Z")
        #expect(text(1_999_999_999) == "1970-01-01T00:00:01.999Z", "milliseconds are truncated")
        #expect(text(-1) == "1969-12-31T23:59:59.999Z")
        #expect(text(4_102_444_799_000_000_000) == "2099-12-31T23:59:59.000Z")
    }

    /// Against Foundation's Gregorian calendar in UTC, for random instants.
    @Test func agreesWithFoundation() {
        var random = SplitMix64(seed: 77)
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        for _ in 0..<2000 {
            let seconds = Int64.random(in: -2_000_000_000...8_000_000_000, using: &random)
            let milliseconds = Int64.random(in: 0..<1000, using: &random)
            let c = calendar.dateComponents(
                [.year, .month, .day, .hour, .minute, .second], from: Date(timeIntervalSince1970: Double(seconds)))
            func two(_ v: Int?) -> String { String(format: "%02d", v!) }
            let expected =
                String(format: "%04d", c.year!) + "-\(two(c.month))-\(two(c.day))T\(two(c.hour)):"
                + "\(two(c.minute)):\(two(c.second)).\(String(format: "%03d", Int(milliseconds)))Z"
            let actual = ReportTime(nanosecondsSinceEpoch: seconds * 1_000_000_000 + milliseconds * 1_000_000).rfc3339
            #expect(actual == expected)
            if actual != expected { return }
        }
    }
}
