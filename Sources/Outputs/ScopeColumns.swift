import VtapMetrics

/// The fields of a scope (a protocol class or a rule) in the reports that
/// list them all, JSON lines and CSV logs: each counter with a report key,
/// in the counter table's order, and each derived value after the counter
/// it comes from. One table, so the two cannot differ in what they carry.
enum ScopeColumns {
    enum Value {
        case count(UInt64)
        /// A rate or a time: absent when it cannot be computed (no interval,
        /// fewer than two packets); the CSV writes it with `decimals`.
        case number(Double?, decimals: Int)
        case optionalCount(UInt64?)
    }

    struct Column: Sendable {
        var key: String
        /// Throughput and goodput: the CSV names their unit in the header.
        var isRate = false
        var value: @Sendable (ScopeMetrics) -> Value
    }

    static let all: [Column] = CounterField.allCases.flatMap { field in
        let count = field.reportKey.map { Column(key: $0, value: { .count($0[field]) }) }
        return (count.map { [$0] } ?? []) + derived(after: field)
    }

    static let keys = all.map(\.key)

    private static func derived(after field: CounterField) -> [Column] {
        switch field {
        case .payloadBytes:
            return [
                Column(key: "pps", value: { .number($0.packetsPerSecond, decimals: 3) }),
                Column(key: "throughput", isRate: true, value: { .number($0.throughput, decimals: 3) }),
                Column(key: "goodput", isRate: true, value: { .number($0.goodput, decimals: 3) }),
                Column(key: "jitter_mean_ms", value: { .number($0.jitter?.meanMilliseconds, decimals: 6) }),
                Column(key: "jitter_stddev_ms", value: { .number($0.jitter?.stddevMilliseconds, decimals: 6) }),
                Column(key: "seq_last", value: { .optionalCount($0.sequenceLast.map(UInt64.init)) }),
            ]
        case .sequenceBig:
            return [Column(key: "seq_total", value: { .count($0.sequenceTotal) })]
        default:
            return []
        }
    }
}
