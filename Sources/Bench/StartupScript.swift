import Foundation
import VtapSystem

/// Runs one of the benchmark scripts that drive namespaces, trafgen, BCC and
/// tcpdump (`scripts/bench-startup`, `scripts/bench-live`) and reads the JSON
/// it writes. The scripts stay runnable alone; this is how `vtap-bench` runs
/// them as part of one report.
public struct BenchScript: Sendable {
    /// The repository root: the scripts and `rules/seed.json` are found from it.
    public var repositoryRoot: URL
    /// Directory holding `vtap` and `vtapc`; nil lets the script build them.
    public var binDirectory: URL?
    public var quick: Bool

    public init(repositoryRoot: URL, binDirectory: URL? = nil, quick: Bool) {
        self.repositoryRoot = repositoryRoot
        self.binDirectory = binDirectory
        self.quick = quick
    }

    /// Runs `scripts/<name>` with `--out` into a temporary file and returns
    /// the decoded top-level object. Its progress goes to our stderr.
    func run(_ name: String, extraArguments: [String] = []) throws -> [String: Any] {
        let out = FileManager.default.temporaryDirectory
            .appendingPathComponent("vtap-\(name)-\(ProcessInfo.processInfo.processIdentifier).json")
        defer { try? FileManager.default.removeItem(at: out) }
        var environment = ProcessInfo.processInfo.environment
        if let binDirectory { environment["VTAP_BIN"] = binDirectory.path }
        // The scripts find the repository from their own path.
        let termination = try ChildProcess.spawn(
            repositoryRoot.appendingPathComponent("scripts/\(name)").path,
            arguments: (quick ? ["--quick"] : []) + extraArguments + ["--out", out.path], environment: environment
        ).wait()
        guard termination == .exited(0) else {
            throw BenchScriptError(script: name, status: termination.status)
        }
        let object = try JSONSerialization.jsonObject(with: Data(contentsOf: out))
        guard let top = object as? [String: Any] else {
            throw BenchScriptError(script: name, status: 0, detail: "output is not a JSON object")
        }
        return top
    }
}

public struct BenchScriptError: Error, CustomStringConvertible, Sendable {
    public var script: String
    public var status: Int32
    public var detail: String = "exited with status"

    public var description: String {
        status == 0 ? "scripts/\(script): \(detail)" : "scripts/\(script) \(detail) \(status)"
    }
}

/// Numbers out of a decoded JSON object, whatever numeric type they came in.
func jsonNumber(_ value: Any?) -> Double? {
    switch value {
    case let n as NSNumber: n.doubleValue
    case let d as Double: d
    case let i as Int: Double(i)
    default: nil
    }
}
