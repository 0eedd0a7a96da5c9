import Foundation

/// What a finished command left behind.
public struct CommandResult: Sendable {
    public var arguments: [String]
    public var status: Int32
    public var standardOutput: String
    public var standardError: String
    /// Killed because it outlived its timeout.
    public var timedOut: Bool

    public var succeeded: Bool { status == 0 && !timedOut }

    /// For failure messages: the command, its status and its stderr.
    public var summary: String {
        let state = timedOut ? "timed out" : "exit \(status)"
        return "\(arguments.joined(separator: " ")): \(state)\n\(standardError)"
    }
}

public struct CommandError: Error, CustomStringConvertible {
    public var result: CommandResult
    public var description: String { result.summary }
}

/// Runs tools (ip, tcpdump, tshark, trafgen, iperf3) with captured output
/// and a timeout after which the process is killed.
public enum CommandRunner {
    /// Runs `arguments` (the first resolved through PATH) to completion.
    public static func run(
        _ arguments: [String], timeout: Duration = .seconds(30), input: [UInt8]? = nil
    ) throws -> CommandResult {
        let command = try RunningCommand(arguments, input: input)
        return command.wait(timeout: timeout)
    }

    /// Like `run`, but throws unless the command exits 0 in time.
    @discardableResult
    public static func check(_ arguments: [String], timeout: Duration = .seconds(30)) throws -> CommandResult {
        let result = try run(arguments, timeout: timeout)
        guard result.succeeded else { throw CommandError(result: result) }
        return result
    }
}

/// A started process whose output is collected while it runs, so a test can
/// wait for a line ("listening on") before going on.
public final class RunningCommand: @unchecked Sendable {
    public let arguments: [String]
    private let process = Process()
    private let standardOutput = CollectedOutput()
    private let standardError = CollectedOutput()
    private let exited = DispatchSemaphore(value: 0)
    private let lock = NSLock()
    private var didTimeOut = false
    private var finished: CommandResult?

    public init(_ arguments: [String], input: [UInt8]? = nil) throws {
        precondition(!arguments.isEmpty, "a command needs a program")
        self.arguments = arguments
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        let outPipe = Pipe()
        let errPipe = Pipe()
        let inPipe = Pipe()
        process.standardOutput = outPipe
        process.standardError = errPipe
        process.standardInput = inPipe
        let exited = self.exited
        process.terminationHandler = { _ in exited.signal() }
        try Self.spawning.withLock { try Self.withSignalsUnblocked { try process.run() } }
        standardOutput.startReading(outPipe.fileHandleForReading)
        standardError.startReading(errPipe.fileHandleForReading)
        if let input { inPipe.fileHandleForWriting.write(Data(input)) }
        try? inPipe.fileHandleForWriting.close()
    }

    /// One spawn at a time: a clean-clone CI run crashed in `memmove` inside
    /// Foundation's `Process.run()` while suites running in parallel were
    /// spawning (once in four runs); the spawn itself takes well under a
    /// millisecond, so serializing it costs the tests nothing measurable.
    private static let spawning = NSLock()

    /// A child inherits the spawning thread's signal mask, and the test
    /// runner's threads block SIGINT and SIGTERM: tcpdump could then never
    /// be stopped. Spawning with an empty mask gives children the defaults.
    private static func withSignalsUnblocked<T>(_ body: () throws -> T) rethrows -> T {
        var empty = sigset_t()
        var previous = sigset_t()
        sigemptyset(&empty)
        pthread_sigmask(SIG_SETMASK, &empty, &previous)
        defer { pthread_sigmask(SIG_SETMASK, &previous, nil) }
        return try body()
    }

    public var processIdentifier: Int32 { process.processIdentifier }
    public var isRunning: Bool { process.isRunning }
    public var standardErrorSoFar: String { standardError.text }
    public var standardOutputSoFar: String { standardOutput.text }

    /// Waits until stderr contains `text`; false if the process ended or the
    /// time ran out first.
    public func waitForStandardError(containing text: String, timeout: Duration = .seconds(10)) -> Bool {
        standardError.waitUntil(timeout: timeout) { $0.contains(text) }
    }

    /// Waits until stdout contains `text` (iperf3's "Server listening");
    /// false if the process ended or the time ran out first.
    public func waitForStandardOutput(containing text: String, timeout: Duration = .seconds(10)) -> Bool {
        standardOutput.waitUntil(timeout: timeout) { $0.contains(text) }
    }

    /// Whether the process has ended (it may not have been waited for yet).
    public var hasExited: Bool { !process.isRunning }

    /// SIGINT: how tcpdump is asked to flush its file and stop.
    public func interrupt() {
        if process.isRunning { kill(process.processIdentifier, SIGINT) }
    }

    public func terminate() {
        if process.isRunning { kill(process.processIdentifier, SIGTERM) }
    }

    /// Waits for the exit, killing the process (SIGKILL) after `timeout`.
    public func wait(timeout: Duration = .seconds(30)) -> CommandResult {
        lock.lock()
        defer { lock.unlock() }
        if let finished { return finished }
        if exited.wait(timeout: .now() + timeout.timeInterval) == .timedOut {
            didTimeOut = true
            kill(process.processIdentifier, SIGKILL)
            exited.wait()
        }
        // A grandchild may keep a pipe open; do not wait on it for long.
        standardOutput.waitForEnd(timeout: .seconds(2))
        standardError.waitForEnd(timeout: .seconds(2))
        let result = CommandResult(
            arguments: arguments, status: process.terminationStatus,
            standardOutput: standardOutput.text, standardError: standardError.text, timedOut: didTimeOut)
        finished = result
        return result
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }
}

/// Bytes read from one pipe on a background thread.
private final class CollectedOutput: @unchecked Sendable {
    private let condition = NSCondition()
    private var bytes = Data()
    private var ended = false

    var text: String {
        condition.lock()
        defer { condition.unlock() }
        return String(decoding: bytes, as: UTF8.self)
    }

    func startReading(_ handle: FileHandle) {
        let thread = Thread { [self] in
            while true {
                let chunk = handle.availableData
                condition.lock()
                if chunk.isEmpty { ended = true } else { bytes.append(chunk) }
                condition.broadcast()
                condition.unlock()
                if chunk.isEmpty { return }
            }
        }
        thread.start()
    }

    func waitUntil(timeout: Duration, _ satisfied: (String) -> Bool) -> Bool {
        let deadline = Date() + timeout.timeInterval
        condition.lock()
        defer { condition.unlock() }
        while true {
            if satisfied(String(decoding: bytes, as: UTF8.self)) { return true }
            if ended || !condition.wait(until: deadline) { return satisfied(String(decoding: bytes, as: UTF8.self)) }
        }
    }

    func waitForEnd(timeout: Duration) {
        _ = waitUntil(timeout: timeout) { _ in false }
    }
}

extension Duration {
    var timeInterval: TimeInterval {
        let (seconds, attoseconds) = components
        return TimeInterval(seconds) + TimeInterval(attoseconds) / 1e18
    }
}
