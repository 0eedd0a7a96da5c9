import Foundation

/// A process as the kernel knows it: its pid and when it started (clock
/// ticks after boot, field 22 of /proc/PID/stat). Pids are reused; the pair
/// is not, so a registry entry whose pid now belongs to another process is
/// recognised as dead.
public struct ProcessIdentity: Sendable, Hashable, Codable {
    public var pid: Int32
    public var startTicks: UInt64

    public init(pid: Int32, startTicks: UInt64) {
        self.pid = pid
        self.startTicks = startTicks
    }

    /// This process.
    public static var current: ProcessIdentity {
        // /proc/self always exists for the reader.
        of(getpid()) ?? ProcessIdentity(pid: getpid(), startTicks: 0)
    }

    /// The process running as `pid` now, or nil when there is none (or only
    /// a zombie waiting to be reaped: it has stopped measuring).
    public static func of(_ pid: Int32) -> ProcessIdentity? {
        guard pid > 0, let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return nil }
        return parse(pid: pid, stat: text)
    }

    /// The identity a /proc/PID/stat line gives, nil for a zombie.
    public static func parse(pid: Int32, stat text: String) -> ProcessIdentity? {
        guard let stat = parseStat(text), stat.state != "Z", stat.state != "X" else { return nil }
        return ProcessIdentity(pid: pid, startTicks: stat.startTicks)
    }

    /// Whether this very process is still running.
    public var isRunning: Bool { Self.of(pid) == self }

    /// The state letter and start time from a /proc/PID/stat line. The
    /// command name (field 2) is in parentheses and may itself contain
    /// spaces and parentheses, so fields are counted after the last ')'.
    static func parseStat(_ text: String) -> (state: Character, startTicks: UInt64)? {
        guard let close = text.lastIndex(of: ")") else { return nil }
        let fields = text[text.index(after: close)...].split(separator: " ", omittingEmptySubsequences: true)
        // fields[0] is field 3 (state), so field 22 (starttime) is fields[19].
        guard fields.count > 19, let state = fields[0].first,
            let ticks = UInt64(fields[19].trimmingCharacters(in: .whitespacesAndNewlines))
        else { return nil }
        return (state, ticks)
    }
}
