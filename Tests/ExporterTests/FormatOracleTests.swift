import Testing

@testable import VtapExporter

/// The text the exporter writes, judged by others: promtool here, a real
/// Prometheus reading the labels back in PrometheusScrapeTests.
@Suite struct FormatOracleTests {
    let exposition = MetricsExposition(manifest: ExpositionFixture.manifest)

    func body(_ format: ExpositionFormat) -> [UInt8] {
        let selfMetrics = ExporterSelfMetrics(version: "1.0 \"quoted\"", ruleCount: 5)
        selfMetrics.recordScrape(.milliseconds(2))
        return exposition.render(ExpositionFixture.snapshot, selfMetrics: selfMetrics, format: format)
    }

    @Test(.promtool) func promtoolAcceptsTheTextFormat() throws {
        let result = try Promtool.checkMetrics(body(.prometheusText))
        #expect(result.status == 0, "\(result.summary)\(result.standardOutput)")
        #expect(result.standardOutput.isEmpty && result.standardError.isEmpty, "no lint problems: \(result.summary)")
    }

    /// promtool 2.42 reads only the 0.0.4 format. Given OpenMetrics, it
    /// takes each counter's samples (`vtap_packets_total`) for a family of
    /// their own, apart from the TYPE and HELP of `vtap_packets`, and finds
    /// no HELP for them; anything else it says would be a syntax problem.
    /// PrometheusScrapeTests has a real Prometheus read OpenMetrics.
    @Test(.promtool) func promtoolReadsOpenMetricsWithOnlyTheCounterNamesApart() throws {
        let result = try Promtool.checkMetrics(body(.openMetrics))
        let complaints = result.standardError.split(separator: "\n").map(String.init)
        let counters = MetricFamilies.all.filter { $0.type == .counter }.map { "\($0.name) no help text" }
        #expect(result.status == 3, "lint problems, not a parse error (1): \(result.summary)")
        #expect(Set(complaints) == Set(counters), "\(result.summary)")
    }

    /// Label values that need escaping, each in a gauge promtool must
    /// accept as it is (a wrong escape is a parse error there).
    @Test(
        .promtool,
        arguments: [
            ExpositionFixture.nasty, #"a\\b"#, "\"", "\n\n", "tab\tcr\r", "ünïcode ✓", "", "}", "a=\"b\",c=\"d",
        ])
    func promtoolAcceptsEveryLabelEscape(value: String) throws {
        let family = MetricFamily(name: "g", type: .gauge, labels: ["rule"], help: "Help \\ text.")
        var writer = TextExpositionWriter()
        writer.write(family, [(labels: RenderedLabels(["rule"], [value]), value: .real(1))])
        let result = try Promtool.checkMetrics(writer.bytes)
        #expect(result.status == 0 && result.standardError.isEmpty, "\(value): \(result.summary)")
    }
}
