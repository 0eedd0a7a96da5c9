import Foundation
import Testing
import VtapHTTPTestClient
import VtapMetrics
import VtapTestSupport

@testable import VtapExporter

extension LoopbackServerTests {
    /// Clients that are broken or mean: each is refused or dropped, and the
    /// server goes on serving everyone else. Timeouts are 1 s here.
    @Suite struct HostileClientTests {
        /// A request that ends in a 4xx, or in the server closing the connection.
        enum Outcome: Equatable, Sendable {
            case status(Int)
            case closed
        }

        static func send(_ bytes: [UInt8], port: Int) throws -> Outcome {
            let connection = try HTTPTestConnection(port: port, timeout: 5)
            do { try connection.send(bytes) } catch { return .closed }  // closed while we were still sending
            do { return .status(try connection.readResponse().status) } catch { return .closed }
        }

        static func servesStill(_ server: TestServer) async throws {
            let response = try await server.get()
            #expect(response.status == 200, "the server still serves")
            #expect(response.text.contains("vtap_packets_total"))
        }

        @Test func aOneMegabyteHeader() async throws {
            try await TestServer.with(limits: TestServer.quickLimits) { server in
                let request =
                    "GET /metrics HTTP/1.1\r\nHost: x\r\nX-Big: " + String(repeating: "a", count: 1 << 20) + "\r\n\r\n"
                let outcome = try await Blocking.run { [port = server.port] in
                    try Self.send(Array(request.utf8), port: port)
                }
                #expect(outcome == .closed || outcome == .status(400) || outcome == .status(431), "\(outcome)")
                #expect(server.maps.reads == 0)
                try await Self.servesStill(server)
            }
        }

        @Test func manyHeaders() async throws {
            try await TestServer.with(limits: TestServer.quickLimits) { server in
                let headers = (0..<5000).map { "X-\($0): v\r\n" }.joined()
                let request = "GET /metrics HTTP/1.1\r\nHost: x\r\n" + headers + "\r\n"
                let outcome = try await Blocking.run { [port = server.port] in
                    try Self.send(Array(request.utf8), port: port)
                }
                #expect(outcome == .closed || outcome == .status(400) || outcome == .status(431), "\(outcome)")
                try await Self.servesStill(server)
            }
        }

        @Test(arguments: [
            "HELLO\r\n\r\n", "GET\r\n\r\n", "GET /metrics HTTP/9.9\r\n\r\n", "GET /metrics FTP/1.1\r\n\r\n",
            "GET /me trics HTTP/1.1\r\nHost: x\r\n\r\n", "GET /metrics HTTP/1.1\r\nNo colon here\r\n\r\n",
            "GET /metrics HTTP/1.1\r\nContent-Length: -1\r\n\r\n", "\u{0}\u{1}\u{2}\u{ff}garbage\r\n\r\n",
        ])
        func aMalformedRequest(request: String) async throws {
            try await TestServer.with(limits: TestServer.quickLimits) { server in
                let outcome = try await Blocking.run { [port = server.port] in
                    try Self.send(Array(request.utf8), port: port)
                }
                #expect(outcome == .closed || outcome == .status(400), "\(outcome)")
                try await Self.servesStill(server)
            }
        }

        @Test func randomBytes() async throws {
            try await TestServer.with(limits: TestServer.quickLimits) { server in
                let outcomes = await Blocking.concurrently(20) { [port = server.port] _ in
                    var generator = SystemRandomNumberGenerator()
                    let bytes = (0..<4096).map { _ in UInt8.random(in: 0...255, using: &generator) }
                    return (try? Self.send(bytes, port: port)) ?? .closed
                }
                #expect(
                    outcomes.allSatisfy { if case .status(let code) = $0 { (400..<500).contains(code) } else { true } })
                try await Self.servesStill(server)
            }
        }

        /// Clients that connect and say nothing neither block a scrape nor keep
        /// their connections: scrapes succeed while they are all still open,
        /// then the idle timeout drops them.
        @Test func silentClients() async throws {
            var limits = TestServer.quickLimits
            limits.idleTimeout = .seconds(3)
            try await TestServer.with(limits: limits) { server in
                let port = server.port
                let silent = try await Blocking.run { try (0..<50).map { _ in try HTTPTestConnection(port: port) } }
                try await Self.servesStill(server)
                try await Self.servesStill(server)
                let openAfterScrapes = await Blocking.concurrently(silent.count) {
                    !silent[$0].closedByServer(within: 0.01)
                }
                #expect(openAfterScrapes.allSatisfy { $0 }, "the scrapes did not wait for them to go")
                let dropped = await Blocking.concurrently(silent.count) { silent[$0].closedByServer(within: 6) }
                #expect(dropped.allSatisfy { $0 }, "every silent connection is dropped after the idle timeout")
            }
        }

        /// Slowloris: a request head a byte at a time that never ends.
        @Test func aTricklingHead() async throws {
            try await TestServer.with(limits: TestServer.quickLimits) { server in
                let port = server.port
                let trickler = Task {
                    try await Blocking.run { () -> Bool in
                        let connection = try HTTPTestConnection(port: port)
                        try connection.send("GET /metrics HTTP/1.1\r\nHost: x\r\nX-Slow: ")
                        let deadline = Date().addingTimeInterval(6)
                        while Date() < deadline {
                            do { try connection.send("a") } catch { return true }  // dropped
                            if connection.closedByServer(within: 0.2) { return true }
                        }
                        return false
                    }
                }
                try await Task.sleep(for: .milliseconds(300))
                try await Self.servesStill(server)
                #expect(try await trickler.value, "dropped although it kept sending")
            }
        }

        /// A body that never ends, a byte at a time.
        @Test func aTricklingBody() async throws {
            try await TestServer.with(limits: TestServer.quickLimits) { server in
                let port = server.port
                let dropped = try await Blocking.run { () -> Bool in
                    let connection = try HTTPTestConnection(port: port)
                    try connection.send("POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n")
                    let deadline = Date().addingTimeInterval(6)
                    while Date() < deadline {
                        do { try connection.send("a") } catch { return true }
                        if connection.closedByServer(within: 0.2) { return true }
                    }
                    return false
                }
                #expect(dropped)
                try await Self.servesStill(server)
            }
        }

        @Test func aHugeBody() async throws {
            try await TestServer.with(limits: TestServer.quickLimits) { server in
                let body = [UInt8](repeating: 0x61, count: 4 << 20)
                let request =
                    Array("POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: \(body.count)\r\n\r\n".utf8) + body
                let outcome = try await Blocking.run { [port = server.port] in
                    let connection = try HTTPTestConnection(port: port, timeout: 5)
                    try? connection.send(request)
                    return connection.closedByServer(within: 4)
                }
                #expect(outcome, "closed instead of reading megabytes of body")
                try await Self.servesStill(server)
            }
        }

        /// A client that sends scrape after scrape and reads nothing: once the
        /// socket buffers are full the response write stalls, and the
        /// connection is dropped after the write timeout. Responses of about a
        /// megabyte (2,000 active rules) fill the buffers in a few scrapes.
        @Test func aClientThatDoesNotRead() async throws {
            let ruleCount = 2000
            let totals = ExporterFixtures.totals(ruleCount: ruleCount) { totals in
                for rule in 0..<ruleCount { totals[rule, .udp].packets = 1 }
            }
            let maps = FakeMaps(
                snapshot: ExportSnapshot(interfaces: [
                    .init(name: "eth0", totals: totals, jitterFrom: totals, jitterTo: totals)
                ]))
            let manifest = ExporterFixtures.manifest(labels: (0..<ruleCount).map { "rule-\($0)" })
            try await TestServer.with(maps: maps, limits: TestServer.quickLimits, manifest: manifest) { server in
                let port = server.port
                let requests = 100
                let (received, sent) = try await Blocking.run { () -> (Int, Int) in
                    let connection = try HTTPTestConnection(port: port, timeout: 2)
                    var sent = 0
                    for _ in 0..<requests {
                        guard (try? connection.send("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")) != nil else { break }
                        sent += 1
                    }
                    Thread.sleep(forTimeInterval: 3)
                    var received = 0
                    while (try? connection.readResponse()) != nil { received += 1 }
                    return (received, sent)
                }
                print(
                    "non-reading client: sent \(sent) requests, got \(received) responses before the server dropped it")
                #expect(received < sent, "dropped before answering every request")
                try await Self.servesStill(server)
            }
        }

        @Test func hundredsOfIdleConnectionsDoNotStopAScrape() async throws {
            try await TestServer.with { server in
                let port = server.port
                let idle = try await Blocking.run { try (0..<300).map { _ in try HTTPTestConnection(port: port) } }
                try await Self.servesStill(server)
                _ = idle
            }
        }
    }
}
