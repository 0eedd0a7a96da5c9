import Foundation
import VtapController
import VtapTestSupport

/// A registry in a fresh temporary state directory.
struct RegistryFixture {
    let directory: TemporaryDirectory
    let registry: InstanceRegistry

    init() throws {
        directory = try TemporaryDirectory(prefix: "vtap-controller")
        registry = InstanceRegistry(stateDirectory: directory.url.path)
    }

    var targetsText: String { (try? String(contentsOfFile: registry.targetsFile, encoding: .utf8)) ?? "<missing>" }

    func entryText(_ id: String) -> String? {
        try? String(contentsOfFile: "\(registry.stateDirectory)/instances/\(id).json", encoding: .utf8)
    }

    /// Writes an entry directly, as a process that has since ended would have left it.
    func plant(_ instance: Instance) throws {
        try FileManager.default.createDirectory(
            atPath: "\(registry.stateDirectory)/instances", withIntermediateDirectories: true)
        try Instance.encoder().encode(instance).write(
            to: URL(fileURLWithPath: "\(registry.stateDirectory)/instances/\(instance.id).json"))
    }
}

enum Sample {
    static let started = Date(timeIntervalSince1970: 1_795_000_000)  // 2026-11-18T11:06:40Z

    static func instance(
        _ id: String, process: ProcessIdentity = .current, interfaces: [String] = ["eth1"], host: String = "127.0.0.1",
        port: Int = 40_000
    ) -> Instance {
        Instance(
            id: id, process: process, interfaces: interfaces, object: "/srv/vtap/filter.o", metricsHost: host,
            metricsPort: port, started: started, logFile: nil, commandLine: ["vtap", "start", "/srv/vtap/filter.o"])
    }

    /// A pid no process can have: pid_max itself (pids are below it).
    static var impossiblePID: Int32 {
        let text = (try? String(contentsOfFile: "/proc/sys/kernel/pid_max", encoding: .utf8)) ?? "4194304"
        return Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 4_194_304
    }

    /// init: always running, never this process nor its parent.
    static var other: ProcessIdentity { ProcessIdentity.of(1)! }
}
