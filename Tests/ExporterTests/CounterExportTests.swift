import Testing
import VtapMetrics
import VtapRuleModel
import VtapTestSupport

@testable import VtapExporter

/// Every counter the table gives a series is exported in it, with its
/// total; a field added to the table but not to the exporter fails here.
@Suite struct CounterExportTests {
    @Test func everyExportedFieldIsASeriesWithItsTotal() throws {
        let scope = ScopeTotals.eachFieldDistinct()
        var totals = MeasurementTotals(ruleCount: 1)
        totals[0, .udp] = scope
        totals.rules[0] = scope
        let snapshot = ExportSnapshot(interfaces: [
            ExportedInterface(name: "eth0", totals: totals, jitterFrom: totals, jitterTo: totals)
        ])
        let exposition = MetricsExposition(manifest: Manifest(rules: Manifest.fixtureRules(labels: ["r"])))
        let lines = String(decoding: exposition.measurementText(snapshot), as: UTF8.self).split(separator: "\n")

        let families = Set(MetricFamilies.all.map(\.name))
        for field in CounterField.allCases {
            guard let series = field.metric else { continue }
            #expect(families.contains(series.family.name), "\(field.name): \(series.family) is not in the contract")
            #expect(MetricFamilies.family(of: field)?.help == series.family.help)
            var labels = #"interface="eth0",protocol="udp",rule="r""#
            if let kind = series.kind { labels += #",kind="\#(kind)""# }
            let sample = "\(series.family.name){\(labels)} \(1000 + field.rawValue)"
            #expect(lines.contains(Substring(sample)), "\(field.name): no line \(sample)")
        }
    }
}
