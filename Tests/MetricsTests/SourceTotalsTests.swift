import Testing
import VtapMetrics
import VtapRuleModel

/// Per interface and per rule and class, the totals add up to the whole.
@Suite struct SourceTotalsTests {
    static func snapshot(tcp: UInt64, udp: UInt64) -> CounterSnapshot {
        var tcpCounters = Counters()
        tcpCounters.packets = tcp
        tcpCounters.bytes = tcp * 60
        var udpCounters = Counters()
        udpCounters.packets = udp
        udpCounters.bytes = udp * 100
        let classes = [tcpCounters, udpCounters, Counters(), Counters()]
        return CounterSnapshot(
            ruleClasses: classes, protocols: classes,
            totals: Array(repeating: Tally(), count: ObjectContract.totals.count))
    }

    @Test func perSourceAndPerClassTotalsAddUp() throws {
        var accumulator = TotalsAccumulator(ruleCount: 1)
        accumulator.add(Self.snapshot(tcp: 2, udp: 3), from: "eth0")
        accumulator.add(Self.snapshot(tcp: 10, udp: 0), from: "eth1")
        accumulator.add(Self.snapshot(tcp: 5, udp: 3), from: "eth0")

        let eth0 = try #require(accumulator.totals(of: "eth0"))
        let eth1 = try #require(accumulator.totals(of: "eth1"))
        #expect(eth0.rule(0, .tcp).packets == 5)
        #expect(eth0.rule(0, .udp).packets == 3)
        #expect(eth1.rule(0, .tcp).packets == 10)
        #expect(accumulator.totals.rule(0, .tcp).packets == 15)
        // A rule's classes add up to the rule.
        #expect(accumulator.totals.rules[0].packets == 18)
        #expect(accumulator.totals.rules[0].bytes == 15 * 60 + 3 * 100)
        #expect(accumulator.totals(of: "eth2") == nil)
    }
}
