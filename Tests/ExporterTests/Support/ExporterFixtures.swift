import VtapExporter
import VtapMetrics
import VtapRuleModel

/// Manifests and totals built by hand, for tests that need no compiler.
enum ExporterFixtures {
    /// A manifest whose rules have these labels, at indices 0, 1, 2, ….
    static func manifest(labels: [String]) -> Manifest {
        Manifest(
            generator: .init(name: "vtapc", version: "0", clang: "14"), rulesFile: .init(path: "r.json", sha256: ""),
            object: .init(file: "r.o", size: 0, sha256: ""),
            build: .init(clangArguments: [], strategy: "", decisionFunctions: 0, plans: []),
            programs: [], maps: [], structs: [], globals: [],
            slots: .init(protocols: ProtocolClass.allCases.map(\.name), totals: ObjectContract.totals, arrivals: ""),
            rules: labels.enumerated().map { index, label in
                .init(index: index, number: index + 1, name: label, label: label, source: "", line: 1, column: 1)
            },
            settings: Settings(), verifier: nil)
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

extension MeasurementTotals {
    /// The scope of one rule and protocol class, for writing.
    subscript(rule: Int, protocolClass: ProtocolClass) -> ScopeTotals {
        get { ruleClasses[rule * ProtocolClass.allCases.count + protocolClass.rawValue] }
        set { ruleClasses[rule * ProtocolClass.allCases.count + protocolClass.rawValue] = newValue }
    }
}
