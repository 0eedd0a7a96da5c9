import ArgumentParser
import VtapDiagnostics

@main
struct Vtap: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vtap",
        abstract: "Measure traffic with a vtapc-built BPF object.",
        discussion: """
            Exit codes: 0 success, 1 bad input (rules, object, manifest or capture), \
            2 the kernel verifier rejected the program, 3 the kernel refused (no privilege \
            or BPF support), 4 a file could not be read or written, 5 an interface is \
            missing or cannot be attached, 6 the metrics server cannot listen on its address, \
            7 a rules file was given and no vtapc could be run to compile it, 64 bad usage, \
            70 internal error. A rules file given instead of an object is compiled by running \
            vtapc (see --vtapc), whose messages and exit code are passed through.
            """,
        version: VtapVersion.current,
        subcommands: [Run.self, Replay.self, Start.self, Stop.self, Status.self])
}
