import Foundation
import Testing
import VtapMetrics
import VtapOutputs
import VtapRuleModel
import VtapTestSupport

/// Every counter the table gives a report key reaches a report's JSON under
/// that key, with its total; a field added to the table but not to the
/// report, or under another key, fails here.
@Suite struct CounterOutputsTests {
    @Test func everyReportedFieldIsInTheJSONWithItsTotal() throws {
        let scope = ScopeTotals.eachFieldDistinct()
        var totals = MeasurementTotals(ruleCount: 1)
        totals.rules[0] = scope
        let context = ReportContext(
            time: ReportTime(nanosecondsSinceEpoch: 0), interfaces: ["eth0"], throughputUnit: .bytesPerSecond,
            rules: [.init(index: 0, number: 1, name: "r", label: "r", source: "", line: 1, column: 1)],
            display: Settings.Display())
        let report = ReportBuilder.interval(
            from: MeasurementTotals(ruleCount: 1), to: totals, seconds: 1, context: context)
        let object = try JSONSerialization.jsonObject(with: Data(ReportJSON.line(report).utf8)) as? [String: Any]
        let rule = try #require((object?["rules"] as? [[String: Any]])?.first)

        let reported = CounterField.allCases.filter { $0.reportKey != nil }
        #expect(!reported.isEmpty)
        for field in CounterField.allCases {
            guard let key = field.reportKey else { continue }
            #expect(ReportJSON.scopeKeys.contains(key), "\(field.name): \(key) is not a scope key")
            #expect(
                (rule[key] as? NSNumber)?.uint64Value == UInt64(1000 + field.rawValue),
                "\(field.name) as \(key): \(rule[key] ?? "none")")
        }
    }
}
