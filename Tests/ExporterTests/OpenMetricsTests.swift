import Testing

@testable import VtapExporter

/// The one writer in OpenMetrics 1.0.0 against the same families in the
/// text format 0.0.4: only counter metadata, HELP quotes and `# EOF` differ.
@Suite struct OpenMetricsTests {
    static let packets = MetricFamily(name: "vtap_packets_total", type: .counter, labels: ["rule"], help: "Packets.")
    static let rules = MetricFamily(name: "vtap_rules", type: .gauge, labels: [], help: "Rules.")

    func text(_ format: ExpositionFormat, _ write: (inout TextExpositionWriter) -> Void) -> String {
        var writer = TextExpositionWriter(format: format)
        write(&writer)
        writer.finish()
        return String(decoding: writer.bytes, as: UTF8.self)
    }

    @Test func counterFamiliesLoseTotalInMetadataOnly() {
        let write = { (writer: inout TextExpositionWriter) in
            writer.write(Self.packets, [(RenderedLabels(["rule"], ["a"]), .integer(5))])
            writer.write(Self.rules, [(RenderedLabels([], []), .real(3))])
        }
        #expect(
            text(.openMetrics, write) == """
                # HELP vtap_packets Packets.
                # TYPE vtap_packets counter
                vtap_packets_total{rule="a"} 5
                # HELP vtap_rules Rules.
                # TYPE vtap_rules gauge
                vtap_rules 3.0
                # EOF

                """)
        #expect(
            text(.prometheusText, write) == """
                # HELP vtap_packets_total Packets.
                # TYPE vtap_packets_total counter
                vtap_packets_total{rule="a"} 5
                # HELP vtap_rules Rules.
                # TYPE vtap_rules gauge
                vtap_rules 3.0

                """)
    }

    @Test func onlyCountersNamedTotalLoseTheSuffix() {
        let gauge = MetricFamily(name: "b_total", type: .gauge, labels: [], help: "B.")
        let counter = MetricFamily(name: "c", type: .counter, labels: [], help: "C.")
        let output = text(.openMetrics) { writer in
            writer.write(gauge, [(RenderedLabels([], []), .integer(2))])
            writer.write(counter, [(RenderedLabels([], []), .integer(3))])
        }
        #expect(output.contains("# TYPE b_total gauge\nb_total 2\n") && output.contains("# TYPE c counter\nc 3\n"))
    }

    @Test func helpEscapesQuotesInOpenMetricsOnly() {
        let family = MetricFamily(name: "x_total", type: .counter, labels: [], help: "Say \"hi\" \\ or \n twice.")
        let write = { (writer: inout TextExpositionWriter) in
            writer.write(family, [(RenderedLabels([], []), .integer(1))])
        }
        #expect(text(.openMetrics, write).hasPrefix(#"# HELP x Say \"hi\" \\ or \n twice."#))
        #expect(text(.prometheusText, write).hasPrefix(#"# HELP x_total Say "hi" \\ or \n twice."#))
    }

    @Test func histogramsAndLabelValuesAreTheSameInBoth() {
        let family = MetricFamily(name: "h", type: .histogram, labels: [], help: "H.")
        let gauge = MetricFamily(name: "g", type: .gauge, labels: ["rule"], help: "G.")
        let write = { (writer: inout TextExpositionWriter) in
            writer.writeHistogram(family, buckets: [(0.005, 1)], sum: 0.5, count: 2)
            writer.write(gauge, [(RenderedLabels(["rule"], ["quo\"te \\ new\nline # TYPE z counter"]), .real(1))])
        }
        let samples = #"""
            h_bucket{le="0.005"} 1
            h_bucket{le="+Inf"} 2
            h_sum 0.5
            h_count 2
            # HELP g G.
            # TYPE g gauge
            g{rule="quo\"te \\ new\nline # TYPE z counter"} 1.0

            """#
        #expect(text(.prometheusText, write) == "# HELP h H.\n# TYPE h histogram\n" + samples)
        #expect(text(.openMetrics, write) == "# HELP h H.\n# TYPE h histogram\n" + samples + "# EOF\n")
    }

    @Test func emptyExpositionIsJustEOF() {
        #expect(text(.openMetrics) { _ in } == "# EOF\n")
        #expect(text(.prometheusText) { _ in }.isEmpty)
    }

    @Test func negotiation() {
        let prometheus242 =
            "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,"
            + "text/plain;version=0.0.4;q=0.5,*/*;q=0.1"
        #expect(ExpositionFormat.negotiate(accept: prometheus242) == .openMetrics)
        #expect(ExpositionFormat.negotiate(accept: nil) == .prometheusText)
        #expect(ExpositionFormat.negotiate(accept: "*/*") == .prometheusText)
        #expect(ExpositionFormat.negotiate(accept: "text/plain") == .prometheusText)
        #expect(ExpositionFormat.negotiate(accept: "application/json") == .prometheusText)
        #expect(ExpositionFormat.negotiate(accept: "application/openmetrics-text") == .openMetrics)
        #expect(
            ExpositionFormat.negotiate(accept: "Application/OpenMetrics-Text; Version=1.0.0 ; charset=utf-8")
                == .openMetrics)
        #expect(
            ExpositionFormat.negotiate(accept: "text/plain;q=0.9, application/openmetrics-text;q=0.5")
                == .prometheusText)
        #expect(ExpositionFormat.negotiate(accept: "text/plain;q=0.5, application/openmetrics-text") == .openMetrics)
        #expect(ExpositionFormat.negotiate(accept: "application/openmetrics-text;q=0, text/plain") == .prometheusText)
        #expect(ExpositionFormat.negotiate(accept: "application/openmetrics-text;version=9.9.9") == .prometheusText)
        #expect(ExpositionFormat.negotiate(accept: "application/openmetrics-text;version=\"1.0.0\"") == .openMetrics)
        #expect(ExpositionFormat.prometheusText.contentType == "text/plain; version=0.0.4; charset=utf-8")
        #expect(
            ExpositionFormat.openMetrics.contentType == "application/openmetrics-text; version=1.0.0; charset=utf-8")
    }
}
