import VtapDiagnostics

/// Why an instance could not be started, stopped or listed. Exit codes are
/// the ones README.md documents for vtap.
public enum ControllerError: Error, Sendable, Equatable, CustomStringConvertible {
    /// No live instance has this id.
    case unknownInstance(String, running: [String])
    /// The id belongs to a live instance, or one being started.
    case instanceIDInUse(String, pid: Int32, starting: Bool)
    /// Not usable as an instance id (it names files in the state directory).
    case invalidID(String)
    /// The state directory or a file in it could not be read or written.
    case io(String)
    /// The kernel refused to signal an instance's process.
    case signal(String)
    /// A detached instance neither registered nor ended in time.
    case startTimedOut(id: String, seconds: Double, log: String)

    public var exitCode: Int32 {
        switch self {
        case .unknownInstance, .instanceIDInUse: ExitCodes.rulesErrors
        case .invalidID: ExitCodes.usage
        case .io: ExitCodes.ioError
        case .signal: ExitCodes.environment
        case .startTimedOut: ExitCodes.internalError
        }
    }

    public var description: String {
        switch self {
        case .unknownInstance(let id, let running):
            let list = running.isEmpty ? "none is running" : "running: \(running.joined(separator: ", "))"
            return "no vtap instance has id \(id) (\(list))"
        case .instanceIDInUse(let id, let pid, let starting):
            return starting
                ? "instance id \(id) is taken by an instance being started (pid \(pid))"
                : "instance id \(id) is taken by a running instance (pid \(pid))"
        case .invalidID(let id):
            return
                "'\(id)' is not a usable instance id: use 1 to 64 letters, digits, '.', '_' or '-', not starting with '.'"
        case .io(let message), .signal(let message):
            return message
        case .startTimedOut(let id, let seconds, let log):
            return "instance \(id) did not start within \(InstanceID.seconds(seconds)); it was stopped (log: \(log))"
        }
    }
}
