import VtapMetrics
import VtapRuleModel

/// Manifests and totals built by hand, for the tests of everything after
/// the kernel (metrics, outputs, exporter) that need no compiler.
extension Manifest {
    /// Rule entries whose names and labels are `labels`, at indices 0, 1, 2, ….
    public static func fixtureRules(labels: [String]) -> [RuleEntry] {
        labels.enumerated().map { index, label in
            .init(index: index, number: index + 1, name: label, label: label, source: "", line: 1, column: 1)
        }
    }
}

extension ScopeTotals {
    /// Totals of `packets` frames of `bytes` bytes in all, `payload` of it L4 payload.
    public static func fixture(
        packets: UInt64, bytes: UInt64, payload: UInt64, _ more: (inout ScopeTotals) -> Void = { _ in }
    ) -> ScopeTotals {
        var scope = ScopeTotals()
        scope.packets = packets
        scope.bytes = bytes
        scope.payloadBytes = payload
        more(&scope)
        return scope
    }
}

extension ScopeTotals {
    /// Totals whose every summed field is `base` plus its index in the
    /// counter table: each value says which field it came from.
    public static func eachFieldDistinct(base: UInt64 = 1000) -> ScopeTotals {
        var scope = ScopeTotals()
        for field in CounterField.allCases { scope.add(base + UInt64(field.rawValue), to: field) }
        return scope
    }
}

extension MeasurementTotals {
    /// The scope of one rule and protocol class, for writing.
    public subscript(rule: Int, protocolClass: ProtocolClass) -> ScopeTotals {
        get { ruleClasses[rule * ProtocolClass.allCases.count + protocolClass.rawValue] }
        set { ruleClasses[rule * ProtocolClass.allCases.count + protocolClass.rawValue] = newValue }
    }
}
