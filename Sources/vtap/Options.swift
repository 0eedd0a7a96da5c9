import ArgumentParser
import Foundation
import VtapDiagnostics
import VtapMetrics
import VtapOutputs
import VtapRuntime

/// The seed's interval flags, shared by run and replay.
struct IntervalOptions: ParsableArguments {
    @Option(
        name: [.customShort("t"), .customLong("throughput-interval")], parsing: .unconditional,
        help: "Seconds per report.")
    var throughputInterval: Double = 1

    @Option(
        name: [.customShort("j"), .customLong("jitter-interval")], parsing: .unconditional,
        help: "Seconds per jitter window.")
    var jitterInterval: Double = 1

    @Flag(name: [.customShort("b"), .customLong("bits")], help: "Throughput in bits/s instead of bytes/s.")
    var bits = false

    @Flag(help: "One JSON object per interval on stdout, then a summary object.")
    var json = false

    @Option(
        parsing: .unconditional,
        help: ArgumentHelp(
            "Also report each rule's N flows with the most bytes, with the rules' metrics.",
            discussion: """
                A flow is one direction of a 5-tuple (for ICMP echo, the identifier stands for the source port), \
                counted in a per-CPU table of FLOW_TABLE_SIZE flows (the rules file's setting) that evicts the \
                least recently seen; what it evicted is in the report's flow_table. Costs one more hash lookup \
                per packet.
                """,
            valueName: "n"))
    var flows = 0

    func validate() throws {
        guard flows >= 0, flows <= 100_000 else {
            throw ValidationError("--flows must be between 0 and 100000 flows per rule")
        }
        guard throughputInterval >= 0.01, throughputInterval <= 86_400 else {
            throw ValidationError("--throughput-interval must be between 0.01 and 86400 seconds")
        }
        guard jitterInterval >= 0.01, jitterInterval <= 86_400 else {
            throw ValidationError("--jitter-interval must be between 0.01 and 86400 seconds")
        }
    }
}

enum LogFormatOption: String, ExpressibleByArgument, CaseIterable {
    case csv
    case seed
}

/// Where to find vtapc when the object given is a rules file.
struct CompilerOption: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "The vtapc that compiles a rules file given instead of an object.",
            discussion: "Default: the vtapc beside this vtap, else the first on PATH.", valueName: "path"))
    var vtapc: String?
}

/// One line on stderr and the documented exit code, for every failure.
/// vtapc's own diagnostics, when it ran, are already above that line.
enum Failure {
    static func exit(_ error: Error) -> ExitCode {
        if let exit = error as? ExitCode { return exit }
        let runtime = error as? RuntimeError ?? .internalError("\(error)")
        // When vtapc refused, its own lines (diagnostics with positions, or
        // one error) are the report; a line more would only repeat them.
        if case .compileFailed = runtime { return ExitCode(runtime.exitCode) }
        StandardStreams.writeError("vtap: error: \(runtime.description)\n")
        return ExitCode(runtime.exitCode)
    }
}

extension QlogFormat: ExpressibleByArgument {}
extension TCPConnectionTracker.CaptureVantage: ExpressibleByArgument {}

/// Where and how to write qlog traces; `vtap run` and `vtap replay` take it.
struct QlogOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "Write one qlog trace per TCP connection the rules select into DIR (created if missing).",
            discussion: """
                Needs an object built with "EVENTS": {"QLOG": true}. A trace is written whole when its \
                connection has closed and gone quiet, and the rest when the run ends.
                """,
            valueName: "dir"))
    var qlog: String?

    @Option(
        help: ArgumentHelp(
            "sqlog (the qlog main schema's JSON-SEQ), qvis (the 0.3 header qvis opens) or legacy (the 2021 prototype's).",
            valueName: "format"))
    var qlogFormat: QlogFormat = .sqlog
}
