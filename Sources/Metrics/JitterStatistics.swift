/// Mean and population standard deviation of the inter-arrival gaps in a
/// window, from the sample count and the sums the BPF program keeps.
///
/// With n samples, S = Σg and Q = Σg², the population variance is
/// (n·Q − S²) / n². n·Q and S² reach 2^192 (n < 2^64, Q < 2^128), so both are
/// formed exactly as 256-bit products, subtracted exactly, and divided by n²
/// into an integer quotient and remainder; only that last step becomes a
/// Double. The quotient always fits 128 bits — it is at most Q/n — so no
/// input needs an approximate formula, and long windows lose nothing to
/// cancellation (gaps near the 2 s cap differ in their last digits).
public struct JitterStatistics: Sendable, Equatable {
    public var samples: UInt64
    public var meanNanoseconds: Double
    /// Population variance, ns².
    public var varianceNanoseconds2: Double

    /// Nil when there are no samples.
    public init?(samples: UInt64, sumNanoseconds: UInt128, sumSquaresNanoseconds2: UInt128) {
        guard samples > 0 else { return nil }
        let n = UInt128(samples)
        self.samples = samples
        meanNanoseconds = Self.quotient(sumNanoseconds, n)

        let nQ = n.multipliedFullWidth(by: sumSquaresNanoseconds2)
        let s2 = sumNanoseconds.multipliedFullWidth(by: sumNanoseconds)
        // n·Q ≥ S² for any real samples (Cauchy–Schwarz); sums read while a
        // CPU was between its increments may break that by a little: zero.
        guard (nQ.high, nQ.low) > (s2.high, s2.low) else {
            varianceNanoseconds2 = 0
            return
        }
        let (low, borrow) = nQ.low.subtractingReportingOverflow(s2.low)
        let high = nQ.high - s2.high - (borrow ? 1 : 0)
        let nn = n * n  // < 2^128 since n < 2^64
        if high < nn {
            let (q, r) = nn.dividingFullWidth((high: high, low: low))
            varianceNanoseconds2 = Double(q) + Double(r) / Double(nn)
        } else {
            // Unreachable (the quotient is at most Q/n < 2^128); kept so a
            // broken invariant cannot trap a running measurement.
            varianceNanoseconds2 = (Double(high) * 0x1p128 + Double(low)) / Double(nn)
        }
    }

    /// The statistics of the samples between two totals of one scope.
    public init?(from earlier: ScopeTotals, to later: ScopeTotals) {
        self.init(
            samples: later.jitterSamples &- earlier.jitterSamples,
            sumNanoseconds: later.jitterSumNanoseconds &- earlier.jitterSumNanoseconds,
            sumSquaresNanoseconds2: later.jitterSumSquaresNanoseconds2 &- earlier.jitterSumSquaresNanoseconds2)
    }

    public var stddevNanoseconds: Double { varianceNanoseconds2.squareRoot() }
    public var meanMilliseconds: Double { meanNanoseconds / 1e6 }
    public var stddevMilliseconds: Double { stddevNanoseconds / 1e6 }

    /// a / b with the integer part exact.
    private static func quotient(_ a: UInt128, _ b: UInt128) -> Double {
        let (q, r) = a.quotientAndRemainder(dividingBy: b)
        return Double(q) + Double(r) / Double(b)
    }
}
