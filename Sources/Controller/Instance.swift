import Foundation

/// One running vtap instance as the registry records it: a JSON file
/// `<state>/instances/<id>.json`, written once when the instance is attached
/// and serving, removed when it ends.
public struct Instance: Sendable, Equatable, Codable {
    public var id: String
    public var pid: Int32
    /// Field 22 of /proc/PID/stat when registered: with `pid`, identifies the
    /// process even after the pid is reused.
    public var pidStartTicks: UInt64
    public var interfaces: [String]
    /// The object or rules file it measures with, as an absolute path.
    public var object: String
    /// Where /metrics is served: the address it listens on and the port it got.
    public var metricsHost: String
    public var metricsPort: Int
    /// When it started measuring, ISO 8601 in UTC ("2026-11-22T05:40:00Z").
    public var started: String
    /// Where a detached instance's output goes; nil in the foreground.
    public var logFile: String?
    public var commandLine: [String]
    /// Its BPF programs by kernel id, for `vtap status --programs`.
    public var programs: [Program]

    /// One of an instance's programs: the packet program of an interface,
    /// or an event program (no interface).
    public struct Program: Sendable, Equatable, Codable {
        public var name: String
        public var interface: String?
        public var id: UInt32

        public init(name: String, interface: String?, id: UInt32) {
            self.name = name
            self.interface = interface
            self.id = id
        }
    }

    public init(
        id: String, process: ProcessIdentity, interfaces: [String], object: String, metricsHost: String,
        metricsPort: Int, started: Date, logFile: String?, commandLine: [String], programs: [Program] = []
    ) {
        self.id = id
        pid = process.pid
        pidStartTicks = process.startTicks
        self.interfaces = interfaces
        self.object = object
        self.metricsHost = metricsHost
        self.metricsPort = metricsPort
        self.started = Self.timestamp(started)
        self.logFile = logFile
        self.commandLine = commandLine
        self.programs = programs
    }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.decode(String.self, forKey: .id)
        pid = try container.decode(Int32.self, forKey: .pid)
        pidStartTicks = try container.decode(UInt64.self, forKey: .pidStartTicks)
        interfaces = try container.decode([String].self, forKey: .interfaces)
        object = try container.decode(String.self, forKey: .object)
        metricsHost = try container.decode(String.self, forKey: .metricsHost)
        metricsPort = try container.decode(Int.self, forKey: .metricsPort)
        started = try container.decode(String.self, forKey: .started)
        logFile = try container.decodeIfPresent(String.self, forKey: .logFile)
        commandLine = try container.decode([String].self, forKey: .commandLine)
        // Entries written before programs were recorded have none.
        programs = try container.decodeIfPresent([Program].self, forKey: .programs) ?? []
    }

    public var process: ProcessIdentity { ProcessIdentity(pid: pid, startTicks: pidStartTicks) }

    /// host:port for reaching the metrics from this machine: an instance
    /// listening on every address is reached on loopback.
    public var metricsTarget: String {
        let host = Self.reachableHost(metricsHost)
        return host.contains(":") ? "[\(host)]:\(metricsPort)" : "\(host):\(metricsPort)"
    }

    public var metricsURL: String { "http://\(metricsTarget)/metrics" }

    public var startDate: Date? { try? Date(started, strategy: .iso8601) }

    static func reachableHost(_ host: String) -> String {
        switch host {
        case "", "0.0.0.0", "*": "127.0.0.1"
        case "::", "[::]", "::0": "::1"
        default: host
        }
    }

    static func timestamp(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(timeZone: TimeZone(identifier: "UTC")!))
    }

    enum CodingKeys: String, CodingKey {
        case id, pid, interfaces, object, started
        case pidStartTicks = "pid_start_ticks"
        case metricsHost = "metrics_host"
        case metricsPort = "metrics_port"
        case logFile = "log_file"
        case commandLine = "command_line"
        case programs
    }

    // `log_file` is written as null rather than left out: every entry has every key.
    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(pid, forKey: .pid)
        try container.encode(pidStartTicks, forKey: .pidStartTicks)
        try container.encode(interfaces, forKey: .interfaces)
        try container.encode(object, forKey: .object)
        try container.encode(metricsHost, forKey: .metricsHost)
        try container.encode(metricsPort, forKey: .metricsPort)
        try container.encode(started, forKey: .started)
        try container.encode(logFile, forKey: .logFile)
        try container.encode(commandLine, forKey: .commandLine)
        try container.encode(programs, forKey: .programs)
    }

    /// Pretty, with sorted keys: the registry's files and `vtap status --json`.
    public static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return encoder
    }
}

/// An id held for an instance being started detached, between the moment
/// the parent picks the id and the moment the child registers under it:
/// `<state>/instances/<id>.starting`.
struct Reservation: Sendable, Equatable, Codable {
    var id: String
    var pid: Int32
    var pidStartTicks: UInt64

    var process: ProcessIdentity { ProcessIdentity(pid: pid, startTicks: pidStartTicks) }

    enum CodingKeys: String, CodingKey {
        case id, pid
        case pidStartTicks = "pid_start_ticks"
    }
}
