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
    static let rules: [Manifest.RuleEntry] = [
        .init(index: 0, number: 1, name: "r", label: "r", source: "", line: 1, column: 1)
    ]

    /// A report whose rule has every field at its own value.
    static func report() -> IntervalReport {
        var totals = MeasurementTotals(ruleCount: 1)
        totals.rules[0] = ScopeTotals.eachFieldDistinct()
        let context = ReportContext(
            time: ReportTime(nanosecondsSinceEpoch: 0), interfaces: ["eth0"], throughputUnit: .bytesPerSecond,
            rules: rules, display: Settings.Display())
        return ReportBuilder.interval(from: MeasurementTotals(ruleCount: 1), to: totals, seconds: 1, context: context)
    }

    static func jsonRule(_ report: IntervalReport) throws -> [String: Any] {
        let object = try JSONSerialization.jsonObject(with: Data(ReportJSON.line(report).utf8)) as? [String: Any]
        return try #require((object?["rules"] as? [[String: Any]])?.first)
    }

    @Test func everyReportedFieldIsInTheJSONWithItsTotal() throws {
        let rule = try Self.jsonRule(Self.report())

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

    /// The log formats are chosen views, but every column they name is a
    /// report key (less its unit), and every count they show is the
    /// report's: a renamed key or a column fed from the wrong field fails.
    @Test func logColumnsAreReportKeysWithTheReportsCounts() throws {
        let report = Self.report()
        let rule = try Self.jsonRule(report)
        let counted = Set(CounterField.allCases.compactMap(\.reportKey) + ["seq_total"])
        func key(_ column: Substring) -> String {
            String(column.replacing("_B_per_s", with: ""))
        }

        let csv = LogLayout(format: .csv, rules: Self.rules, throughputUnit: .bytesPerSecond)
        let header = csv.header.split(separator: ",", omittingEmptySubsequences: false)
        let values = csv.line(for: report).split(separator: ",", omittingEmptySubsequences: false)
        #expect(header.count == values.count)
        var checked = 0
        let prefix = try #require(csv.scopes.last) + "_"
        for (column, value) in zip(header, values) where column.hasPrefix(prefix) {
            let name = key(column.dropFirst(prefix.count))
            #expect(ReportJSON.scopeKeys.contains(name), "CSV column \(column) is no report key")
            if counted.contains(name) {
                #expect(String(value) == "\(rule[name] ?? "none")", "CSV \(name)")
                checked += 1
            }
        }
        #expect(checked >= 3)
        var tallied = report
        tallied.unmatched = Tally(packets: 7, bytes: 700)
        tallied.malformed = Tally(packets: 3, bytes: 90)
        let tallyValues = csv.line(for: tallied).split(separator: ",", omittingEmptySubsequences: false).suffix(4)
        let tallies = Dictionary(uniqueKeysWithValues: zip(header.suffix(4).map(String.init), tallyValues))
        #expect(
            tallies == [
                "unmatched_packets": "7", "unmatched_bytes": "700", "malformed_packets": "3", "malformed_bytes": "90",
            ])

        let seed = LogLayout(format: .seed, rules: Self.rules, throughputUnit: .bytesPerSecond)
        let seedNames = try #require(seed.header.components(separatedBy: " | ").last).split(separator: " ").dropFirst()
        let seedValues = try #require(seed.line(for: report).components(separatedBy: " | ").last)
            .split(separator: " ").dropFirst()
        #expect(seedNames.count == seedValues.count)
        checked = 0
        for (column, value) in zip(seedNames, seedValues) {
            let name = key(column)
            #expect(ReportJSON.scopeKeys.contains(name), "seed column \(column) is no report key")
            if counted.contains(name) {
                #expect(String(value) == "\(rule[name] ?? "none")", "seed \(name)")
                checked += 1
            }
        }
        #expect(checked >= 6)
    }
}
