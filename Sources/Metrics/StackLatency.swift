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

/// Packets of one rule that the kernel dropped (kfree_skb) while marked at
/// one stage, for one of the kernel's drop reasons (templates/vtap_latency.h).
public struct StackDrop: Sendable, Equatable {
    public var rule: Int
    public var stage: LatencyStage
    /// The kernel's `enum skb_drop_reason` value.
    public var reason: UInt32
    /// Its name as the kfree_skb tracepoint prints it (`NO_SOCKET`), or
    /// `reason_N` where the kernel's BTF does not name it.
    public var reasonName: String
    public var packets: UInt64

    public init(rule: Int, stage: LatencyStage, reason: UInt32, reasonName: String, packets: UInt64) {
        self.rule = rule
        self.stage = stage
        self.reason = reason
        self.reasonName = reasonName
        self.packets = packets
    }

    /// The tracepoint's name for a kernel enum case: without the
    /// `SKB_DROP_REASON_` prefix (or `SKB_`, which the first cases have:
    /// `SKB_NOT_DROPPED_YET`, `SKB_CONSUMED`).
    public static func reasonName(_ reason: UInt32, kernelNames: [UInt32: String]) -> String {
        guard let name = kernelNames[reason] else { return "reason_\(reason)" }
        for prefix in ["SKB_DROP_REASON_", "SKB_"] where name.hasPrefix(prefix) {
            return String(name.dropFirst(prefix.count))
        }
        return name
    }
}
