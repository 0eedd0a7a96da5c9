import Foundation
import Testing
import VtapHTTPTestClient
import VtapSystem
import VtapTestSupport

@testable import VtapExporter

#if canImport(Glibc)
    import Glibc
#endif

extension LoopbackServerTests {
    /// The server on loopback with fake maps: no kernel needed.
    @Suite struct MetricsServerTests {
        static let prometheusAccept =
            "Accept: application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,"
            + "text/plain;version=0.0.4;q=0.5,*/*;q=0.1"

        @Test func portZeroBindsARealPortAndServesTheTextFormat() async throws {
            try await TestServer.with { server in
                #expect(server.port > 0)
                let response = try await server.get()
                #expect(response.status == 200)
                #expect(response.header("Content-Type") == "text/plain; version=0.0.4; charset=utf-8")
                let reader = try ExpositionReader(response.body)
                #expect(
                    reader.value("vtap_packets_total", ["interface": "eth0", "protocol": "tcp", "rule": "web"]) == 10)
                #expect(reader.value("vtap_build_info", ["version": "test"]) == 1)
                #expect(reader.types["vtap_packets_total"] == "counter")
                #expect(!response.text.contains("# EOF"))
            }
        }

        @Test func openMetricsWhenPrometheusAsksForIt() async throws {
            try await TestServer.with { server in
                let response = try await server.get(headers: [Self.prometheusAccept])
                #expect(response.status == 200)
                #expect(response.header("Content-Type") == "application/openmetrics-text; version=1.0.0; charset=utf-8")
                #expect(response.text.hasSuffix("\n# EOF\n"))
                #expect(response.text.contains("# TYPE vtap_packets counter\n"))
                #expect(response.text.contains("# TYPE vtap_scrape_duration_seconds histogram\n"))
                let reader = try ExpositionReader(response.body)
                #expect(
                    reader.value("vtap_packets_total", ["interface": "veth-a", "protocol": "tcp", "rule": "web"]) == 3)

                let plain = try await server.get(headers: ["Accept: text/plain;version=0.0.4"])
                #expect(plain.header("Content-Type") == "text/plain; version=0.0.4; charset=utf-8")
            }
        }

        /// HEAD gives the headers GET would, and no body: the next response on
        /// the same connection must parse.
        @Test func headHasNoBody() async throws {
            try await TestServer.with { server in
                let port = server.port
                let (head, get) = try await Blocking.run {
                    let connection = try HTTPTestConnection(port: port)
                    return (try connection.request("HEAD", "/metrics"), try connection.request("GET", "/metrics"))
                }
                #expect(head.status == 200)
                #expect(head.header("Content-Type") == "text/plain; version=0.0.4; charset=utf-8")
                #expect(Int(head.header("Content-Length") ?? "") ?? 0 > 0)
                #expect(get.status == 200)
                #expect(get.text.contains("vtap_packets_total"))
            }
        }

        @Test func rootLinksToMetricsAndOtherPathsAreNotFound() async throws {
            try await TestServer.with { server in
                let root = try await server.get("/")
                #expect(root.status == 200)
                #expect(root.text.contains(#"href="/metrics""#))
                for path in ["/metric", "/metrics/", "/metrics/x", "/favicon.ico", "/%2e%2e/etc/passwd", "//metrics"] {
                    let response = try await server.get(path)
                    #expect(response.status == 404, "\(path)")
                }
                let query = try await server.get("/metrics?debug=1")
                #expect(query.status == 200, "a query does not change the path")
            }
        }

        @Test(arguments: ["POST", "PUT", "DELETE", "PATCH", "OPTIONS"])
        func otherMethodsAreNotAllowed(method: String) async throws {
            try await TestServer.with { server in
                let response = try await server.get("/metrics", method: method)
                #expect(response.status == 405)
                #expect(response.header("Allow") == "GET, HEAD")
                #expect(server.maps.reads == 0, "no map read for a request that is refused")
            }
        }

        @Test func aPostWithABodyIsRefusedAndTheConnectionStaysUsable() async throws {
            try await TestServer.with { server in
                let port = server.port
                let (post, get) = try await Blocking.run {
                    let connection = try HTTPTestConnection(port: port)
                    try connection.send("POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello")
                    let post = try connection.readResponse()
                    return (post, try connection.request("GET", "/metrics"))
                }
                #expect(post.status == 405)
                #expect(get.status == 200)
            }
        }

        @Test func aPortInUseIsAClearError() async throws {
            try await TestServer.with { first in
                let second = MetricsServer(
                    manifest: ExpositionFixture.manifest, configuration: ExporterConfiguration(port: first.port),
                    version: "t",
                    read: { ExpositionFixture.snapshot })
                let error = await #expect(throws: MetricsServerError.self) {
                    _ = try await Blocking.run { try second.start() }
                }
                #expect(error?.description == "cannot listen on 127.0.0.1:\(first.port): Address already in use")
                second.stop()
                let response = try await first.get()
                #expect(response.status == 200, "the first server goes on")
            }
        }

        @Test func anAddressThatIsNotLocalIsAClearError() async throws {
            for (host, reason) in [
                ("192.0.2.1", "Cannot assign requested address"), ("no-such-host.invalid", "unknown host"),
            ] {
                let server = MetricsServer(
                    manifest: ExpositionFixture.manifest, configuration: ExporterConfiguration(host: host, port: 0),
                    version: "t", read: { ExpositionFixture.snapshot })
                let error = await #expect(throws: MetricsServerError.self) {
                    _ = try await Blocking.run { try server.start() }
                }
                let description = error?.description ?? ""
                #expect(
                    description.hasPrefix("cannot listen on \(host):0: ") && description.contains(reason),
                    "\(description)")
                #expect(!description.contains("\n"))
            }
        }

        @Test func stopIsIdempotentAndFreesThePort() async throws {
            let server = try await TestServer.start()
            let port = server.port
            await server.stop()
            await server.stop()
            await #expect(throws: HTTPTestError.self, "nothing listens any more") {
                _ = try await Blocking.run { try HTTPTestConnection(port: port) }
            }
            try await TestServer.with(port: port) { again in
                #expect(again.port == port)
                let response = try await again.get()
                #expect(response.status == 200)
            }
        }

        /// Prometheus keeps its connection between scrapes; stop must not wait
        /// for it (nor for the grace it gives open requests).
        @Test func stopWithAKeptAliveConnectionIsQuick() async throws {
            let server = try await TestServer.start()
            let port = server.port
            let connection = try await Blocking.run { () -> HTTPTestConnection in
                let connection = try HTTPTestConnection(port: port)
                _ = try connection.request("GET", "/metrics")
                return connection
            }
            let started = ContinuousClock.now
            await server.stop()
            let elapsed = ContinuousClock.now - started
            #expect(elapsed < .seconds(1), "\(elapsed)")
            let closed = try await Blocking.run { connection.closedByServer(within: 1) }
            #expect(closed)
        }

        @Test func stopWhileScrapesAndIdleConnectionsAreOpen() async throws {
            let server = try await TestServer.start(maps: FakeMaps(delay: 0.3))
            let port = server.port
            let idle = try await Blocking.run { try HTTPTestConnection(port: port) }
            let scrape = Task { try? await server.get() }
            try await Task.sleep(for: .milliseconds(100))
            let started = ContinuousClock.now
            await server.stop()
            print("stop with an idle connection and a scrape under way: \(ContinuousClock.now - started)")
            #expect(ContinuousClock.now - started < .seconds(5))
            _ = await scrape.value
            let closed = try await Blocking.run { idle.closedByServer(within: 2) }
            #expect(closed, "open connections are closed")
        }

        /// A scrape still open after the grace (its read takes 3 s) is cut
        /// off once its read returns: the cancelling path of stop, which
        /// must not crash either.
        @Test func stopCutsOffAScrapeStillOpenAfterTheGrace() async throws {
            let server = try await TestServer.start(maps: FakeMaps(delay: 3))
            let scrape = Task { try? await server.get() }
            try await Task.sleep(for: .milliseconds(200))
            let started = ContinuousClock.now
            await server.stop()
            let elapsed = ContinuousClock.now - started
            #expect(elapsed > .seconds(2) && elapsed < .seconds(5), "the grace, then the read under way: \(elapsed)")
            _ = await scrape.value
            let refused = try? await server.get()
            #expect(refused == nil, "nothing listens any more")
        }

        @Test func startFromSeveralThreadsGivesOneServer() async throws {
            let server = MetricsServer(
                manifest: ExpositionFixture.manifest, configuration: ExporterConfiguration(port: 0), version: "t",
                read: { ExpositionFixture.snapshot })
            let ports = await Blocking.concurrently(4) { _ in (try? server.start()) ?? -1 }
            #expect(Set(ports).count == 1 && ports[0] > 0)
            _ = await Blocking.concurrently(4) { _ in server.stop() }
        }

        @Test func ipv6Loopback() async throws {
            guard Self.hasIPv6Loopback else { return }
            try await TestServer.with(host: "::1") { server in
                let response = try await server.get(host: "::1")
                #expect(response.status == 200)
            }
        }

        @Test func everyIPv4Address() async throws {
            try await TestServer.with(host: "0.0.0.0") { server in
                let response = try await server.get(host: "127.0.0.1")
                #expect(response.status == 200)
            }
        }

        @Test func aFailedReadStillAnswersWithTheExportersOwnMetrics() async throws {
            let maps = FakeMaps(failing: true)
            try await TestServer.with(maps: maps) { server in
                let failed = try await server.get()
                #expect(failed.status == 200)
                let reader = try ExpositionReader(failed.body)
                #expect(reader.value("vtap_map_read_errors_total") == 1)
                #expect(reader.samples("vtap_packets_total").isEmpty)
                #expect(reader.value("vtap_build_info", ["version": "test"]) == 1)

                maps.setFailing(false)
                let recovered = try ExpositionReader(try await server.get().body)
                #expect(recovered.value("vtap_map_read_errors_total") == 1)
                #expect(recovered.samples("vtap_packets_total").count == 6)
                #expect(recovered.value("vtap_scrape_duration_seconds_count") == 1, "the scrape before this one")
            }
        }

        /// A failed read shared by several scrapes is one error, not one per scrape.
        @Test func aFailedSharedReadCountsOnce() async throws {
            let maps = FakeMaps(delay: 0.5, failing: true)
            try await TestServer.with(maps: maps) { server in
                let statuses = await Blocking.concurrently(10) { [port = server.port] _ in
                    (try? HTTPTestClient.get("/metrics", port: port).status) ?? 0
                }
                #expect(statuses.allSatisfy { $0 == 200 })
                maps.setFailing(false)
                let reader = try ExpositionReader(try await server.get().body)
                #expect(reader.value("vtap_map_read_errors_total") == Double(maps.reads - 1))
                #expect(maps.reads - 1 <= 2, "10 scrapes within half a second: \(maps.reads - 1) reads")
            }
        }

        /// The read blocks its thread; everything else goes on meanwhile.
        @Test func aSlowReadBlocksNothingElse() async throws {
            try await TestServer.with(maps: FakeMaps(delay: 2)) { server in
                let scrape = Task { try await server.get() }
                try await Task.sleep(for: .milliseconds(200))
                let started = ContinuousClock.now
                let pages = await Blocking.concurrently(20) { [port = server.port] _ in
                    (try? HTTPTestClient.get("/", port: port).status) ?? 0
                }
                #expect(pages.allSatisfy { $0 == 200 })
                #expect(ContinuousClock.now - started < .seconds(1), "pages while the read is still under way")
                #expect(try await scrape.value.status == 200)
            }
        }

        /// Every thread of Swift's cooperative pool blocked by code
        /// elsewhere in the process (in a test run: synchronous tests
        /// waiting on child processes) must not stop the exporter: before
        /// it had threads of its own, a request waited until one was free
        /// (5 s and more on a two-core CI machine).
        @Test func requestsAreAnsweredWhileTheCooperativePoolIsBlocked() async throws {
            try await TestServer.with { server in
                // Each priority has a pool of its own, as wide as the
                // machine has cores; the test runner's tasks are high.
                let priorities: [TaskPriority] = [.high, .medium, .low]
                let blockerCount = ProcessInfo.processInfo.activeProcessorCount * priorities.count
                let release = MonotonicLatch()
                let blockerStarted = DispatchSemaphore(value: 0)
                for priority in priorities {
                    for _ in 0..<ProcessInfo.processInfo.activeProcessorCount {
                        Task.detached(priority: priority) {
                            blockerStarted.signal()
                            _ = release.wait(seconds: 15)
                        }
                    }
                }
                let port = server.port
                let outcome = try await Blocking.run {
                    defer { release.open() }
                    // Other tests may hold pool threads now (what this test
                    // is about): a blocker waits for one of those, and the
                    // pool is just as blocked. A blocker that starts after
                    // the release finds the latch open and ends at once.
                    let deadline = DispatchTime.now() + 5
                    var blockers = 0
                    while blockers < blockerCount, blockerStarted.wait(timeout: deadline) == .success { blockers += 1 }
                    let started = Date()
                    let status = (try? HTTPTestClient.get("/metrics", port: port).status) ?? 0
                    return (status: status, seconds: Date().timeIntervalSince(started))
                }
                #expect(outcome.status == 200)
                #expect(outcome.seconds < 2, "answered in \(outcome.seconds) s")
            }
        }

        static let hasIPv6Loopback: Bool = {
            let fd = socket(AF_INET6, Int32(SOCK_STREAM.rawValue), 0)
            guard fd >= 0 else { return false }
            defer { close(fd) }
            var address = sockaddr_in6()
            address.sin6_family = sa_family_t(AF_INET6)
            address.sin6_addr = in6addr_loopback
            return withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in6>.size)) == 0
                }
            }
        }()
    }
}
