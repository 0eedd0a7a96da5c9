import Foundation
import Testing
import VtapBench

@Suite struct BenchReportTests {
    @Test func sectionsUseTheirJSONNames() throws {
        var report = BenchReport(
            environment: .init(kernel: "k", cpus: 2, cpuModel: "c", date: "d", vtapVersion: "v"),
            mode: .init(quick: true, repeatCount: 10, runs: 2, ruleCounts: [1]))
        report.packetCost = PacketCostSection()
        report.patternCost = PatternCostSection()
        report.eventsCost = EventsCostSection(rules: 1, sameInstructions: true)
        report.compileCost = CompileCostSection()
        report.startup = StartupSection()
        report.liveOverhead = LiveOverheadSection()
        report.kpiCost = LiveOverheadSection()
        let object = try JSONSerialization.jsonObject(with: try report.json()) as? [String: Any]
        for key in [
            "packet_cost", "pattern_cost", "events_cost", "compile_cost", "startup", "live_overhead", "kpi_cost",
        ] {
            #expect(object?[key] != nil, "\(key)")
        }
    }
}
