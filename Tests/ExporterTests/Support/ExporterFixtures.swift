import VtapExporter
import VtapMetrics
import VtapRuleModel
import VtapTestSupport

/// Manifests and totals built by hand, for tests that need no compiler.
enum ExporterFixtures {
    /// A manifest whose rules have these labels, at indices 0, 1, 2, ….
    static func manifest(labels: [String]) -> Manifest {
        Manifest(rules: Manifest.fixtureRules(labels: labels))
    }

    /// Totals with the per-rule sums made from the per-class ones, as the
    /// runtime makes them.
    static func totals(ruleCount: Int, _ fill: (inout MeasurementTotals) -> Void) -> MeasurementTotals {
        var totals = MeasurementTotals(ruleCount: ruleCount)
        fill(&totals)
        let classes = ProtocolClass.allCases.count
        for rule in 0..<ruleCount {
            var sum = ScopeTotals()
            for scope in totals.ruleClasses[rule * classes..<(rule + 1) * classes] {
                sum.packets += scope.packets
                sum.bytes += scope.bytes
                sum.payloadBytes += scope.payloadBytes
            }
            totals.rules[rule] = sum
        }
        return totals
    }
}
