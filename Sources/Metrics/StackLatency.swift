import VtapRuleModel

/// One rule's in-stack latency at one stage: a log2 histogram, bucket b
/// counting gaps of [2^b, 2^(b+1)) ns (templates/vtap_latency.h).
public struct StackLatency: Sendable, Equatable {
    public var rule: Int
    public var stage: LatencyStage
    public var buckets: [UInt64]

    public init(rule: Int, stage: LatencyStage, buckets: [UInt64]) {
        self.rule = rule
        self.stage = stage
        self.buckets = buckets
    }

    public var samples: UInt64 { buckets.reduce(0, +) }

    /// The percentiles every output reports, by name.
    public static let reportedQuantiles: [(name: String, quantile: Double)] = [
        ("p50", 0.5), ("p90", 0.9), ("p99", 0.99),
    ]

    /// The upper bound (ns) of the bucket holding the `quantile`'s sample:
    /// within a factor of two of it, never below it. Nil without samples.
    public func upperBound(quantile: Double) -> UInt64? {
        let total = samples
        guard total > 0 else { return nil }
        let rank = max(1, UInt64((quantile * Double(total)).rounded(.up)))
        var seen: UInt64 = 0
        for (bucket, count) in buckets.enumerated() {
            seen += count
            if seen >= rank { return Self.bound(bucket) }
        }
        return Self.bound(buckets.count - 1)
    }

    /// The largest sample's bucket bound.
    public var maximumBound: UInt64? {
        buckets.lastIndex { $0 > 0 }.map(Self.bound)
    }

    /// 2^(b+1) ns, saturating.
    public static func bound(_ bucket: Int) -> UInt64 {
        bucket >= 63 ? UInt64.max : UInt64(1) << UInt64(bucket + 1)
    }
}
