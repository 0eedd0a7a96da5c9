import Dispatch
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization
import VtapRuleModel
import VtapSystem

#if canImport(Glibc)
    import Glibc
#endif

/// Serves GET /metrics until stopped. Synchronous facade: the caller (vtap
/// run) is a blocking loop, so the Hummingbird application runs in a task of
/// its own and `start` waits until it is bound.
public final class MetricsServer: Sendable {
    private let configuration: ExporterConfiguration
    private let limits: ConnectionLimits
    private let responder: MetricsResponder
    private let running = Mutex<Running?>(nil)

    private struct Running: Sendable {
        var group: ServiceGroup
        var task: Task<Void, Never>
        var finished: MonotonicLatch
        var port: Int
    }

    /// How long `stop` lets open requests finish before cutting them off.
    private static let stopGrace = 2.0

    public convenience init(
        manifest: Manifest, configuration: ExporterConfiguration, version: String,
        read: @escaping @Sendable () throws -> ExportSnapshot
    ) {
        self.init(
            manifest: manifest, configuration: configuration, version: version, limits: ConnectionLimits(), read: read)
    }

    init(
        manifest: Manifest, configuration: ExporterConfiguration, version: String, limits: ConnectionLimits,
        read: @escaping @Sendable () throws -> ExportSnapshot
    ) {
        self.configuration = configuration
        self.limits = limits
        let selfMetrics = ExporterSelfMetrics(version: version, ruleCount: manifest.rules.count)
        // Counted here, inside the shared read, so a failure counts once
        // however many scrapes were waiting for it.
        let coalescer = ScrapeCoalescer {
            let outcome = Result { try read() }
            selfMetrics.record(read: outcome)
            return SharedScrape(snapshot: try? outcome.get())
        }
        responder = MetricsResponder(
            exposition: MetricsExposition(manifest: manifest), selfMetrics: selfMetrics, coalescer: coalescer)
    }

    /// A server nobody can stop any more stops now, freeing its port.
    deinit { stop() }

    /// Binds and starts serving on background threads; returns once bound,
    /// with the bound port. Throws a `MetricsServerError` ("cannot listen on
    /// 127.0.0.1:8080: Address already in use") when it cannot bind.
    ///
    /// It blocks until then: call it from an ordinary thread, not from a
    /// task on the Swift concurrency pool, which the server needs to start.
    /// Once started, a second call returns the same port.
    public func start() throws -> Int {
        try running.withLock { running in
            if let running { return running.port }
            let started = try launch()
            running = started
            return started.port
        }
    }

    /// Stops serving, closes the socket; idempotent; returns when done.
    ///
    /// Open requests get a grace of 2 s; after it they are cut off, but a
    /// map read under way is waited for (it is not interruptible). Like
    /// `start`, it blocks: call it from an ordinary thread.
    public func stop() {
        running.withLock { running in
            guard let current = running else { return }
            // Gracefully first: the listening socket closes, every
            // connection already accepted is still taken over and closed
            // once idle. Cancelling at once could drop a connection NIO had
            // accepted but not handed over yet, which NIO treats as a fatal
            // error ("Deinited NIOAsyncWriter without calling finish()").
            Task { await current.group.triggerGracefulShutdown() }
            if !current.finished.wait(seconds: Self.stopGrace) {
                // A request still open after the grace: cut it off.
                current.task.cancel()
                current.finished.wait()
            }
            running = nil
        }
    }

    private func launch() throws -> Running {
        let startup = Startup()
        let limits = limits
        let application = Application(
            responder: responder,
            server: .http1(
                configuration: .init(
                    // An autoclosure: every connection gets its own guard.
                    additionalChannelHandlers: [SlowClientGuard(limits: limits)],
                    idleTimeout: limits.idleTimeout,
                    httpDecoderConfiguration: .init(
                        maxHeaderFieldSize: limits.maxHeaderBytes, maxHeaderListSize: limits.maxHeaderBytes))),
            configuration: .init(
                address: .hostname(configuration.host, port: configuration.port),
                availableConnectionsDelegate: MaximumAvailableConnections(limits.maxConnections, logger: Self.logger)),
            onServerRunning: { channel in
                startup.report(.success(channel.localAddress?.port ?? 0))
            },
            logger: Self.logger)

        // A group of our own, without signal handlers: vtap handles its signals itself.
        let group = ServiceGroup(configuration: .init(services: [application], logger: Self.logger))
        let finished = MonotonicLatch()
        // On the exporter's own threads: its request handlers (child
        // tasks, which inherit the preference) then neither wait behind
        // other async work nor for a cooperative thread that something
        // else blocks (see ExporterThreads).
        let task = Task.detached(executorPreference: ExporterThreads.shared, priority: .high) {
            do {
                try await group.run()
                startup.report(.failure(StartupError.endedBeforeListening))
            } catch {
                startup.report(.failure(error))
            }
            finished.open()
        }
        switch startup.wait(seconds: 30) {
        case .success(let port):
            return Running(group: group, task: task, finished: finished, port: port)
        case .failure(let error):
            task.cancel()
            finished.wait()
            throw MetricsServerError(address: configuration.listenText, reason: Self.reason(error))
        }
    }

    /// Hummingbird, NIO and service-lifecycle log to stderr by default; what
    /// matters to an operator comes back from `start` or shows in the
    /// exporter's own metrics instead.
    private static let logger = Logger(label: "vtap.exporter") { _ in SwiftLogNoOpLogHandler() }

    private static func reason(_ error: any Error) -> String {
        if let error = error as? IOError { return SystemError.text(error.errnoCode) }
        if let error = error as? SocketAddressError.UnknownHost { return "unknown host (\(error.errorDescription))" }
        if let error = error as? SocketAddressError, case .unknown = error { return "unknown host" }
        return "\(error)"
    }
}

/// The server could not start.
public struct MetricsServerError: Error, Equatable, CustomStringConvertible {
    /// As "ADDR:PORT".
    public var address: String
    public var reason: String
    public var description: String { "cannot listen on \(address): \(reason)" }
}

private enum StartupError: Error, CustomStringConvertible {
    case endedBeforeListening
    case timedOut

    var description: String {
        switch self {
        case .endedBeforeListening: "the server ended before it was listening"
        case .timedOut: "the server did not start listening within 30 s"
        }
    }
}

/// The first word from the starting server: its port, or why it failed.
private final class Startup: Sendable {
    private let outcome = Mutex<Result<Int, any Error>?>(nil)
    private let reported = MonotonicLatch()

    func report(_ result: Result<Int, any Error>) {
        let first = outcome.withLock { outcome in
            guard outcome == nil else { return false }
            outcome = result
            return true
        }
        if first { reported.open() }
    }

    func wait(seconds: Double) -> Result<Int, any Error> {
        guard reported.wait(seconds: seconds) else { return .failure(StartupError.timedOut) }
        return outcome.withLock { $0! }
    }
}
