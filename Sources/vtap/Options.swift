import ArgumentParser
import Foundation
import VtapCompiler
import VtapDiagnostics
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

/// One line on stderr and the documented exit code, for every failure;
/// rules with errors first show every diagnostic, as vtapc does.
enum Failure {
    static func exit(_ error: Error) -> ExitCode {
        if let exit = error as? ExitCode { return exit }
        let runtime = error as? RuntimeError ?? (error as? CompileError).map(RuntimeError.compile)
            ?? .internalError("\(error)")
        if case .compile(.rules(let file, let diagnostics)) = runtime {
            let renderer = DiagnosticRenderer(useColor: isatty(STDERR_FILENO) == 1)
            FileHandle.standardError.write(Data((renderer.render(diagnostics, in: file) + "\n").utf8))
        }
        FileHandle.standardError.write(Data("vtap: error: \(runtime.description)\n".utf8))
        return ExitCode(runtime.exitCode)
    }
}
