import Testing
import VtapMetrics

@Suite struct ScopeMetricsTests {
    static func totals(
        packets: UInt64, bytes: UInt64, payload: UInt64, samples: UInt64 = 0, sum: UInt128 = 0, squares: UInt128 = 0
    ) -> ScopeTotals {
        var t = ScopeTotals()
        t.packets = packets
        t.bytes = bytes
        t.payloadBytes = payload
        t.jitterSamples = samples
        t.jitterSumNanoseconds = sum
        t.jitterSumSquaresNanoseconds2 = squares
        return t
    }

    @Test func ratesAreDifferencesOverTheIntervalInBytesOrBits() throws {
        let a = Self.totals(packets: 100, bytes: 10_000, payload: 5_000)
        let b = Self.totals(packets: 300, bytes: 50_000, payload: 25_000)
        let bytes = ScopeMetrics(from: a, to: b, seconds: 2, jitterFrom: a, jitterTo: b, unit: .bytesPerSecond)
        #expect(bytes.packetsPerSecond == 100)
        #expect(bytes.throughput == 20_000)
        #expect(bytes.goodput == 10_000)
        let bits = ScopeMetrics(from: a, to: b, seconds: 2, jitterFrom: a, jitterTo: b, unit: .bitsPerSecond)
        #expect(bits.packetsPerSecond == 100)
        #expect(bits.throughput == 160_000)
        #expect(bits.goodput == 80_000)
        // Counts are totals since the start, not the interval's.
        #expect(bits.packets == 300)
        #expect(bits.bytes == 50_000)
        #expect(bits.payloadBytes == 25_000)
        #expect(ThroughputUnit.bitsPerSecond.rawValue == "bit/s")
        #expect(ThroughputUnit.bytesPerSecond.rawValue == "B/s")
    }

    @Test func anIntervalOfNoLengthHasNoRates() {
        let a = Self.totals(packets: 1, bytes: 60, payload: 0)
        for seconds in [0, -1, Double.nan, Double.infinity] {
            let m = ScopeMetrics(from: a, to: a, seconds: seconds, jitterFrom: a, jitterTo: a, unit: .bytesPerSecond)
            #expect(m.packetsPerSecond == nil && m.throughput == nil && m.goodput == nil)
            #expect(m.packets == 1)
        }
    }

    /// Jitter has its own window; the rates do not see it.
    @Test func jitterComesFromItsOwnWindow() throws {
        let start = Self.totals(packets: 0, bytes: 0, payload: 0)
        let a = Self.totals(packets: 10, bytes: 600, payload: 0, samples: 9, sum: 9_000_000, squares: 9_000_000_000_000)
        let b = Self.totals(
            packets: 12, bytes: 720, payload: 0, samples: 11, sum: 13_000_000, squares: 17_000_000_000_000)
        let m = ScopeMetrics(from: a, to: b, seconds: 1, jitterFrom: start, jitterTo: b, unit: .bytesPerSecond)
        #expect(m.packetsPerSecond == 2)
        let jitter = try #require(m.jitter)
        #expect(jitter.samples == 11)
        // Nine gaps of 1 ms and two of 2 ms.
        #expect(abs(jitter.meanMilliseconds - 13.0 / 11) < 1e-12)
        let variance = 17.0 / 11 - (13.0 / 11) * (13.0 / 11)
        #expect(abs(jitter.stddevMilliseconds - variance.squareRoot()) < 1e-12)
        // The same totals as window bounds: no sample in it.
        #expect(
            ScopeMetrics(from: a, to: b, seconds: 1, jitterFrom: b, jitterTo: b, unit: .bytesPerSecond).jitter == nil)
    }

    @Test func sequenceCountersAreTotalsAndTheirSum() {
        var b = ScopeTotals()
        b.sequenceCount = 50
        b.sequenceReverse = 1
        b.sequenceSmall = 2
        b.sequenceBig = 4
        b.sequenceLost = 9
        b.sequenceMissing = 3
        b.sequenceLast = 77
        let m = ScopeMetrics(from: ScopeTotals(), to: b, seconds: 1, jitterFrom: b, jitterTo: b, unit: .bytesPerSecond)
        #expect(m.sequenceTotal == 7)
        #expect(m.sequenceCount == 50)
        #expect(m.sequenceLost == 9)
        #expect(m.sequenceMissing == 3)
        #expect(m.sequenceLast == 77)
        let none = ScopeMetrics(
            from: ScopeTotals(), to: ScopeTotals(), seconds: 1, jitterFrom: b, jitterTo: b, unit: .bytesPerSecond)
        #expect(none.sequenceLast == nil)
    }
}
