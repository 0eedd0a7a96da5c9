import Foundation
import Testing
import VtapTestSupport

@testable import VtapExporter

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
#if canImport(Glibc)
import Glibc
#endif

extension LoopbackServerTests {
    /// A real Prometheus (2.42 here) scrapes the exporter. It asks for
    /// OpenMetrics first, and promtool cannot judge that format, so this is the
    /// oracle for it: the scrape must succeed and every sample land.
    @Suite struct PrometheusScrapeTests {
        @Test(.prometheus, .timeLimit(.minutes(1)))
        func prometheusScrapesOpenMetrics() async throws {
            _ = try #require(Promtool.prometheusPath, "prometheus is not installed")
            try await TestServer.with { server in
                let directory = try TemporaryDirectory(prefix: "vtap-prometheus")
                let webPort = try Self.freePort()
                let config = directory.file("prometheus.yml")
                try """
                global:
                  scrape_interval: 1s
                  evaluation_interval: 1s
                scrape_configs:
                  - job_name: vtap
                    static_configs:
                      - targets: ['127.0.0.1:\(server.port)']

                """.write(to: config, atomically: true, encoding: .utf8)
                let prometheus = try RunningCommand([
                    "prometheus", "--config.file=\(config.path)", "--storage.tsdb.path=\(directory.file("data").path)",
                    "--web.listen-address=127.0.0.1:\(webPort)",
                ])
                // Killed and waited for whatever happens; its directory goes with `directory`.
                defer {
                    prometheus.terminate()
                    _ = prometheus.wait(timeout: .seconds(10))
                }
                let api = PrometheusAPI(port: webPort)
                let ready = await api.poll(timeout: 20) { try await api.query("up").first?.value == "1" }
                #expect(ready, "up == 1\n\(prometheus.standardErrorSoFar.suffix(2000))")
                try #require(ready)

                let web = try await api.query(#"vtap_packets_total{interface="eth0",protocol="tcp",rule="web"}"#)
                #expect(web.map(\.value) == ["10"])
                let nasty = try await api.query(#"vtap_packets_total{interface="eth0",protocol="udp",rule!="web"}"#)
                #expect(nasty.map { $0.labels["rule"] } == [ExpositionFixture.nasty], "the label arrives intact")
                #expect(try await api.query("vtap_build_info").first?.labels["version"] == "test")
                #expect(try await api.query("count(vtap_malformed_packets_total)").first?.value == "12")

                // Every sample line served was ingested.
                let body = try await server.get(headers: [MetricsServerTests.prometheusAccept]).text
                let sampleLines = body.split(separator: "\n").filter { !$0.hasPrefix("#") }.count
                let scraped = try await api.query(#"scrape_samples_scraped{job="vtap"}"#)
                #expect(scraped.map(\.value) == [String(sampleLines)])

                // The metadata is keyed by OpenMetrics family names: OpenMetrics it was.
                let metadata = try await api.get("/api/v1/metadata?metric=vtap_packets")
                let families = (metadata["data"] as? [String: Any])?["vtap_packets"] as? [[String: Any]]
                #expect(families?.first?["type"] as? String == "counter", "\(metadata)")
                #expect(families?.first?["help"] as? String == MetricFamilies.packets.help)
            }
        }

        static func freePort() throws -> Int {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            defer { close(fd) }
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = UInt32(0x7f00_0001).bigEndian
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            let bound = withUnsafeMutablePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0
                }
            }
            guard bound else { throw HTTPTestError("no free port: \(String(cString: strerror(errno)))") }
            return Int(UInt16(bigEndian: address.sin_port))
        }
    }
}

/// The few calls of Prometheus's HTTP API the test needs.
struct PrometheusAPI {
    struct Sample {
        var labels: [String: String]
        var value: String
    }

    let port: Int

    func get(_ pathAndQuery: String) async throws -> [String: Any] {
        let url = try #require(URL(string: "http://127.0.0.1:\(port)\(pathAndQuery)"))
        let (data, _) = try await URLSession.shared.data(from: url)
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    /// An instant query's samples.
    func query(_ promQL: String) async throws -> [Sample] {
        var components = URLComponents()
        components.queryItems = [URLQueryItem(name: "query", value: promQL)]
        let encoded = (components.percentEncodedQuery ?? "").replacingOccurrences(of: "+", with: "%2B")
        let response = try await get("/api/v1/query?\(encoded)")
        let result = (response["data"] as? [String: Any])?["result"] as? [[String: Any]] ?? []
        return result.map { series in
            Sample(
                labels: series["metric"] as? [String: String] ?? [:],
                value: (series["value"] as? [Any])?.last as? String ?? "")
        }
    }

    /// Whether `condition` holds within `timeout` seconds (errors count as not yet).
    func poll(timeout: Double, _ condition: () async throws -> Bool) async -> Bool {
        let deadline = ContinuousClock.now + .seconds(timeout)
        while ContinuousClock.now < deadline {
            if (try? await condition()) == true { return true }
            try? await Task.sleep(for: .milliseconds(250))
        }
        return false
    }
}
