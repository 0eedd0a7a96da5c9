import Foundation
import VtapBPF
import VtapDiagnostics
import VtapSystem

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
    /// A rules file was given and no vtapc can be run to compile it.
    case compilerUnavailable(String)
    /// vtapc ran and refused (its diagnostics are already on stderr); its
    /// exit code is vtap's, as the codes mean the same in both tools.
    case compileFailed(String, exitCode: Int32)
    case internalError(String)

    public var exitCode: Int32 {
        switch self {
        case .badInput: ExitCodes.rulesErrors
        case .environment: ExitCodes.environment
        case .interface: ExitCodes.interface
        case .io: ExitCodes.ioError
        case .listen: ExitCodes.listen
        case .compilerUnavailable: ExitCodes.compilerUnavailable
        case .compileFailed(_, let exitCode): exitCode
        case .internalError: ExitCodes.internalError
        }
    }

    public var description: String {
        switch self {
        case .badInput(let message), .environment(let message), .interface(let message), .io(let message),
            .listen(let message), .compilerUnavailable(let message), .compileFailed(let message, _):
            message
        case .internalError(let message): "internal error: \(message)"
        }
    }

    /// Sorts a libbpf failure by who can fix it. A refusal for want of
    /// privilege in a link mode (`attach` tc or xdp) says what the socket's
    /// capabilities lack: TC and XDP programs load and attach only with
    /// CAP_NET_ADMIN too.
    static func from(_ error: BPFError, doing what: String, attach: LoadConfiguration.Attach = .socket)
        -> RuntimeError
    {
        switch error.kind {
        case .permission where attach != .socket:
            .environment("\(what): \(error.description); --attach \(attach) also needs \(Capability.netAdmin)")
        case .permission: .environment("\(what): \(error.description)")
        // Without CAP_PERFMON the verifier checks as for an unprivileged
        // user and refuses vtap's pointer comparisons: the host, not the
        // object, is what is missing something.
        case .verifierRejected where Capability.missing([.perfmon]) == [.perfmon]:
            .environment(
                "\(what): \(error.description) (this process lacks CAP_PERFMON, which the verifier needs beside "
                    + "CAP_BPF and CAP_NET_RAW)")
        case .unsupported: .environment("\(what): \(error.description)")
        case .notFound: .interface("\(what): \(error.description)")
        case .busy: .interface("\(what): \(error.description)")
        default: .internalError("\(what): \(error.description)")
        }
    }
}
