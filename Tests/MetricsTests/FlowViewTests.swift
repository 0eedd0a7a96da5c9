import Testing
import VtapMetrics
import VtapRuleModel

/// The per-flow view (`--flows`) between the maps and the report: flows
/// accumulated per source, restarted and evicted like the kernel's table,
/// and each rule's top flows by bytes.
@Suite struct FlowViewTests {
    static func key(_ rule: Int, _ port: UInt16) -> FlowKey {
        FlowKey(
            rule: rule, ipProtocol: 17, source: "10.0.0.1", destination: "10.0.0.2", sourcePort: port,
            destinationPort: 9)
    }

    static func counters(packets: UInt64, bytes: UInt64) -> Counters {
        var c = Counters()
        c[.packets] = packets
        c[.bytes] = bytes
        return c
    }

    static func snapshot(_ flows: [FlowKey: Counters], held: Int = 0, started: UInt64 = 0) -> CounterSnapshot {
        var totals = Array(repeating: Tally(), count: ObjectContract.totals.count)
        totals[TotalSlot.flowViewStarted.rawValue] = Tally(packets: started)
        var snapshot = CounterSnapshot(ruleClasses: [], protocols: [], totals: totals)
        snapshot.flows = flows
        snapshot.flowsHeld = held
        return snapshot
    }

    @Test func flowsAccumulateRestartAndLeaveWithTheKernel() {
        let a = Self.key(0, 4001)
        let b = Self.key(0, 4002)
        var accumulator = TotalsAccumulator(ruleCount: 1)
        accumulator.add(Self.snapshot([a: Self.counters(packets: 5, bytes: 500)], started: 1), from: "eth0")
        accumulator.add(
            Self.snapshot(
                [a: Self.counters(packets: 8, bytes: 800), b: Self.counters(packets: 2, bytes: 200)], started: 2),
            from: "eth0")
        #expect(accumulator.totals.flows[a]?.packets == 8 && accumulator.totals.flows[b]?.packets == 2)
        #expect(accumulator.totals.flowViewHeld == 2)
        // a evicted and seen again (the kernel restarted it at 1 packet), b evicted.
        accumulator.add(Self.snapshot([a: Self.counters(packets: 1, bytes: 100)], started: 4), from: "eth0")
        #expect(accumulator.totals.flows[a]?.packets == 9, "the new life added to the old")
        #expect(accumulator.totals.flows[a]?.bytes == 900)
        #expect(accumulator.totals.flows[b] == nil, "evicted in the kernel, gone here")
        #expect(accumulator.totals.flowTable.viewHeld == 1)
        #expect(accumulator.totals.flowTable.viewStarted == 4 && accumulator.totals.flowTable.viewEvicted == 3)
    }

    @Test func heldIsSummedOverSourcesAndEvictionsNeverGoBelowZero() {
        var accumulator = TotalsAccumulator(ruleCount: 1)
        accumulator.add(Self.snapshot([:], held: 3), from: "eth0")
        accumulator.add(Self.snapshot([:], held: 4), from: "eth1")
        accumulator.add(Self.snapshot([:], held: 2), from: "eth0")
        #expect(accumulator.totals.flowsHeld == 6)
        #expect(accumulator.totals(of: "eth0")?.flowsHeld == 2)
        // Held read a moment after an insert its count has not caught up with.
        #expect(FlowTableFill(held: 5, started: 4).evicted == 0)
        #expect(FlowTableFill(held: 5, started: 9).evicted == 4)
    }

    @Test func eachRuleShowsItsTopFlowsByBytesInAFixedOrder() {
        let rules = [
            Manifest.RuleEntry(index: 0, number: 1, name: "a", label: "a", source: "- - - - UDP", line: 1, column: 1),
            Manifest.RuleEntry(index: 1, number: 2, name: "b", label: "b", source: "- - - - TCP", line: 2, column: 1),
        ]
        var later = MeasurementTotals(ruleCount: 2)
        for (port, bytes) in [(4001, 300), (4002, 900), (4003, 300), (4004, 100)] as [(UInt16, UInt64)] {
            later.flows[Self.key(0, port), default: ScopeTotals()].bytes = bytes
        }
        later.flows[Self.key(1, 80), default: ScopeTotals()].bytes = 5
        var context = ReportContext(
            time: ReportTime(nanosecondsSinceEpoch: 0), interfaces: ["eth0"], throughputUnit: .bytesPerSecond,
            rules: rules, display: Settings.Display())
        context.flowLimit = 3
        let report = ReportBuilder.summary(totals: later, seconds: 1, context: context)
        #expect(report.flowLimit == 3)
        #expect(report.flows.map(\.rule) == ["a", "a", "a", "b"])
        // 900, then the two of 300 by port, 4004 left out.
        #expect(report.flows.map(\.key.sourcePort) == [4002, 4001, 4003, 80])
        #expect(report.flows[0].metrics.throughput == 900)

        context.flowLimit = 0
        #expect(ReportBuilder.summary(totals: later, seconds: 1, context: context).flows.isEmpty)
    }
}
