import Foundation
import VtapSystem

/// `vtap status`: one line per live instance under a header, columns
/// separated by two spaces and padded to the widest value. The columns and
/// their order are stable (scripts may rely on them); OBJECT is last and
/// unpadded because paths may hold spaces.
///
/// ```
/// ID  PID    INTERFACES  METRICS          STARTED               UPTIME  OBJECT
/// 1   41235  eth1,eth2   127.0.0.1:40123  2026-11-22T05:40:00Z  1h02m   /srv/vtap/filter.o
/// ```
public enum StatusTable {
    public static let columns = ["ID", "PID", "INTERFACES", "METRICS", "STARTED", "UPTIME", "OBJECT"]

    /// `namespace`: a process's network namespace (`NetworkNamespace`); an
    /// instance in another one than `vtap status` has its METRICS address
    /// marked, as it is reachable only from inside that namespace.
    public static func render(
        _ instances: [Instance], now: Date = Date(),
        namespace: (Int32?) -> UInt64? = { NetworkNamespace.inode(ofProcess: $0) }
    ) -> String {
        let own = namespace(nil)
        return aligned(
            [columns]
                + instances.map { instance in
                    let elsewhere = namespace(instance.pid).flatMap { $0 == own ? nil : $0 }
                    return [
                        instance.id, String(instance.pid), instance.interfaces.joined(separator: ","),
                        instance.metricsTarget + (elsewhere.map { " (in netns \($0))" } ?? ""), instance.started,
                        instance.startDate.map { uptime(now.timeIntervalSince($0)) } ?? "-", instance.object,
                    ]
                })
    }

    /// `vtap status --programs`: one line per program of each instance,
    /// with what the kernel's run-time statistics say of it. They count
    /// only while someone keeps them on (an instance run with --self-cost);
    /// off, a program shows "-".
    public static let programColumns = ["ID", "PROGRAM", "KERNEL_ID", "INTERFACE", "RUNS", "NS/RUN", "RUNS/S"]

    /// What the kernel says of one program: nil when it is no longer loaded.
    public struct ProgramFigures: Sendable {
        public var runs: UInt64
        public var nanoseconds: UInt64

        public init(runs: UInt64, nanoseconds: UInt64) {
            self.runs = runs
            self.nanoseconds = nanoseconds
        }
    }

    public static func renderPrograms(
        _ instances: [Instance], figures: (UInt32) -> ProgramFigures?, now: Date = Date()
    ) -> String {
        var rows = [programColumns]
        for instance in instances {
            let seconds = instance.startDate.map { now.timeIntervalSince($0) }
            for program in instance.programs {
                let found = figures(program.id)
                let counted = found.flatMap { $0.runs > 0 ? $0 : nil }
                rows.append([
                    instance.id, program.name, String(program.id), program.interface ?? "-",
                    found.map { String($0.runs) } ?? "gone",
                    counted.map { String(format: "%.0f", Double($0.nanoseconds) / Double($0.runs)) } ?? "-",
                    counted.flatMap { figures in
                        seconds.map { String(format: "%.1f", Double(figures.runs) / max($0, 1)) }
                    } ?? "-",
                ])
            }
        }
        return aligned(rows)
    }

    /// Columns two spaces apart, padded to the widest value; the last one
    /// unpadded.
    static func aligned(_ rows: [[String]]) -> String {
        guard let count = rows.first?.count else { return "" }
        let widths = (0..<count - 1).map { column in rows.map { $0[column].count }.max() ?? 0 }
        return rows.map { row in
            (0..<count - 1).map { row[$0].padding(toLength: widths[$0], withPad: " ", startingAt: 0) }
                .joined(separator: "  ") + "  " + row[count - 1]
        }.joined(separator: "\n") + "\n"
    }

    /// "42s", "5m07s", "1h02m", "3d04h": the two largest units.
    public static func uptime(_ seconds: TimeInterval) -> String {
        let total = max(0, Int(seconds))
        let (days, hours, minutes, secs) = (total / 86_400, total / 3600 % 24, total / 60 % 60, total % 60)
        func two(_ value: Int) -> String { value < 10 ? "0\(value)" : String(value) }
        if days > 0 { return "\(days)d\(two(hours))h" }
        if hours > 0 { return "\(hours)h\(two(minutes))m" }
        if minutes > 0 { return "\(minutes)m\(two(secs))s" }
        return "\(secs)s"
    }
}
