import Foundation
import Testing
import VtapRuleGen
import VtapRuleModel

/// The data of the systems vtap grows from, read where the workplace keeps
/// it, never copied into the repository: `VTAP_SEED_DATA`, else
/// `shared/seed-data` beside the repository or beside one of its parent
/// directories (a clone's checkout may sit deeper), else the workplace's
/// `/work/shared/seed-data`.
public enum SeedData {
    public static let directory: URL = {
        if let path = ProcessInfo.processInfo.environment["VTAP_SEED_DATA"] {
            return URL(fileURLWithPath: path)
        }
        var candidates: [URL] = []
        var directory = RepositoryLayout.root
        while directory.path != "/" {
            directory.deleteLastPathComponent()
            candidates.append(directory.appendingPathComponent("shared/seed-data"))
        }
        candidates.append(URL(fileURLWithPath: "/work/shared/seed-data"))
        return candidates.first { FileManager.default.fileExists(atPath: $0.appendingPathComponent("classbench").path) }
            ?? candidates[0]
    }()

    public static var available: Bool {
        FileManager.default.fileExists(atPath: directory.appendingPathComponent("classbench").path)
    }
}

/// Where the repository's own files are, computed once for every suite.
public enum RepositoryLayout {
    /// Tests/Support/SeedData.swift -> the repository root.
    public static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    /// A path relative to the repository root.
    public static func file(_ relativePath: String) -> URL { root.appendingPathComponent(relativePath) }
}

extension Trait where Self == ConditionTrait {
    /// For tests on the seed data. Skipped where it is not on this machine,
    /// except under CI=true: there the test runs, and fails.
    public static var seedData: Self {
        .enabled(
            if: SeedData.available || KernelSupport.isCI,
            "needs ../shared/seed-data or VTAP_SEED_DATA (runs, and fails, when CI=true)")
    }
}

/// One ClassBench filter set and its header trace, as vtap sees them.
public struct ClassBenchSet: Sendable, CustomStringConvertible {
    public static let kinds = ["acl1", "fw1", "ipc1"]
    public static let sizes = [1000, 10000, 100_000]
    /// Every set the seed data holds, smallest first.
    public static let all: [String] = sizes.flatMap { size in kinds.map { "\($0)_\(size)" } }

    public let name: String
    public let filters: [ClassBench.Filter]
    public let headers: [ClassBench.Header]

    public var description: String { name }

    public init(_ name: String) throws {
        self.name = name
        let directory = SeedData.directory.appendingPathComponent("classbench")
        filters = try ClassBench.filters(ClassBench.read(directory.appendingPathComponent("\(name).filters.gz").path))
        headers = try ClassBench.trace(ClassBench.read(directory.appendingPathComponent("\(name).trace.gz").path))
    }

    /// The rules file vtapc compiles.
    public var rulesText: String { ClassBench.rulesFile(filters) }

    /// A header as a frame: TCP, UDP, SCTP and UDP-Lite carry the header's
    /// ports; other protocols carry none (ICMP an 8-byte header, so that
    /// the frame is well formed).
    public static func packet(_ header: ClassBench.Header) -> PacketBuilder {
        let ip = PacketBuilder().ipv4(from: header.source, to: header.destination)
        switch header.protocolNumber {
        case IPProtocol.tcp: return ip.tcp(from: header.sourcePort, to: header.destinationPort)
        case IPProtocol.udp: return ip.udp(from: header.sourcePort, to: header.destinationPort)
        case IPProtocol.sctp: return ip.sctp(from: header.sourcePort, to: header.destinationPort)
        case IPProtocol.udplite: return ip.udpLite(from: header.sourcePort, to: header.destinationPort)
        case IPProtocol.icmp: return ip.transport(protocol: IPProtocol.icmp, header: [8, 0, 0, 0, 0, 0, 0, 0])
        default: return ip.transport(protocol: header.protocolNumber)
        }
    }
}
