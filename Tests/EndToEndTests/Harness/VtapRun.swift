import Foundation
import Testing
import VtapTestSupport

/// `vtap run … --json` inside one of a lab's namespaces: started, awaited
/// until it says it is attached, stopped by a signal (or by --duration),
/// and its JSON lines decoded.
final class VtapRun: @unchecked Sendable {
    /// The line vtap prints on stderr once every interface is attached.
    static let attachedMarker = "vtap: attached to "

    let command: RunningCommand
    let arguments: [String]

    enum Stop {
        case interrupt, terminate
    }

    /// Starts `vtap run OBJECT [-i IF]... --json EXTRA...` in `side`'s
    /// namespace (default: the receiver, on its veth) and waits for the
    /// attached line. Throws with vtap's stderr if it never comes.
    /// `loader`: the command that is vtap (another binary, or one wrapped).
    static func start(
        in lab: NetworkLab, side: NetworkLab.Side = .receiver, object: URL, interfaces: [String]? = nil,
        json: Bool = true, options: [String] = [], attachTimeout: Duration = .seconds(60),
        loader: [String] = [BuiltProducts.vtap]
    ) throws -> VtapRun {
        var arguments = loader + ["run", object.path]
        for interface in interfaces ?? [lab.interface(side)] { arguments += ["-i", interface] }
        if json { arguments.append("--json") }
        arguments += options
        let command = try lab.start(in: side, arguments)
        let run = VtapRun(command: command, arguments: arguments)
        guard command.waitForStandardError(containing: attachedMarker, timeout: attachTimeout) else {
            command.terminate()
            let result = command.wait(timeout: .seconds(10))
            throw ReportError("vtap never said it was attached: \(result.summary)\nstdout: \(result.standardOutput)")
        }
        return run
    }

    private init(command: RunningCommand, arguments: [String]) {
        self.command = command
        self.arguments = arguments
    }

    var processIdentifier: Int32 { command.processIdentifier }

    /// The interface names after "attached to", as printed.
    var attachedLine: String? {
        command.standardErrorSoFar.split(separator: "\n").first { $0.hasPrefix(Self.attachedMarker) }.map(String.init)
    }

    /// Sends SIGINT or SIGTERM and collects everything vtap printed.
    func stop(_ signal: Stop = .interrupt, timeout: Duration = .seconds(20)) -> VtapOutcome {
        switch signal {
        case .interrupt: command.interrupt()
        case .terminate: command.terminate()
        }
        return VtapOutcome(result: command.wait(timeout: timeout))
    }

    /// SIGKILL: vtap gets no chance to clean up; the kernel must.
    func kill(timeout: Duration = .seconds(20)) -> CommandResult {
        _ = Foundation.kill(command.processIdentifier, SIGKILL)
        return command.wait(timeout: timeout)
    }

    /// For `--duration`: waits for vtap to end by itself.
    func waitForExit(timeout: Duration) -> VtapOutcome {
        VtapOutcome(result: command.wait(timeout: timeout))
    }
}

/// What a finished `vtap run` left: its exit, stderr, and decoded JSON.
struct VtapOutcome: Sendable {
    var result: CommandResult

    /// Exit 0 in time, and stderr holds nothing but the attached line.
    var endedCleanly: Bool { result.status == 0 && !result.timedOut }

    func output() throws -> VtapOutput {
        guard endedCleanly else { throw ReportError("vtap did not end cleanly: \(result.summary)") }
        return try VtapOutput(parsing: result.standardOutput)
    }

    /// The summary line, after checking the process ended cleanly.
    func summary() throws -> VtapReport { try output().summary() }
}

/// A rules file in a temporary directory.
struct RulesFile {
    /// One rule: the seed's string form, optionally named.
    struct Rule {
        var name: String?
        var text: String

        init(_ name: String? = nil, _ text: String) {
            self.name = name
            self.text = text
        }

        var json: String {
            if let name { return "{\"name\": \"\(name)\", \"rule\": \"\(text)\"}" }
            return "\"\(text)\""
        }
    }

    /// Writes `{"RULES": [...], key: value...}`; `settings` values are raw
    /// JSON (`"\"0xE7A5C318\""`, `"4"`).
    static func write(
        _ rules: [Rule], settings: KeyValuePairs<String, String> = [:], to directory: TemporaryDirectory,
        name: String = "rules.json"
    ) throws -> URL {
        try write(rules, settings: Array(settings), to: directory, name: name)
    }

    /// The same, with settings put together in code (`Array(seedSequence) + [...]`).
    static func write(
        _ rules: [Rule], settings: [(key: String, value: String)], to directory: TemporaryDirectory,
        name: String = "rules.json"
    ) throws -> URL {
        var lines = ["{", "  \"RULES\": ["]
        lines += rules.map { "    \($0.json)," }
        lines.append("  ],")
        for (key, value) in settings { lines.append("  \"\(key)\": \(value),") }
        lines.append("}")
        let url = directory.file(name)
        try lines.joined(separator: "\n").write(to: url, atomically: true, encoding: .utf8)
        return url
    }

    /// The seed's sequence settings: pattern 0xE7A5C318, number 4 bytes after it.
    static let seedSequence: KeyValuePairs<String, String> = [
        "PATTERN": "\"0xE7A5C318\"", "OFFSET": "4", "SEQUENCE_THRESHOLD": "2",
    ]

    /// Compiles with vtapc into `<name>.o` (+ manifest) beside the rules.
    static func compile(_ rules: URL, to object: URL) throws {
        try CommandRunner.check([BuiltProducts.vtapc, rules.path, "-o", object.path], timeout: .seconds(120))
    }
}

/// Where `vtap run` attaches its packet program (`--attach`). Every
/// mode must count the same packets, bytes and metrics on the same
/// traffic, so the scenarios that check one are run for each.
enum AttachMode: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case socket
    case tc
    /// Received packets only: DIRECTION in, no QLOG.
    case xdp

    var options: [String] { ["--attach", rawValue] }
    var testDescription: String { "--attach \(rawValue)" }
}
