import ArgumentParser
import Foundation
import VtapCompiler
import VtapRuntime

/// The seed's interval flags, shared by run and replay.
struct IntervalOptions: ParsableArguments {
    @Option(name: [.customShort("t"), .customLong("throughput-interval")], help: "Seconds per report.")
    var throughputInterval: Double = 1

    @Option(name: [.customShort("j"), .customLong("jitter-interval")], help: "Seconds per jitter window.")
    var jitterInterval: Double = 1

    @Flag(name: [.customShort("b"), .customLong("bits")], help: "Throughput in bits/s instead of bytes/s.")
    var bits = false

    @Flag(help: "One JSON object per interval on stdout, then a summary object.")
    var json = false

    func validate() throws {
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

/// One line on stderr and the documented exit code, for every failure.
enum Failure {
    static func exit(_ error: Error) -> ExitCode {
        if let exit = error as? ExitCode { return exit }
        let runtime = error as? RuntimeError ?? (error as? CompileError).map(RuntimeError.compile)
            ?? .internalError("\(error)")
        FileHandle.standardError.write(Data("vtap: error: \(message(runtime))\n".utf8))
        return ExitCode(runtime.exitCode)
    }

    /// A rules file's first error, with its place; `vtapc check` shows them all.
    static func message(_ error: RuntimeError) -> String {
        guard case .compile(.rules(let file, let diagnostics)) = error,
            let first = diagnostics.first(where: { $0.severity == .error })
        else { return error.description }
        let place = first.range.map { "\(file.path):\(file.location(of: $0.start))" } ?? file.path
        let others = diagnostics.count { $0.severity == .error } - 1
        let more = others > 0 ? " (and \(others) more; vtapc check \(file.path) shows all)" : ""
        return "\(place): \(first.message) [\(first.id)]\(more)"
    }
}
