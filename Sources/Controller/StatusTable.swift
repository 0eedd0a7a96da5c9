import Foundation

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

    public static func render(_ instances: [Instance], now: Date = Date()) -> String {
        let rows =
            [columns]
            + instances.map { instance in
                [
                    instance.id, String(instance.pid), instance.interfaces.joined(separator: ","),
                    instance.metricsTarget, instance.started,
                    instance.startDate.map { uptime(now.timeIntervalSince($0)) } ?? "-", instance.object,
                ]
            }
        let widths = (0..<columns.count - 1).map { column in rows.map { $0[column].count }.max() ?? 0 }
        return rows.map { row in
            (0..<columns.count - 1).map { row[$0].padding(toLength: widths[$0], withPad: " ", startingAt: 0) }
                .joined(separator: "  ") + "  " + row[columns.count - 1]
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
