import Foundation

/// A real Prometheus (Debian's `prometheus`) on loopback, for tests that
/// check vtap through the server that will really scrape it: started with
/// a test's own scrape configuration and a throw-away TSDB, optionally
/// inside a network namespace, queried over its HTTP API with curl.
public final class PrometheusServer: @unchecked Sendable {
    public let port: Int
    public let namespace: String?
    private let directory: TemporaryDirectory
    private let command: RunningCommand

    /// Starts Prometheus with `configuration` (YAML text) and waits until it
    /// says it is ready. In a namespace of the test's own, any port is free.
    public init(configuration: String, namespace: String? = nil, port: Int? = nil) throws {
        guard let binary = Self.binary else {
            throw PrometheusError("prometheus is not installed (scripts/setup installs Debian's package)")
        }
        self.namespace = namespace
        self.port = try port ?? (namespace == nil ? FreePort.loopback() : 9090)
        directory = try TemporaryDirectory(prefix: "vtap-prometheus")
        let config = directory.file("prometheus.yml")
        try configuration.write(to: config, atomically: true, encoding: .utf8)
        let arguments = [
            binary, "--config.file=\(config.path)", "--storage.tsdb.path=\(directory.file("data").path)",
            "--web.listen-address=127.0.0.1:\(self.port)", "--log.level=warn",
        ]
        command = try RunningCommand((namespace.map { ["ip", "netns", "exec", $0] } ?? []) + arguments)
        let deadline = ContinuousClock.now + .seconds(30)
        while (try? get("/-/ready"))?.contains("Ready") != true {
            if command.hasExited || ContinuousClock.now > deadline {
                command.terminate()
                let result = command.wait(timeout: .seconds(5))
                throw PrometheusError("prometheus never became ready: \(result.summary)")
            }
            Thread.sleep(forTimeInterval: 0.1)
        }
    }

    deinit { stop() }

    /// Ends the server; its directory goes with the last reference.
    public func stop() {
        command.terminate()
        _ = command.wait(timeout: .seconds(10))
    }

    /// Where Debian installs it; nil when it is not installed.
    public static var binary: String? {
        ["/usr/bin/prometheus", "/usr/local/bin/prometheus"].first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// GETs `path` (with its query string) from the server.
    public func get(_ path: String, query: [String: String] = [:]) throws -> String {
        var arguments = [
            "curl", "-sS", "--fail-with-body", "--max-time", "10", "-G", "http://127.0.0.1:\(port)\(path)",
        ]
        for (name, value) in query.sorted(by: { $0.key < $1.key }) {
            arguments += ["--data-urlencode", "\(name)=\(value)"]
        }
        let result = try CommandRunner.run((namespace.map { ["ip", "netns", "exec", $0] } ?? []) + arguments)
        guard result.succeeded else {
            throw PrometheusError("GET \(path) \(query): \(result.summary)\n\(result.standardOutput)")
        }
        return result.standardOutput
    }

    /// One sample of an instant-vector result.
    public struct Sample: Sendable, CustomStringConvertible {
        public var labels: [String: String]
        public var value: Double
        public var description: String { "\(labels) = \(value)" }
    }

    /// Evaluates a PromQL expression (at `time`, default now); throws with
    /// Prometheus's own error for a bad expression.
    public func query(_ expression: String, at time: Date? = nil) throws -> [Sample] {
        var parameters = ["query": expression]
        if let time { parameters["time"] = String(format: "%.3f", time.timeIntervalSince1970) }
        let text = try get("/api/v1/query", query: parameters)
        guard let object = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any],
            object["status"] as? String == "success", let data = object["data"] as? [String: Any]
        else { throw PrometheusError("query \(expression): \(text)") }
        switch data["resultType"] as? String {
        case "vector":
            return (data["result"] as? [[String: Any]] ?? []).compactMap { entry in
                guard let labels = entry["metric"] as? [String: String], let pair = entry["value"] as? [Any],
                    pair.count == 2, let value = (pair[1] as? String).flatMap(Double.init)
                else { return nil }
                return Sample(labels: labels, value: value)
            }
        case "scalar":
            guard let pair = data["result"] as? [Any], pair.count == 2,
                let value = (pair[1] as? String).flatMap(Double.init)
            else { return [] }
            return [Sample(labels: [:], value: value)]
        default:
            throw PrometheusError("query \(expression): unexpected result \(text)")
        }
    }

    /// The scrape targets Prometheus knows, active ones only.
    public func activeTargets() throws -> [(url: String, health: String, labels: [String: String])] {
        let text = try get("/api/v1/targets", query: ["state": "active"])
        guard let object = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any],
            let data = object["data"] as? [String: Any], let targets = data["activeTargets"] as? [[String: Any]]
        else { throw PrometheusError("targets: \(text)") }
        return targets.map {
            ($0["scrapeUrl"] as? String ?? "", $0["health"] as? String ?? "", $0["labels"] as? [String: String] ?? [:])
        }
    }

    /// Waits until `condition` holds, polling every 200 ms.
    public func wait(
        timeout: Duration = .seconds(30), for what: String, until condition: () throws -> Bool
    ) throws {
        let deadline = ContinuousClock.now + timeout
        var lastError: Error?
        while ContinuousClock.now < deadline {
            do {
                if try condition() { return }
            } catch {
                lastError = error
            }
            Thread.sleep(forTimeInterval: 0.2)
        }
        throw PrometheusError(
            "prometheus: gave up waiting for \(what)\(lastError.map { " (last error: \($0))" } ?? "")")
    }
}

/// Free TCP ports on loopback, for servers a test starts.
public enum FreePort {
    /// A port that was free a moment ago (the kernel picked it for a bound,
    /// then closed, socket).
    public static func loopback() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw PrometheusError("socket: errno \(errno)") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0
            }
        }
        guard bound else { throw PrometheusError("bind: errno \(errno)") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

public struct PrometheusError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
