import Foundation
import VtapSystem

/// `vtap start --detached`: the same command again as a child in a session
/// of its own (no terminal, so it outlives the shell and is not hit by the
/// terminal's signals), stdin from /dev/null, stdout and stderr appended to
/// its log file. The parent then waits until the child has registered
/// (attached and serving) or has ended.
public enum DetachedLaunch {
    public enum Outcome: Sendable, Equatable {
        /// Registered: attached and serving.
        case started(Instance)
        /// Ended before it registered; `errorLine` is the last error it logged.
        case exited(status: Int32, errorLine: String?)
        /// Killed by a signal before it registered.
        case signalled(Int32, errorLine: String?)
        /// Neither in time; it has been stopped.
        case timedOut
    }

    /// The child's arguments: `arguments` (this process's, subcommand
    /// first after the program) without `--detached` and without any
    /// `--id`, `--state-dir` or `--start-timeout`, which are given again
    /// right after the subcommand with the values the parent settled on.
    public static func childArguments(
        _ arguments: [String], subcommand: String = "start", id: String, stateDirectory: String
    ) -> [String] {
        let withValue: Set<String> = ["--id", "--state-dir", "--start-timeout"]
        var kept: [String] = []
        var index = 0
        var seenSubcommand = false
        var inserted: [String] = []
        while index < arguments.count {
            let argument = arguments[index]
            index += 1
            if argument == "--" {
                kept += arguments[(index - 1)...]
                break
            }
            if !seenSubcommand, index > 1, argument == subcommand {
                seenSubcommand = true
                inserted = ["--id", id, "--state-dir", stateDirectory]
                kept.append(argument)
                kept += inserted
                continue
            }
            if argument == "--detached" { continue }
            if withValue.contains(argument) {
                index += 1
                continue
            }
            if withValue.contains(where: { argument.hasPrefix($0 + "=") }) { continue }
            kept.append(argument)
        }
        return kept
    }

    /// Spawns `arguments` (argv, program name first) running `executable`,
    /// detached as above; returns its pid.
    public static func spawn(executable: String, arguments: [String], logFile: String) throws -> pid_t {
        let log = open(logFile, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard log >= 0 else { throw ControllerError.io("cannot open \(logFile): \(SystemError.current)") }
        defer { close(log) }

        do {
            // Callers (test runners, shells) may block or ignore signals; the
            // child starts with the defaults, so SIGTERM stops it.
            return try ChildProcess.spawn(
                executable, arguments: Array(arguments.dropFirst()), standardInput: .null,
                standardOutput: .descriptor(log), standardError: .descriptor(log), newSession: true,
                name: arguments.first
            ).pid
        } catch {
            throw ControllerError.io("cannot start \(executable): \(SystemError.describe(error))")
        }
    }

    /// Waits until `child` has registered as `id`, or has ended, or
    /// `timeout` seconds have passed (then stops it: SIGTERM, SIGKILL).
    /// Error lines are looked for in what the log gained after `logOffset`.
    public static func awaitStart(
        child: pid_t, id: String, registry: InstanceRegistry, logFile: String, logOffset: UInt64,
        timeout: Double
    ) -> Outcome {
        let deadline = ContinuousClock.now + .seconds(timeout)
        while true {
            if let instance = registry.instance(id), instance.pid == child { return .started(instance) }
            var status: Int32 = 0
            if waitpid(child, &status, WNOHANG) == child {
                // It may have registered just before ending (a very short --duration).
                if let instance = registry.instance(id), instance.pid == child { return .started(instance) }
                let line = errorLine(in: logTail(logFile, from: logOffset))
                switch ChildProcess.Termination(waitStatus: status) {
                case .exited(let code): return .exited(status: code, errorLine: line)
                case .signalled(let signal): return .signalled(signal, errorLine: line)
                }
            }
            if ContinuousClock.now >= deadline {
                kill(child, SIGTERM)
                let stopDeadline = ContinuousClock.now + .seconds(10)
                while waitpid(child, &status, WNOHANG) == 0 {
                    if ContinuousClock.now >= stopDeadline {
                        kill(child, SIGKILL)
                        waitpid(child, &status, 0)
                        break
                    }
                    Thread.sleep(forTimeInterval: 0.05)
                }
                return .timedOut
            }
            Thread.sleep(forTimeInterval: 0.05)
        }
    }

    public static func logSize(_ path: String) -> UInt64 {
        var info = stat()
        return stat(path, &info) == 0 ? UInt64(info.st_size) : 0
    }

    /// The last `vtap: error:` line; else, when vtapc refused the rules
    /// (its diagnostics, positions and carets included, are the child's
    /// whole output), everything from its first line; else the last line
    /// with text.
    public static func errorLine(in text: String) -> String? {
        var lines = text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).map(String.init)
        while lines.last?.trimmingCharacters(in: .whitespaces).isEmpty == true { lines.removeLast() }
        if let line = lines.last(where: { $0.hasPrefix("vtap: error:") }) { return line }
        if let first = lines.firstIndex(where: {
            !$0.hasPrefix("vtap: ") && !$0.trimmingCharacters(in: .whitespaces).isEmpty
        }) {
            return lines[first...].joined(separator: "\n")
        }
        return lines.last { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
    }

    static func logTail(_ path: String, from offset: UInt64) -> String {
        guard let handle = FileHandle(forReadingAtPath: path) else { return "" }
        defer { try? handle.close() }
        try? handle.seek(toOffset: offset)
        return String(decoding: (try? handle.readToEnd()) ?? Data(), as: UTF8.self)
    }
}
