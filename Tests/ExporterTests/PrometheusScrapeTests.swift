import Foundation
import Testing
import VtapHTTPTestClient
import VtapTestSupport

@testable import VtapExporter

extension LoopbackServerTests {
    /// A real Prometheus (2.42 here) scrapes the exporter. It asks for
    /// OpenMetrics first, and promtool cannot judge that format, so this is the
    /// oracle for it: the scrape must succeed and every sample land.
    @Suite struct PrometheusScrapeTests {
        @Test(.prometheus, .timeLimit(.minutes(1)))
        func prometheusScrapesOpenMetrics() async throws {
            _ = try #require(Promtool.prometheusPath, "prometheus is not installed")
            try await TestServer.with { server in
                let port = server.port
                // PrometheusServer blocks (curl, polling): off the pool the server needs.
                let prometheus = try await Blocking.run {
                    try PrometheusServer(
                        configuration: """
                            global:
                              scrape_interval: 1s
                              evaluation_interval: 1s
                            scrape_configs:
                              - job_name: vtap
                                static_configs:
                                  - targets: ['127.0.0.1:\(port)']
                            """)
                }
                defer { prometheus.stop() }
                func query(_ promQL: String) async throws -> [PrometheusServer.Sample] {
                    try await Blocking.run { try prometheus.query(promQL) }
                }
                try await Blocking.run {
                    try prometheus.wait(timeout: .seconds(20), for: "up == 1") {
                        try prometheus.query("up").first?.value == 1
                    }
                }

                let web = try await query(#"vtap_packets_total{interface="eth0",protocol="tcp",rule="web"}"#)
                #expect(web.map(\.value) == [10])
                let nasty = try await query(#"vtap_packets_total{interface="eth0",protocol="udp",rule!="web"}"#)
                #expect(nasty.map { $0.labels["rule"] } == [ExpositionFixture.nasty], "the label arrives intact")
                #expect(try await query("vtap_build_info").first?.labels["version"] == "test")
                #expect(try await query("count(vtap_malformed_packets_total)").first?.value == 12)

                // Every sample line served was ingested.
                let body = try await server.get(headers: [MetricsServerTests.prometheusAccept]).text
                let sampleLines = body.split(separator: "\n").filter { !$0.hasPrefix("#") }.count
                let scraped = try await query(#"scrape_samples_scraped{job="vtap"}"#)
                #expect(scraped.map(\.value) == [Double(sampleLines)])

                // The metadata is keyed by OpenMetrics family names: OpenMetrics it was.
                let text = try await Blocking.run {
                    try prometheus.get("/api/v1/metadata", query: ["metric": "vtap_packets"])
                }
                let metadata = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]
                let families = (metadata?["data"] as? [String: Any])?["vtap_packets"] as? [[String: Any]]
                #expect(families?.first?["type"] as? String == "counter", "\(text)")
                #expect(families?.first?["help"] as? String == MetricFamilies.family(of: .packets)?.help)
            }
        }
    }
}
