import Foundation
import VtapCompiler
import VtapDiagnostics
import VtapSystem

/// How vtapc tells a person (stderr, text) or a program (stdout, JSON)
/// what happened.
struct Report {
    var format: DiagnosticFormat
    var verbose = false
    /// Text output only: JSON always holds every diagnostic.
    var maxDiagnostics = 0

    private var renderer: DiagnosticRenderer {
        DiagnosticRenderer(
            useColor: isatty(STDERR_FILENO) == 1 && ProcessInfo.processInfo.environment["NO_COLOR"] == nil)
    }

    /// Throws only when standard output cannot take the JSON.
    func success(_ compiled: CompiledRuleset, wrote path: String?, quiet: Bool = false) throws {
        if format == .json {
            if path != nil { try printJSON(CheckOutput(files: [FileResult(compiled)])) }
            return
        }
        if !compiled.diagnostics.isEmpty {
            printError(renderer.render(compiled.diagnostics, in: compiled.file, limit: maxDiagnostics))
        }
        if quiet { return }
        let total = compiled.phases.reduce(Duration.zero) { $0 + $1.duration }
        var line =
            "\(compiled.file.path): \(compiled.ruleset.rules.count) rule\(compiled.ruleset.rules.count == 1 ? "" : "s")"
        if let path { line += " -> \(path) (\(compiled.object.count) bytes)" }
        if let program = compiled.verification?.programs.first, let stats = program.stats {
            line += ", verified: \(stats.instructionsProcessed) instructions processed"
            if let states = stats.totalStates { line += ", \(states) states" }
        } else if compiled.verification == nil {
            line += ", not verified (--no-verify)"
        }
        line += ", \(milliseconds(total)) ms"
        printError(line)
        if verbose {
            printError(compiled.phases.map { "  \($0.name): \(milliseconds($0.duration)) ms" }.joined(separator: "\n"))
            let cached = [
                (compiled.programCached, "packet program"), (compiled.objectCached, "object"),
                (compiled.verdictCached, "verifier's verdict"),
            ].filter(\.0).map(\.1)
            printError("  from the cache: \(cached.isEmpty ? "nothing" : cached.joined(separator: ", "))")
        }
    }

    /// Throws only when standard output cannot take the JSON.
    func failure(_ error: CompileError) throws {
        if format == .json {
            try printJSON(CheckOutput(files: [FileResult(path: error.path ?? "", error: error)]))
            return
        }
        switch error {
        case .rules(let file, let diagnostics):
            printError(renderer.render(diagnostics, in: file, limit: maxDiagnostics))
            printError(error.message)
        case .verifierRejected(let rejection):
            printError("vtapc: error: \(rejection.headline)")
            printError(rejection.excerpt)
        default:
            printError("vtapc: error: \(error.message)")
        }
    }

    /// A closed or full standard output is `cannotWrite` (exit 4), not a trap.
    func printJSON<T: Encodable>(_ value: T) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(value) else {
            throw CompileError.internalError("cannot encode the JSON report")
        }
        do {
            try StandardStreams.writeOutput(String(decoding: data, as: UTF8.self) + "\n")
        } catch {
            throw CompileError.cannotWrite(path: "standard output", reason: SystemError.describe(error))
        }
    }

    private func printError(_ text: String) {
        StandardStreams.writeError(text + "\n")
    }

    private func milliseconds(_ duration: Duration) -> Int {
        Int(duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000)
    }
}

struct CheckOutput: Encodable {
    var files: [FileResult]
}

/// One file's outcome in `--format json`.
struct FileResult: Encodable {
    var path: String
    var ok: Bool
    var exitCode: Int32
    var error: String?
    var diagnostics: [DiagnosticRecord]
    var verifier: Verifier?

    struct Verifier: Encodable {
        var instructionsProcessed: Int
        var totalStates: Int?
        enum CodingKeys: String, CodingKey {
            case instructionsProcessed = "instructions_processed"
            case totalStates = "total_states"
        }
    }

    enum CodingKeys: String, CodingKey {
        case path, ok, error, diagnostics, verifier
        case exitCode = "exit_code"
    }

    init(_ compiled: CompiledRuleset) {
        path = compiled.file.path
        ok = true
        exitCode = 0
        diagnostics = compiled.diagnostics.map { DiagnosticRecord($0, in: compiled.file) }
        verifier = compiled.verification?.programs.first?.stats.map {
            Verifier(instructionsProcessed: $0.instructionsProcessed, totalStates: $0.totalStates)
        }
    }

    init(path: String, error: CompileError) {
        self.path = path
        ok = false
        exitCode = error.exitCode
        if case .rules(let file, let list) = error {
            diagnostics = list.map { DiagnosticRecord($0, in: file) }
        } else {
            diagnostics = []
            self.error = error.message
        }
    }
}

extension CompileError {
    var path: String? {
        switch self {
        case .cannotRead(let path, _), .cannotWrite(let path, _): path
        case .rules(let file, _): file.path
        default: nil
        }
    }
}
