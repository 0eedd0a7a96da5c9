import Foundation
import VtapTestSupport

/// `vtap start`, `stop` and `status` against a state directory of the
/// test's own, run in one namespace of a lab so every instance shares one
/// loopback (and "distinct ports" means something). `shutdown()` ends
/// whatever the test left running, even when it failed half-way.
final class VtapInstances: @unchecked Sendable {
    let lab: NetworkLab
    let side: NetworkLab.Side
    let stateDirectory: URL
    private let lock = NSLock()
    private var seenPIDs: Set<Int32> = []

    init(lab: NetworkLab, side: NetworkLab.Side = .receiver, stateDirectory: URL) {
        self.lab = lab
        self.side = side
        self.stateDirectory = stateDirectory
    }

    var namespace: String { lab.namespace(side) }
    var targetsFile: URL { stateDirectory.appendingPathComponent("prometheus/targets.json") }

    /// `vtap ARGUMENTS` in the namespace, to completion.
    func vtap(_ arguments: [String], timeout: Duration = .seconds(90)) throws -> CommandResult {
        try lab.run(in: side, [BuiltProducts.vtap] + arguments, timeout: timeout)
    }

    /// `vtap start --detached --state-dir STATE ARGUMENTS`; the pid it
    /// reports is remembered for `shutdown()`.
    func startDetached(_ arguments: [String]) throws -> CommandResult {
        let result = try vtap(["start", "--detached", "--state-dir", stateDirectory.path] + arguments)
        if let pid = Self.reportedPID(result.standardOutput) { remember([pid]) }
        return result
    }

    func stop(_ arguments: [String]) throws -> CommandResult {
        try vtap(["stop", "--state-dir", stateDirectory.path] + arguments, timeout: .seconds(60))
    }

    /// `vtap status --json`, decoded.
    func status() throws -> [RegisteredInstance] {
        let result = try vtap(["status", "--json", "--state-dir", stateDirectory.path])
        guard result.succeeded else { throw ReportError("vtap status --json: \(result.summary)") }
        let instances = try JSONDecoder().decode([RegisteredInstance].self, from: Data(result.standardOutput.utf8))
        remember(instances.map(\.pid))
        return instances
    }

    /// The file_sd targets file as Prometheus reads it.
    func targets() throws -> [FileSDTargetGroup] {
        try JSONDecoder().decode([FileSDTargetGroup].self, from: Data(contentsOf: targetsFile))
    }

    /// GET `url` from inside the namespace: HTTP status and body.
    func get(_ url: String) throws -> (status: Int, body: String) {
        let marker = "\n--vtap-http-status:"
        let result = try lab.run(
            in: side, ["curl", "-sS", "--max-time", "10", "-w", "\(marker)%{http_code}", url], timeout: .seconds(15))
        guard result.succeeded, let range = result.standardOutput.range(of: marker, options: .backwards) else {
            throw ReportError("GET \(url): \(result.summary)")
        }
        return (
            Int(result.standardOutput[range.upperBound...]) ?? 0, String(result.standardOutput[..<range.lowerBound])
        )
    }

    /// Whether a process with this pid is still running vtap for this state directory.
    func isRunning(_ pid: Int32) -> Bool {
        guard let commandLine = try? Data(contentsOf: URL(fileURLWithPath: "/proc/\(pid)/cmdline")),
            let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)
        else { return false }
        let state = stat.split(separator: ")").last?.split(separator: " ").first
        return state != "Z" && String(decoding: commandLine, as: UTF8.self).contains(stateDirectory.path)
    }

    /// Stops every instance (vtap stop --all), then SIGKILLs any process
    /// of this state directory that is still there.
    func shutdown() {
        _ = try? status()
        _ = try? stop(["--all", "--timeout", "3"])
        for pid in lock.withLock({ seenPIDs }) where isRunning(pid) { kill(pid, SIGKILL) }
    }

    private func remember(_ pids: [Int32]) {
        lock.withLock { seenPIDs.formUnion(pids) }
    }

    /// The pid in "instance 1 started: pid 4242, metrics …".
    static func reportedPID(_ line: String) -> Int32? {
        guard let range = line.range(of: "pid ") else { return nil }
        return Int32(line[range.upperBound...].prefix { $0.isNumber })
    }
}

/// One entry of `vtap status --json`, decoded here from its documented keys.
struct RegisteredInstance: Decodable, Equatable, Sendable {
    var id: String
    var pid: Int32
    var pidStartTicks: UInt64
    var interfaces: [String]
    var object: String
    var metricsHost: String
    var metricsPort: Int
    var started: String
    var logFile: String?
    var commandLine: [String]

    enum CodingKeys: String, CodingKey {
        case id, pid, interfaces, object, started
        case pidStartTicks = "pid_start_ticks"
        case metricsHost = "metrics_host"
        case metricsPort = "metrics_port"
        case logFile = "log_file"
        case commandLine = "command_line"
    }
}

/// One target group of a Prometheus file_sd file.
struct FileSDTargetGroup: Decodable, Equatable, Sendable {
    var targets: [String]
    var labels: [String: String]
}
