import ArgumentParser
import Foundation
import VtapController
import VtapDiagnostics
import VtapSystem

struct Start: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Start a measurement as an instance that vtap stop and vtap status know by its id.",
        discussion: """
            Takes every option of vtap run. An instance always serves Prometheus metrics: on \
            127.0.0.1, on a port the kernel picks, unless --server-port or --listen says where; so \
            several instances never compete for a port. Once it is attached and serving, it is \
            recorded in the state directory, and <state>/prometheus/targets.json (a Prometheus \
            file_sd file) lists it until it stops.

            In the foreground, vtap start reports like vtap run and ends the same way (SIGINT, \
            SIGTERM, --duration). With --detached it starts the instance in a session of its own, \
            its output appended to <state>/logs/<id>.log, waits until it is attached and serving, \
            prints its id, pid, metrics URL and log file, and returns; if the instance fails first, \
            vtap start prints its error and exits with its exit code.
            """)

    @Flag(help: "Measure in the background: return once the instance is attached and serving.")
    var detached = false

    @Option(help: "The instance's id (letters, digits, '.', '_', '-'); default: the lowest free number.")
    var id: String?

    @OptionGroup var state: StateDirectoryOption

    @Option(
        parsing: .unconditional,
        help: ArgumentHelp(
            "With --detached, how many seconds to wait for the instance to attach (rules may compile first).",
            valueName: "seconds"))
    var startTimeout: Double = 60

    @OptionGroup var options: RunOptions

    func validate() throws {
        if let id {
            do { try InstanceID.validate(id) } catch { throw ValidationError("\(error)") }
        }
        if options.noServer {
            throw ValidationError("an instance always serves metrics; --no-server is for vtap run")
        }
        guard startTimeout > 0, startTimeout.isFinite else { throw ValidationError("--start-timeout must be positive") }
    }

    func run() throws {
        do {
            let registry = state.registry
            if detached { try startDetached(registry) } else { try startInForeground(registry) }
        } catch {
            throw InstanceFailure.exit(error)
        }
    }

    /// Measures here and now, registered from the moment it is attached and
    /// serving until it detaches (whether it ends by a signal, by
    /// --duration or by an error).
    private func startInForeground(_ registry: InstanceRegistry) throws {
        var options = options
        // Port 0: the kernel picks a free port as the server binds, so there is no race to lose.
        if options.serverPort == nil, options.listen == nil { options.serverPort = 0 }
        if let id { try registry.checkAvailable(id) }
        let object = absolutePath(options.object)
        let logFile = id.map(registry.logFile(for:)).flatMap { Self.isStandardOutput($0) ? $0 : nil }
        var registered: Instance?
        defer { if let registered { try? registry.unregister(registered) } }
        // A sibling instance killed outright (SIGKILL, OOM) cannot take its
        // entry and its Prometheus target away: every running instance
        // prunes the registry now and then, so the target goes within
        // seconds rather than at the next vtap command.
        var pruning: DispatchSourceTimer?
        defer { pruning?.cancel() }
        try LiveSession.run(options) { session in
            guard let host = session.metricsHost, let port = session.metricsPort else {
                throw ControllerError.io("internal error: the instance started without a metrics server")
            }
            let instance = try registry.register(id: id) { id in
                Instance(
                    id: id, process: .current, interfaces: session.interfaces, object: object, metricsHost: host,
                    metricsPort: port, started: Date(), logFile: logFile, commandLine: CommandLine.arguments,
                    programs: session.programs.map { .init(name: $0.name, interface: $0.interface, id: $0.id) })
            }
            registered = instance
            let timer = DispatchSource.makeTimerSource(queue: .global(qos: .utility))
            timer.schedule(deadline: .now() + Self.pruneInterval, repeating: Self.pruneInterval)
            timer.setEventHandler { try? registry.prune() }
            timer.resume()
            pruning = timer
            LiveSession.notice("instance \(instance.id) (pid \(instance.pid)) registered in \(registry.stateDirectory)")
        }
    }

    /// Starts this command again without --detached, in a session of its
    /// own, and waits for it to register.
    private func startDetached(_ registry: InstanceRegistry) throws {
        let id = try registry.reserve(id)
        defer { registry.releaseReservation(id) }
        let log = registry.logFile(for: id)
        let offset = DetachedLaunch.logSize(log)
        let arguments = DetachedLaunch.childArguments(
            CommandLine.arguments, id: id, stateDirectory: registry.stateDirectory)
        let child = try DetachedLaunch.spawn(
            executable: ChildProcess.currentExecutable, arguments: arguments, logFile: log)
        switch DetachedLaunch.awaitStart(
            child: child, id: id, registry: registry, logFile: log, logOffset: offset, timeout: startTimeout)
        {
        case .started(let instance):
            print("instance \(id) started: pid \(instance.pid), metrics \(instance.metricsURL), log \(log)")
        case .exited(0, _):
            print("instance \(id) ended by itself before it could be seen running; log \(log)")
        case .exited(let status, let line):
            StandardStreams.writeError("\(line ?? "vtap: error: instance \(id) failed (exit \(status)); log \(log)")\n")
            throw ExitCode(status)
        case .signalled(let signal, _):
            throw InstanceFailure.fail(
                "instance \(id) was killed by signal \(signal) before it attached; log \(log)",
                code: ExitCodes.internalError)
        case .timedOut:
            throw ControllerError.startTimedOut(id: id, seconds: startTimeout, log: log)
        }
    }

    /// How often a running instance removes the entries of dead ones.
    static let pruneInterval: DispatchTimeInterval = .seconds(3)

    /// Whether stdout is `path` (a detached instance writes to its log).
    private static func isStandardOutput(_ path: String) -> Bool {
        var output = stat()
        var file = stat()
        return fstat(1, &output) == 0 && stat(path, &file) == 0 && output.st_dev == file.st_dev
            && output.st_ino == file.st_ino
    }
}
