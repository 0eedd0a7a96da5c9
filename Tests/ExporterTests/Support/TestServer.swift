import Foundation
import NIOCore
import Synchronization
import VtapHTTPTestClient
import VtapRuleModel
import VtapTestSupport

@testable import VtapExporter

/// Maps that are not there: a read closure that counts its calls, may take
/// its time and may fail.
final class FakeMaps: Sendable {
    private let state: Mutex<(reads: Int, failing: Bool)>
    /// Seconds each read takes.
    let delay: TimeInterval
    let snapshot: ExportSnapshot

    init(snapshot: ExportSnapshot = ExpositionFixture.snapshot, delay: TimeInterval = 0, failing: Bool = false) {
        self.snapshot = snapshot
        self.delay = delay
        state = Mutex((0, failing))
    }

    var reads: Int { state.withLock { $0.reads } }

    func setFailing(_ failing: Bool) { state.withLock { $0.failing = failing } }

    func read() throws -> ExportSnapshot {
        let failing = state.withLock { state in
            state.reads += 1
            return state.failing
        }
        if delay > 0 { Thread.sleep(forTimeInterval: delay) }
        if failing { throw HTTPTestError("the maps are gone") }
        return snapshot
    }
}

/// A started MetricsServer on loopback, stopped when the test is done with it.
final class TestServer: Sendable {
    let server: MetricsServer
    let port: Int
    let maps: FakeMaps

    /// Short timeouts, so hostile-client tests finish in seconds.
    static let quickLimits = ConnectionLimits(
        idleTimeout: .seconds(1), requestTimeout: .seconds(1), writeTimeout: .seconds(1))

    private init(server: MetricsServer, port: Int, maps: FakeMaps) {
        self.server = server
        self.port = port
        self.maps = maps
    }

    static func start(
        maps: FakeMaps = FakeMaps(), host: String = "127.0.0.1", port: Int = 0,
        limits: ConnectionLimits = ConnectionLimits(), manifest: Manifest = ExpositionFixture.manifest
    ) async throws -> TestServer {
        let server = MetricsServer(
            manifest: manifest, configuration: ExporterConfiguration(host: host, port: port), version: "test",
            limits: limits, read: { try maps.read() })
        let bound = try await Blocking.run { try server.start() }
        return TestServer(server: server, port: bound, maps: maps)
    }

    /// `body` with a started server, stopped afterwards whatever happens.
    static func with<T: Sendable>(
        maps: FakeMaps = FakeMaps(), host: String = "127.0.0.1", port: Int = 0,
        limits: ConnectionLimits = ConnectionLimits(), manifest: Manifest = ExpositionFixture.manifest,
        _ body: (TestServer) async throws -> T
    ) async throws -> T {
        let server = try await start(maps: maps, host: host, port: port, limits: limits, manifest: manifest)
        do {
            let result = try await body(server)
            await server.stop()
            return result
        } catch {
            await server.stop()
            throw error
        }
    }

    func stop() async {
        _ = try? await Blocking.run { self.server.stop() }
    }

    /// One request on a connection of its own, from a thread of its own.
    func get(
        _ path: String = "/metrics", method: String = "GET", headers: [String] = [], host: String = "127.0.0.1"
    ) async throws -> HTTPTestResponse {
        let port = port
        return try await Blocking.run {
            try HTTPTestClient.get(path, port: port, host: host, method: method, headers: headers)
        }
    }
}
