import VtapBPF
import VtapCompiler

/// Why vtap could not do what it was asked. Exit codes are documented in
/// README.md and shared with vtapc where the meaning is the same.
public enum RuntimeError: Error, Sendable, CustomStringConvertible {
    /// The object, manifest, capture or flags are not usable.
    case badInput(String)
    /// The kernel refused: no privilege, or no support.
    case environment(String)
    /// An interface does not exist or cannot be attached.
    case interface(String)
    case io(String)
    /// The metrics server cannot listen where it was asked to.
    case listen(String)
    case compile(CompileError)
    case internalError(String)

    public var exitCode: Int32 {
        switch self {
        case .badInput: ExitCodes.rulesErrors
        case .environment: ExitCodes.environment
        case .interface: ExitCodes.interface
        case .io: ExitCodes.ioError
        case .listen: ExitCodes.listen
        case .compile(let error): error.exitCode
        case .internalError: ExitCodes.internalError
        }
    }

    public var description: String {
        switch self {
        case .badInput(let message), .environment(let message), .interface(let message), .io(let message),
            .listen(let message):
            message
        case .compile(let error): error.message
        case .internalError(let message): "internal error: \(message)"
        }
    }

    /// Sorts a libbpf failure by who can fix it.
    static func from(_ error: BPFError, doing what: String) -> RuntimeError {
        switch error.kind {
        case .permission: .environment("\(what): \(error.description) (run as root or with CAP_BPF and CAP_NET_RAW)")
        case .unsupported: .environment("\(what): \(error.description)")
        case .notFound: .interface("\(what): \(error.description)")
        case .busy: .interface("\(what): \(error.description)")
        default: .internalError("\(what): \(error.description)")
        }
    }
}
