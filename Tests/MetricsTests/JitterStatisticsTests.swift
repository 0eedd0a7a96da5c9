import Testing
import VtapMetrics
import VtapTestSupport

@Suite struct JitterStatisticsTests {
    /// The reference: two passes over the explicit samples, exact in
    /// integers: variance = Σ(n·gᵢ − S)² / n³, mean = S / n.
    static func bruteForce(_ samples: [UInt64]) -> (mean: Double, variance: Double) {
        let n = Int128(samples.count)
        let sum = samples.reduce(Int128(0)) { $0 + Int128($1) }
        var squares: UInt128 = 0
        for g in samples {
            let d = n * Int128(g) - sum
            squares += UInt128(d.magnitude * d.magnitude)
        }
        let n3 = UInt128(n) * UInt128(n) * UInt128(n)
        let (q, r) = squares.quotientAndRemainder(dividingBy: n3)
        return (Double(sum) / Double(n), Double(q) + Double(r) / Double(n3))
    }

    static func statistics(_ samples: [UInt64]) -> JitterStatistics? {
        JitterStatistics(
            samples: UInt64(samples.count), sumNanoseconds: samples.reduce(0) { $0 + UInt128($1) },
            sumSquaresNanoseconds2: samples.reduce(0) { $0 + UInt128($1) * UInt128($1) })
    }

    static func close(_ a: Double, _ b: Double, relative: Double = 1e-12) -> Bool {
        a == b || (a - b).magnitude <= relative * max(a.magnitude, b.magnitude)
    }

    @Test func noSamplesIsNil() {
        #expect(JitterStatistics(samples: 0, sumNanoseconds: 0, sumSquaresNanoseconds2: 0) == nil)
        #expect(JitterStatistics(from: ScopeTotals(), to: ScopeTotals()) == nil)
    }

    @Test func oneSampleHasNoSpread() throws {
        let s = try #require(Self.statistics([1_500_000]))
        #expect(s.meanMilliseconds == 1.5)
        #expect(s.stddevMilliseconds == 0)
    }

    /// Random sample sets: uniform up to the 2 s cap, clustered near the
    /// cap, and small gaps; up to 20,000 samples.
    @Test(arguments: 0..<60)
    func matchesTheBruteForceOverExplicitSamples(seed: Int) throws {
        var random = SplitMix64(seed: UInt64(seed) &+ 1000)
        let count =
            seed % 3 == 0 ? Int.random(in: 5000...20_000, using: &random) : Int.random(in: 1...300, using: &random)
        let cap: UInt64 = 2_000_000_000
        let samples: [UInt64] = (0..<count).map { _ in
            switch seed % 4 {
            case 0: UInt64.random(in: 0...cap, using: &random)
            case 1: cap - UInt64.random(in: 0...1000, using: &random)
            case 2: UInt64.random(in: 999_000...1_001_000, using: &random)
            default: Bool.random(using: &random) ? cap : UInt64.random(in: 0...10, using: &random)
            }
        }
        let reference = Self.bruteForce(samples)
        let s = try #require(Self.statistics(samples))
        #expect(s.samples == UInt64(count))
        #expect(Self.close(s.meanNanoseconds, reference.mean), "mean \(s.meanNanoseconds) vs \(reference.mean)")
        #expect(
            Self.close(s.varianceNanoseconds2, reference.variance),
            "variance \(s.varianceNanoseconds2) vs \(reference.variance)")
    }

    /// Gaps at the cap that differ by 1 ns: a Double formula over the sums
    /// loses this entirely (Q ≈ 4·10^24 needs 82 bits); the integer one is exact.
    @Test func gapsNearTheCapKeepTheirLastDigit() throws {
        let samples =
            Array(repeating: UInt64(2_000_000_000), count: 1000)
            + Array(repeating: UInt64(1_999_999_999), count: 1000)
        let s = try #require(Self.statistics(samples))
        #expect(s.varianceNanoseconds2 == 0.25)
        #expect(s.stddevNanoseconds == 0.5)
        #expect(s.meanNanoseconds == 1_999_999_999.5)
        #expect(s.meanMilliseconds == 1_999.9999995)
        #expect(s.stddevMilliseconds == 0.5e-6)
    }

    /// k gaps of `a` and m gaps of `b`: variance k·m·(a−b)²/n² exactly.
    static func twoValued(k: UInt64, a: UInt64, m: UInt64, b: UInt64) -> (n: UInt64, s: UInt128, q: UInt128) {
        (
            k + m, UInt128(k) * UInt128(a) + UInt128(m) * UInt128(b),
            UInt128(k) * UInt128(a) * UInt128(a) + UInt128(m) * UInt128(b) * UInt128(b)
        )
    }

    /// n·Q passes 2^128 for long windows of long gaps; the result must stay
    /// exact on both sides of that boundary.
    @Test func exactOnBothSidesOfTheOneTwentyEightBitBoundary() throws {
        let a: UInt64 = 2_000_000_000
        let b: UInt64 = 1_999_999_998
        // n²·a² ≈ 2^128 at n ≈ 9.2·10^9: search the crossing.
        var k: UInt64 = 4_000_000_000
        func overflows(_ k: UInt64) -> Bool {
            let t = Self.twoValued(k: k, a: a, m: k, b: b)
            return UInt128(t.n).multipliedReportingOverflow(by: t.q).overflow
        }
        #expect(!overflows(k))
        var step: UInt64 = 1 << 30
        while step > 0 {
            if !overflows(k + step) { k += step }
            step >>= 1
        }
        #expect(!overflows(k) && overflows(k + 1), "k = \(k) is the last count before the boundary")
        for count in [k - 1, k, k + 1, k + 2] {
            let t = Self.twoValued(k: count, a: a, m: count, b: b)
            let s = try #require(JitterStatistics(samples: t.n, sumNanoseconds: t.s, sumSquaresNanoseconds2: t.q))
            // k = m: variance = (a−b)²/4 = 1 ns², mean = (a+b)/2.
            #expect(s.varianceNanoseconds2 == 1, "count \(count)")
            #expect(s.meanNanoseconds == 1_999_999_999)
        }
        // Unequal counts past the boundary: k·m·(a−b)²/n², a non-integer.
        let (k1, m1) = (2 * k + 5, k / 3)
        let t = Self.twoValued(k: k1, a: a, m: m1, b: b)
        let s = try #require(JitterStatistics(samples: t.n, sumNanoseconds: t.s, sumSquaresNanoseconds2: t.q))
        #expect(UInt128(t.n).multipliedReportingOverflow(by: t.q).overflow)
        let numerator = UInt128(k1) * UInt128(m1) * 4
        let denominator = UInt128(t.n) * UInt128(t.n)
        let (q, r) = numerator.quotientAndRemainder(dividingBy: denominator)
        #expect(Self.close(s.varianceNanoseconds2, Double(q) + Double(r) / Double(denominator), relative: 1e-15))
    }

    /// The most samples a counter can hold, all equal.
    @Test func astronomicalCountsOfEqualGaps() throws {
        let n = UInt64.max
        let g: UInt64 = 2_000_000_000
        let s = try #require(
            JitterStatistics(
                samples: n, sumNanoseconds: UInt128(n) * UInt128(g),
                sumSquaresNanoseconds2: UInt128(n) * UInt128(g) * UInt128(g)))
        #expect(s.varianceNanoseconds2 == 0)
        #expect(s.meanNanoseconds == 2e9)
    }

    /// Sums read while a CPU was between its increments can be slightly
    /// inconsistent (n·Q < S²): no trap, no negative variance.
    @Test func inconsistentSumsGiveZeroSpread() throws {
        let s = try #require(JitterStatistics(samples: 2, sumNanoseconds: 10, sumSquaresNanoseconds2: 40))
        #expect(s.varianceNanoseconds2 == 0)
        let huge = try #require(
            JitterStatistics(
                samples: 1, sumNanoseconds: UInt128.max, sumSquaresNanoseconds2: UInt128.max))
        #expect(huge.varianceNanoseconds2 == 0)
    }
}
