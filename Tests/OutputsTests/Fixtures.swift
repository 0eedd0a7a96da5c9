import VtapMetrics
import VtapRuleModel

/// Reports with known numbers.
enum Fixtures {
    static func rules(_ names: [String?]) -> [Manifest.RuleEntry] {
        names.enumerated().map { i, name in
            Manifest.RuleEntry(
                index: i, number: i + 1, name: name, label: name ?? String(i + 1), source: "10.0.0.\(i + 1) - - - UDP",
                line: i + 3, column: 9)
        }
    }

    /// Scope totals of `packets` packets of 125 bytes (100 of payload), one
    /// millisecond apart, with a few sequence errors.
    static func scope(packets: UInt64, sequence: Bool = true) -> ScopeTotals {
        var t = ScopeTotals()
        t.packets = packets
        t.bytes = packets * 125
        t.payloadBytes = packets * 100
        t.jitterSamples = packets
        t.jitterSumNanoseconds = UInt128(packets) * 1_000_000
        t.jitterSumSquaresNanoseconds2 = UInt128(packets) * 1_000_000 * 1_000_000
        if sequence, packets > 0 {
            t.sequenceCount = packets
            t.sequenceReverse = 1
            t.sequenceSmall = 2
            t.sequenceBig = 3
            t.sequenceLost = 7
            t.sequenceMissing = 4
            t.sequenceLast = UInt32(packets)
        }
        return t
    }

    /// `packets[i]` packets for rule i, UDP carrying all of them.
    static func totals(_ packets: [UInt64]) -> MeasurementTotals {
        var t = MeasurementTotals(ruleCount: packets.count)
        t.rules = packets.map { scope(packets: $0) }
        t.protocols[ProtocolClass.udp.rawValue] = scope(packets: packets.reduce(0, +))
        t.totals[TotalSlot.unmatched.rawValue] = Tally(packets: 11, bytes: 800)
        t.totals[TotalSlot.malformed.rawValue] = Tally(packets: 1, bytes: 24)
        return t
    }

    static let time = ReportTime(nanosecondsSinceEpoch: 1_625_056_496_789_000_000)

    static func context(
        names: [String?], display: Settings.Display = Settings.Display(), unit: ThroughputUnit = .bitsPerSecond,
        interfaces: [String] = ["eth0", "eth1"]
    ) -> ReportContext {
        ReportContext(time: time, interfaces: interfaces, throughputUnit: unit, rules: rules(names), display: display)
    }

    /// One second in which every rule with traffic got 1000 more packets.
    static func interval(
        names: [String?], packets: [UInt64], display: Settings.Display = Settings.Display(),
        unit: ThroughputUnit = .bitsPerSecond
    ) -> IntervalReport {
        let earlier = totals(packets.map { $0 >= 1000 ? $0 - 1000 : 0 })
        return ReportBuilder.interval(
            from: earlier, to: totals(packets), seconds: 1, context: context(names: names, display: display, unit: unit)
        )
    }
}
