import ArgumentParser
import VtapCompiler

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
            64 bad usage, 70 internal error.
            """,
        version: RulesCompiler.version,
        subcommands: [Run.self, Replay.self, Start.self, Stop.self, Status.self])
}
