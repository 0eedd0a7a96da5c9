import Testing
import VtapMetrics
import VtapRuleModel
import VtapTestSupport

@Suite struct TotalsAccumulatorTests {
    static func snapshot(rules: [Counters], protocols: [Counters]? = nil, unmatched: UInt64 = 0) -> CounterSnapshot {
        var totals = Array(repeating: Tally(), count: ObjectContract.totals.count)
        totals[0] = Tally(packets: unmatched, bytes: unmatched * 60)
        return CounterSnapshot(
            rules: rules, protocols: protocols ?? Array(repeating: Counters(), count: 4), totals: totals)
    }

    static func counters(packets: UInt64, sumSquares: UInt64 = 0, last: UInt32? = nil, lastAt: UInt64 = 0) -> Counters {
        var c = Counters()
        c.packets = packets
        c.bytes = packets * 100
        c.payloadBytes = packets * 58
        c.jitterSamples = packets
        c.jitterSumNanoseconds = packets * 1000
        c.jitterSumSquaresNanoseconds2 = sumSquares
        c.sequenceCount = packets
        c.sequenceSmall = packets / 10
        c.sequenceLast = last
        c.sequenceLastNanoseconds = lastAt
        return c
    }

    @Test func firstSnapshotOfASourceCountsFromZero() {
        var accumulator = TotalsAccumulator(ruleCount: 1)
        #expect(accumulator.totals == MeasurementTotals(ruleCount: 1))
        accumulator.add(Self.snapshot(rules: [Self.counters(packets: 10)], unmatched: 3), from: "eth0")
        let totals = accumulator.totals
        #expect(totals.rules[0].packets == 10)
        #expect(totals.rules[0].bytes == 1000)
        #expect(totals.rules[0].payloadBytes == 580)
        #expect(totals.rules[0].jitterSumNanoseconds == 10_000)
        #expect(totals.rules[0].sequenceSmall == 1)
        #expect(totals.unmatched == Tally(packets: 3, bytes: 180))
        #expect(totals.malformed == Tally())
    }

    @Test func sourcesAreSummedAndEachDifferencedAgainstItself() {
        var accumulator = TotalsAccumulator(ruleCount: 2)
        accumulator.add(Self.snapshot(rules: [Self.counters(packets: 10), Self.counters(packets: 1)]), from: "eth0")
        accumulator.add(Self.snapshot(rules: [Self.counters(packets: 5), Self.counters(packets: 0)]), from: "eth1")
        accumulator.add(Self.snapshot(rules: [Self.counters(packets: 12), Self.counters(packets: 4)]), from: "eth0")
        accumulator.add(Self.snapshot(rules: [Self.counters(packets: 12), Self.counters(packets: 4)]), from: "eth0")
        accumulator.add(Self.snapshot(rules: [Self.counters(packets: 7), Self.counters(packets: 2)]), from: "eth1")
        // Latest of each source, summed: 12 + 7 and 4 + 2.
        #expect(accumulator.totals.rules.map(\.packets) == [19, 6])
        #expect(accumulator.totals.rules.map(\.bytes) == [1900, 600])
        #expect(Set(accumulator.sources) == ["eth0", "eth1"])
    }

    /// The map's sum of squares wraps modulo 2^64; the wide total does not.
    @Test func wrappedSumOfSquaresGivesTheExactWideDelta() {
        var accumulator = TotalsAccumulator(ruleCount: 1)
        accumulator.add(Self.snapshot(rules: [Self.counters(packets: 1, sumSquares: UInt64.max - 9)]), from: "eth0")
        accumulator.add(Self.snapshot(rules: [Self.counters(packets: 2, sumSquares: 5)]), from: "eth0")
        // 2^64 - 10, then +15.
        #expect(accumulator.totals.rules[0].jitterSumSquaresNanoseconds2 == (UInt128(1) << 64) + 5)
    }

    /// Random increments below 2^63 per read, random starting values, several
    /// sources: the wide totals equal the sum of the increments.
    @Test(arguments: 0..<20)
    func wideTotalsEqualTheSumOfIncrements(seed: Int) {
        var random = SplitMix64(seed: UInt64(seed) &* 0x9E37_79B9 &+ 11)
        let sources = ["eth0", "eth1", "lo"]
        var counters = sources.map { _ in UInt64.random(in: 0...UInt64.max, using: &random) }
        var accumulator = TotalsAccumulator(ruleCount: 1)
        var expected = UInt128(counters.reduce(UInt128(0)) { $0 + UInt128($1) })
        for (i, source) in sources.enumerated() {
            accumulator.add(Self.snapshot(rules: [Self.counters(packets: 0, sumSquares: counters[i])]), from: source)
        }
        for _ in 0..<200 {
            let i = Int.random(in: 0..<sources.count, using: &random)
            let increment = UInt64.random(in: 0..<(1 << 63), using: &random)
            counters[i] &+= increment
            expected += UInt128(increment)
            accumulator.add(
                Self.snapshot(rules: [Self.counters(packets: 0, sumSquares: counters[i])]), from: sources[i])
        }
        #expect(accumulator.totals.rules[0].jitterSumSquaresNanoseconds2 == expected)
        #expect(expected > UInt128(UInt64.max), "the test must cross 2^64")
    }

    @Test func lastSequenceNumberIsTheNewestOverAllSources() {
        var accumulator = TotalsAccumulator(ruleCount: 1)
        accumulator.add(Self.snapshot(rules: [Self.counters(packets: 1, last: 100, lastAt: 50)]), from: "eth0")
        #expect(accumulator.totals.rules[0].sequenceLast == 100)
        accumulator.add(Self.snapshot(rules: [Self.counters(packets: 1, last: 7, lastAt: 60)]), from: "eth1")
        #expect(accumulator.totals.rules[0].sequenceLast == 7)
        #expect(accumulator.totals.rules[0].sequenceLastNanoseconds == 60)
        // An older number read later does not win; a source without numbers changes nothing.
        accumulator.add(Self.snapshot(rules: [Self.counters(packets: 1, last: 101, lastAt: 55)]), from: "eth0")
        accumulator.add(Self.snapshot(rules: [Self.counters(packets: 3)]), from: "lo")
        #expect(accumulator.totals.rules[0].sequenceLast == 7)
        accumulator.add(Self.snapshot(rules: [Self.counters(packets: 2, last: 102, lastAt: 70)]), from: "eth0")
        #expect(accumulator.totals.rules[0].sequenceLast == 102)
        #expect(accumulator.totals.rules[0].sequenceLastNanoseconds == 70)
    }

    @Test func aForgottenSourceCountsFromZeroAgain() {
        var accumulator = TotalsAccumulator(ruleCount: 1)
        accumulator.add(Self.snapshot(rules: [Self.counters(packets: 10)]), from: "eth0")
        accumulator.forget(source: "eth0")
        // The program was reloaded: its maps restarted at zero.
        accumulator.add(Self.snapshot(rules: [Self.counters(packets: 3)]), from: "eth0")
        #expect(accumulator.totals.rules[0].packets == 13)
    }

    @Test func protocolsAndSlotsAccumulateAndShortSnapshotsCountAsZero() {
        var accumulator = TotalsAccumulator(ruleCount: 3)
        var udp = Self.counters(packets: 4)
        udp.sequenceReverse = 2
        accumulator.add(
            Self.snapshot(rules: [Self.counters(packets: 4)], protocols: [Counters(), udp], unmatched: 2), from: "eth0")
        accumulator.add(
            Self.snapshot(rules: [Self.counters(packets: 6)], protocols: [Counters(), udp], unmatched: 5), from: "eth0")
        let totals = accumulator.totals
        #expect(totals.rules.map(\.packets) == [6, 0, 0])
        #expect(totals.protocolClass(.udp).packets == 4)
        #expect(totals.protocolClass(.udp).sequenceReverse == 2)
        #expect(totals.protocolClass(.udp).sequenceErrors == 2 + 0 + 0 + 0)
        #expect(totals.protocolClass(.icmp).packets == 0)
        #expect(totals.unmatched.packets == 5)
        #expect(totals.rule(7) == ScopeTotals())
    }
}
