import Testing

@testable import VtapExporter

@Suite struct OpenMetricsTests {
    func convert(_ text: String) -> String {
        String(decoding: OpenMetrics.convert(Array(text.utf8)), as: UTF8.self)
    }

    @Test func counterFamiliesLoseTotalInMetadataOnly() {
        let text = """
            # HELP vtap_packets_total Packets.
            # TYPE vtap_packets_total counter
            vtap_packets_total{rule="a"} 5
            # HELP vtap_rules Rules.
            # TYPE vtap_rules gauge
            vtap_rules 3.0

            """
        #expect(
            convert(text) == """
                # HELP vtap_packets Packets.
                # TYPE vtap_packets counter
                vtap_packets_total{rule="a"} 5
                # HELP vtap_rules Rules.
                # TYPE vtap_rules gauge
                vtap_rules 3.0
                # EOF

                """)
    }

    @Test func typeBeforeHelpAndNamesThatOnlyLookAlike() {
        let text = """
            # TYPE a_total counter
            # HELP a_total Counts.
            a_total 1
            # TYPE b_total gauge
            b_total 2
            # TYPE c counter
            c 3

            """
        #expect(
            convert(text) == """
                # TYPE a counter
                # HELP a Counts.
                a_total 1
                # TYPE b_total gauge
                b_total 2
                # TYPE c counter
                c 3
                # EOF

                """)
    }

    @Test func helpEscapesQuotesAndKeepsTheOtherEscapes() {
        let text = #"""
            # HELP x_total Say "hi" \\ or \n twice.
            # TYPE x_total counter

            """#
        #expect(
            convert(text) == #"""
                # HELP x Say \"hi\" \\ or \n twice.
                # TYPE x counter
                # EOF

                """#)
    }

    @Test func labelValuesAndHistogramsPassThrough() {
        let text = #"""
            # TYPE h histogram
            h_bucket{le="0.005"} 1
            h_bucket{le="+Inf"} 2
            h_sum 0.5
            h_count 2
            # TYPE g gauge
            g{rule="quo\"te \\ new\nline # TYPE z counter"} 1.0

            """#
        #expect(convert(text) == text + "# EOF\n")
    }

    @Test func emptyExpositionIsJustEOF() {
        #expect(convert("") == "# EOF\n")
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
