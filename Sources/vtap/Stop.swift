import ArgumentParser
import Foundation
import VtapController

struct Stop: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Stop instances started with vtap start.",
        discussion: """
            Sends SIGTERM: each instance detaches, reports its last interval and summary (into its \
            log when detached) and leaves the registry and the Prometheus targets file. vtap stop \
            waits until every process is gone; one still running after --timeout seconds is killed \
            with SIGKILL, and the output says so.
            """)

    @Argument(help: "The ids of the instances to stop (see vtap status).")
    var ids: [String] = []

    @Flag(help: "Stop every running instance.")
    var all = false

    @Option(
        parsing: .unconditional,
        help: ArgumentHelp("Seconds to wait after SIGTERM before SIGKILL.", valueName: "seconds"))
    var timeout: Double = 10

    @OptionGroup var state: StateDirectoryOption

    func validate() throws {
        if all, !ids.isEmpty { throw ValidationError("give instance ids or --all, not both") }
        guard timeout >= 0, timeout.isFinite else { throw ValidationError("--timeout must be 0 or more seconds") }
    }

    func run() throws {
        do {
            try stop()
        } catch {
            throw InstanceFailure.exit(error)
        }
    }

    private func stop() throws {
        let registry = state.registry
        let running = try registry.instances()
        if running.isEmpty, all || ids.isEmpty {
            print("no vtap instance is running")
            return
        }
        let chosen: [Instance]
        if all {
            chosen = running
        } else if ids.isEmpty {
            throw ValidationError(
                "say which instances to stop: their ids or --all (running: \(running.map(\.id).joined(separator: ", ")))"
            )
        } else {
            var seen = Set<String>()
            chosen = try ids.filter { seen.insert($0).inserted }.map { id in
                guard let instance = running.first(where: { $0.id == id }) else {
                    throw ControllerError.unknownInstance(id, running: running.map(\.id))
                }
                return instance
            }
        }
        let outcomes = try InstanceStop.stop(chosen.map(\.process), timeout: timeout)
        // Each unregisters itself as it ends; this removes what a killed one could not.
        try registry.prune()
        for (instance, outcome) in zip(chosen, outcomes) {
            let name = "instance \(instance.id) (pid \(instance.pid))"
            switch outcome {
            case .stopped: print("stopped \(name)")
            case .killed:
                print("\(name) was still running \(Self.seconds(timeout)) after SIGTERM: killed it with SIGKILL")
            case .alreadyEnded: print("\(name) had already ended")
            }
        }
        if let stuck = chosen.first(where: { $0.process.isRunning }) {
            throw ControllerError.signal("instance \(stuck.id) (pid \(stuck.pid)) is still running after SIGKILL")
        }
    }

    static func seconds(_ value: Double) -> String {
        value == value.rounded() ? "\(Int(value)) s" : "\(value) s"
    }
}
