import ArgumentParser
import Foundation
import VtapController
import VtapRuntime

struct Status: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List the running instances.",
        discussion: """
            One line per instance under the header ID PID INTERFACES METRICS STARTED UPTIME OBJECT. \
            These columns, their order and their formats are stable: METRICS is host:port of \
            /metrics as reachable from this machine, STARTED is ISO 8601 in UTC, UPTIME is like \
            42s, 5m07s, 1h02m or 3d04h, OBJECT is the absolute path of the object or rules file. \
            --json prints the registry's entries instead, as a JSON array. Instances whose process \
            has ended are removed from the registry on the way.
            """)

    @Flag(help: "A JSON array of the registry entries (id, pid, interfaces, metrics, …) instead of the table.")
    var json = false

    @Flag(
        help: ArgumentHelp(
            "One line per program of each instance: its kernel id, runs, ns a run and runs a second.",
            discussion: """
                From the kernel's BPF run-time statistics, which count only while an instance run with \
                --self-cost keeps them on; otherwise NS/RUN and RUNS/S are "-".
                """))
    var programs = false

    @OptionGroup var state: StateDirectoryOption

    func run() throws {
        do {
            let (instances, unreadable) = try state.registry.listing()
            for entry in unreadable {
                LiveSession.notice("warning: \(entry) is not a registry entry vtap can read; left out")
            }
            if json {
                // JSONEncoder prints an empty array over three lines.
                print(
                    instances.isEmpty ? "[]" : String(decoding: try Instance.encoder().encode(instances), as: UTF8.self)
                )
            } else if programs {
                let ids = instances.flatMap { $0.programs.map(\.id) }
                let infos = Dictionary(
                    zip(ids, ProgramCostReader.read(ids: ids)).compactMap { id, info in info.map { (id, $0) } },
                    uniquingKeysWith: { first, _ in first })
                print(
                    StatusTable.renderPrograms(instances) { id in
                        infos[id].map { .init(runs: $0.runCount, nanoseconds: $0.runTimeNanoseconds) }
                    }, terminator: "")
            } else {
                print(StatusTable.render(instances), terminator: "")
            }
        } catch {
            throw InstanceFailure.exit(error)
        }
    }
}
