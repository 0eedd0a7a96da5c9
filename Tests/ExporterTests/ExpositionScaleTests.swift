import Testing
import VtapMetrics
import VtapRuleModel

@testable import VtapExporter

/// A large ruleset renders in time linear in its active series. Through
/// swift-prometheus's registry this case took 524 s (debug build); see
/// TextExpositionWriter.
@Suite struct ExpositionScaleTests {
    @Test func sixteenThousandActiveRules() throws {
        let ruleCount = 16_000
        let manifest = ExporterFixtures.manifest(labels: (0..<ruleCount).map { "rule-\($0)" })
        let totals = ExporterFixtures.totals(ruleCount: ruleCount) { totals in
            for rule in 0..<ruleCount {
                totals[rule, .udp].packets = UInt64(rule + 1)
                totals[rule, .udp].bytes = 100
            }
        }
        let snapshot = ExportSnapshot(interfaces: [
            .init(name: "eth0", totals: totals, jitterFrom: totals, jitterTo: totals)
        ])
        let exposition = MetricsExposition(manifest: manifest)
        let started = ContinuousClock.now
        let text = exposition.measurementText(snapshot)
        let elapsed = ContinuousClock.now - started
        print("16,000 active rules: \(text.count) bytes in \(elapsed)")
        #expect(elapsed < .seconds(10))
        // Reading 14 MB with ExpositionReader takes longer than writing it: count lines instead.
        let packets = text.split(separator: UInt8(ascii: "\n")).filter { $0.starts(with: "vtap_packets_total{".utf8) }
        #expect(packets.count == ruleCount)
        let sum = packets.reduce(0) { sum, line in
            sum + (Int(String(decoding: line.split(separator: UInt8(ascii: " ")).last!, as: UTF8.self)) ?? 0)
        }
        #expect(sum == ruleCount * (ruleCount + 1) / 2)
    }
}
