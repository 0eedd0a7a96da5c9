import VtapDiagnostics
import VtapRuleModel

/// Why a compile stopped. Each kind has its own documented exit code.
public enum CompileError: Error, Sendable {
    /// The rules file could not be read.
    case cannotRead(path: String, reason: String)
    /// The rules have errors; every diagnostic is included.
    case rules(file: SourceFile, diagnostics: [Diagnostic])
    /// The kernel's verifier refused the program.
    case verifierRejected(VerifierRejection)
    /// The kernel cannot verify here: no privilege or no BPF support.
    case environment(String)
    /// Output could not be written.
    case cannotWrite(path: String, reason: String)
    /// vtapc produced C that clang or libbpf refused: a vtapc bug.
    case internalError(String)

    /// `error` itself when it is a CompileError; anything else is a bug.
    public static func wrapping(_ error: Error) -> CompileError {
        error as? CompileError ?? .internalError("\(error)")
    }

    /// The exit code documented in README.md.
    public var exitCode: Int32 {
        switch self {
        case .rules: ExitCodes.rulesErrors
        case .verifierRejected: ExitCodes.verifierRejected
        case .environment: ExitCodes.environment
        case .cannotRead, .cannotWrite: ExitCodes.ioError
        case .internalError: ExitCodes.internalError
        }
    }

    /// One line for the terminal (rules errors are rendered separately).
    public var message: String {
        switch self {
        case .cannotRead(let path, let reason): "cannot read \(path): \(reason)"
        case .rules(let file, let diagnostics):
            DiagnosticRenderer.summary(
                errors: diagnostics.count { $0.severity == .error },
                warnings: diagnostics.count { $0.severity == .warning }, path: file.path)
        case .verifierRejected(let rejection): rejection.headline
        case .environment(let reason): reason
        case .cannotWrite(let path, let reason): "cannot write \(path): \(reason)"
        case .internalError(let reason): "internal error: \(reason)"
        }
    }
}
