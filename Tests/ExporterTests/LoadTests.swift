import Foundation
import Testing
import VtapHTTPTestClient
import VtapTestSupport

@testable import VtapExporter

extension LoopbackServerTests {
    @Suite struct LoadTests {
        static let openMetrics = "Accept: application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5"

        /// One scraper's outcome.
        struct Scraper: Sendable {
            var latencies: [Double] = []
            var failures: [String] = []
            /// Read in full once the clock has stopped.
            var firstResponse: HTTPTestResponse?
            var openMetrics = false
        }

        /// 200 scrapers at once, 5 scrapes each: half keep their connection,
        /// half open one per scrape; half ask for OpenMetrics. Every response
        /// must be whole, and overlapping scrapes share map reads.
        @Test func twoHundredConcurrentScrapers() async throws {
            let scrapers = 200
            let scrapesEach = 5
            let maps = FakeMaps(delay: 0.02)
            try await TestServer.with(maps: maps) { server in
                let port = server.port
                let started = ContinuousClock.now
                let outcomes = await Blocking.concurrently(scrapers) { index in
                    var scraper = Scraper()
                    let keepAlive = index % 2 == 0
                    let headers = index % 4 < 2 ? [Self.openMetrics] : []
                    scraper.openMetrics = !headers.isEmpty
                    var connection: HTTPTestConnection?
                    for scrape in 0..<scrapesEach {
                        let sent = Date()
                        do {
                            if connection == nil || !keepAlive {
                                connection = try HTTPTestConnection(port: port, timeout: 15)
                            }
                            let response = try connection!.request("GET", "/metrics", headers: headers)
                            scraper.latencies.append(Date().timeIntervalSince(sent))
                            if let problem = Self.problem(response, openMetrics: !headers.isEmpty) {
                                scraper.failures.append(problem)
                            }
                            if scraper.firstResponse == nil { scraper.firstResponse = response }
                        } catch {
                            scraper.failures.append("\(error)")
                            connection = nil
                        }
                    }
                    return scraper
                }
                let elapsed = ContinuousClock.now - started
                let latencies = outcomes.flatMap(\.latencies).sorted()
                let failures =
                    outcomes.flatMap(\.failures)
                    + outcomes.compactMap { Self.unreadable($0.firstResponse, $0.openMetrics) }
                let requests = scrapers * scrapesEach
                let selfMetrics = try ExpositionReader(try await server.get().body)
                let handled =
                    try #require(selfMetrics.value("vtap_scrape_duration_seconds_sum"))
                    / Double(requests)
                func percentile(_ p: Double) -> Double {
                    latencies[min(latencies.count - 1, Int(Double(latencies.count) * p))]
                }
                print(
                    "load: \(requests) scrapes by \(scrapers) scrapers in \(elapsed), \(maps.reads) map reads; latency p50 "
                        + String(
                            format: "%.1f ms, p99 %.1f ms, max %.1f ms", percentile(0.5) * 1000,
                            percentile(0.99) * 1000,
                            (latencies.last ?? 0) * 1000)
                        + String(format: "; in the handler (read and render) %.1f ms on average", handled * 1000))
                #expect(failures.count == 0, "e.g. \(failures.prefix(3))")
                #expect(latencies.count == requests)
                #expect(percentile(0.99) < 2, "p99 under a generous bound")
                #expect(maps.reads < requests, "overlapping scrapes share reads")
                #expect(elapsed < .seconds(20))
            }
        }

        /// Scrapes that all arrive during one slow read get that read's result.
        @Test func overlappingScrapesShareOneRead() async throws {
            let maps = FakeMaps(delay: 1)
            try await TestServer.with(maps: maps) { server in
                let port = server.port
                let bodies = await Blocking.concurrently(20) { _ in
                    (try? HTTPTestClient.get("/metrics", port: port))?.text ?? ""
                }
                #expect(maps.reads <= 2, "20 scrapes within a second: \(maps.reads) reads")
                #expect(
                    bodies.allSatisfy {
                        $0.contains(#"vtap_packets_total{interface="eth0",protocol="tcp",rule="web"} 10"#)
                    })
            }
        }

        /// What is wrong with a response, if anything: checked by its first and
        /// last lines while the clock runs.
        static func problem(_ response: HTTPTestResponse, openMetrics: Bool) -> String? {
            guard response.status == 200 else { return "status \(response.status)" }
            let contentType =
                openMetrics ? ExpositionFormat.openMetrics.contentType : ExpositionFormat.prometheusText.contentType
            guard response.header("Content-Type") == contentType else {
                return "content type \(response.header("Content-Type") ?? "none")"
            }
            let text = response.text
            guard text.hasPrefix(openMetrics ? "# HELP vtap_packets " : "# HELP vtap_packets_total "),
                text.hasSuffix(openMetrics ? "\nvtap_interfaces 2.0\n# EOF\n" : "\nvtap_interfaces 2.0\n")
            else { return "incomplete body: \(text.prefix(40)) … \(text.suffix(60))" }
            return nil
        }

        /// What is wrong with a response read in full, if anything.
        static func unreadable(_ response: HTTPTestResponse?, _ openMetrics: Bool) -> String? {
            guard let response else { return "no response" }
            guard let reader = try? ExpositionReader(response.body) else { return "unreadable body" }
            guard reader.samples("vtap_packets_total").count == 6,
                reader.value("vtap_build_info", ["version": "test"]) == 1,
                reader.families.count == MetricFamilies.all.count
            else { return "incomplete body" }
            return nil
        }
    }
}
