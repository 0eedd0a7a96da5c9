import Foundation
import Synchronization
import VtapMetrics
import VtapRuleModel
import VtapSystem

#if canImport(Glibc)
    import Glibc
#endif

/// The layouts a log file can have.
public enum LogFormat: String, Sendable, CaseIterable {
    /// RFC 4180 CSV with a header row (the default).
    case csv
    /// The 2021 seed's `|`-separated layout, one section per scope.
    case seed
}

/// The header and the lines of a log file. Columns are fixed when the file
/// is opened: time, interval length, then for each protocol class (tcp,
/// udp, icmp, other) and each rule (`rule_<label>`) a group of fields.
public struct LogLayout: Sendable {
    public let format: LogFormat
    public let throughputUnit: ThroughputUnit
    /// Column-name prefixes: tcp, udp, icmp, other, then one per rule.
    public let scopes: [String]
    /// The first line of the file, naming every column with its unit.
    public let header: String

    public init(format: LogFormat, rules: [Manifest.RuleEntry], throughputUnit: ThroughputUnit) {
        self.format = format
        self.throughputUnit = throughputUnit
        scopes = ProtocolClass.allCases.map(\.name) + Self.ruleScopes(rules)
        let unit = throughputUnit == .bitsPerSecond ? "bit_per_s" : "B_per_s"
        switch format {
        case .csv:
            // A scope's columns are the JSON report's (ScopeColumns); the
            // packets no rule matched and those too short to classify close the line.
            let fields = scopes.flatMap { scope in
                ScopeColumns.all.map { "\(scope)_\($0.key)\($0.isRate ? "_\(unit)" : "")" }
            }
            let tallies = Self.tallies.flatMap { tally in ["packets", "bytes"].map { "\(tally)_\($0)" } }
            header = (["time", "interval_s"] + fields + tallies).map(CSV.field).joined(separator: ",")
        case .seed:
            let fields = [
                "throughput_\(unit)", "goodput_\(unit)", "jitter_mean_ms", "jitter_stddev_ms", "seq_last", "seq_count",
                "seq_reverse", "seq_small", "seq_big", "seq_total", "seq_lost",
            ].joined(separator: " ")
            header = (["time interval_s"] + scopes.map { "\(Self.seedName($0)) \(fields)" }).joined(separator: " | ")
        }
    }

    /// One line for an interval, without the newline.
    public func line(for report: IntervalReport) -> String {
        let metrics = report.protocols + report.rules.map(\.metrics)
        let interval = NumberText.fixed(report.intervalSeconds, decimals: 6)
        func decimal(_ value: Double?, _ decimals: Int, none: String) -> String {
            value.map { NumberText.fixed($0, decimals: decimals) } ?? none
        }
        switch format {
        case .csv:
            var fields = [report.time.rfc3339, interval]
            for index in scopes.indices {
                guard index < metrics.count else {
                    fields += Array(repeating: "", count: ScopeColumns.all.count)
                    continue
                }
                let m = metrics[index]
                fields += ScopeColumns.all.map { column in
                    switch column.value(m) {
                    case .count(let value): String(value)
                    case .number(let value, let decimals): decimal(value, decimals, none: "")
                    case .optionalCount(let value): value.map { String($0) } ?? ""
                    }
                }
            }
            for tally in [report.unmatched, report.malformed] {
                fields += [String(tally.packets), String(tally.bytes)]
            }
            return fields.map(CSV.field).joined(separator: ",")
        case .seed:
            var sections = ["\(report.time.rfc3339) \(interval)"]
            for (index, scope) in scopes.enumerated() {
                guard index < metrics.count else {
                    sections.append(Self.seedName(scope) + String(repeating: " -", count: 11))
                    continue
                }
                let m = metrics[index]
                let values = [
                    decimal(m.throughput, 3, none: "-"), decimal(m.goodput, 3, none: "-"),
                    decimal(m.jitter?.meanMilliseconds, 6, none: "-"),
                    decimal(m.jitter?.stddevMilliseconds, 6, none: "-"),
                    m.sequenceLast.map { String($0) } ?? "-", String(m.sequenceCount), String(m.sequenceReverse),
                    String(m.sequenceSmall), String(m.sequenceBig), String(m.sequenceTotal), String(m.sequenceLost),
                ]
                sections.append(([Self.seedName(scope)] + values).joined(separator: " "))
            }
            return sections.joined(separator: " | ")
        }
    }

    /// The tallies after the scopes, in the JSON report's names.
    static let tallies = ["unmatched", "malformed"]

    /// The seed wrote its protocols in capitals; rules keep their prefix.
    private static func seedName(_ scope: String) -> String {
        scope.hasPrefix("rule_") ? scope : scope.uppercased()
    }

    /// `rule_<label>` with every character but ASCII letters, digits and `_`
    /// replaced by `_`; a label that collides with an earlier one gets the
    /// rule's number appended.
    static func ruleScopes(_ rules: [Manifest.RuleEntry]) -> [String] {
        var seen = Set<String>()
        return rules.map { rule in
            let label = String(
                rule.label.unicodeScalars.map { scalar -> Character in
                    scalar.isASCII && (CharacterSet.alphanumerics.contains(scalar) || scalar == "_")
                        ? Character(scalar) : "_"
                })
            var scope = "rule_\(label)"
            if seen.contains(scope) { scope += "_\(rule.number)" }
            while seen.contains(scope) { scope += "_" }
            seen.insert(scope)
            return scope
        }
    }
}

/// RFC 4180 fields.
public enum CSV {
    /// The field as is, or in double quotes (inner quotes doubled) when it
    /// holds a comma, a quote, a line break or starts or ends with a space.
    public static func field(_ value: String) -> String {
        let needsQuotes =
            value.contains { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" || $0 == "\r\n" }
            || value.first == " " || value.last == " "
        guard needsQuotes else { return value }
        return "\"" + value.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}

/// Why a log file could not be created or written; one line.
public struct LogFileError: Error, Equatable, CustomStringConvertible {
    public var message: String
    /// The errno behind it.
    public var code: Int32

    public init(message: String, code: Int32) {
        self.message = message
        self.code = code
    }

    public var description: String { message }
}

/// One log file per run: `monitor_<pid>_<YYYY-MM-DD>_<HH-MM>.log` (the
/// seed's naming, the process id and the local start time, with `-` for
/// the seed's `:`, which scp, rsync and SMB shares read otherwise) in a
/// directory, created when the run starts with its header line.
///
/// Every interval is one line written with a single `write(2)` on a file
/// opened with O_APPEND and no buffer in between: once `write` returns, the
/// line is in the kernel, so killing the process loses nothing and never
/// leaves half a line.
///
/// A log removed under a running measurement (its directory deleted by a
/// clean-up job, say) is made again at the same path, header first, at the
/// next interval: lines written into a file nobody can open any more would
/// be lost without a word.
public final class LogFile: Sendable {
    public let path: String
    public let layout: LogLayout
    private let directory: String
    /// Replaced only when the file is made again; the run loop is the one
    /// writer, the lock keeps `Sendable` honest.
    private let descriptor: Mutex<Int32>

    /// Creates the file and writes its header. Throws a `LogFileError`
    /// naming the directory when it is missing, not a directory, or not
    /// writable.
    public init(
        directory: String, layout: LogLayout, pid: Int32 = getpid(), start: Date = Date(),
        timeZone: TimeZone = .current
    ) throws {
        self.layout = layout
        self.directory = directory
        let name = Self.fileName(pid: pid, start: start, timeZone: timeZone)
        let base = directory.hasSuffix("/") ? directory : directory + "/"
        var attempt = 1
        var opened: Int32 = -1
        while true {
            // Another file of this name (a reused pid within the same
            // minute) is left alone: the next name gets a counter.
            let candidate = base + (attempt == 1 ? name : name.dropLast(4) + "_\(attempt).log")
            let fd = open(candidate, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0o644)
            if fd >= 0 {
                path = candidate
                opened = fd
                break
            }
            let code = errno
            if code == EINTR { continue }
            if code == EEXIST, attempt < 100 {
                attempt += 1
                continue
            }
            throw LogFileError(
                message: "cannot create a log file in \(directory): \(SystemError.text(code))", code: code)
        }
        descriptor = Mutex(opened)
        do {
            try append(layout.header)
        } catch {
            close(opened)
            unlink(path)
            throw error
        }
    }

    public convenience init(
        directory: String, format: LogFormat = .csv, rules: [Manifest.RuleEntry], throughputUnit: ThroughputUnit,
        pid: Int32 = getpid(), start: Date = Date(), timeZone: TimeZone = .current
    ) throws {
        try self.init(
            directory: directory, layout: LogLayout(format: format, rules: rules, throughputUnit: throughputUnit),
            pid: pid, start: start, timeZone: timeZone)
    }

    deinit { descriptor.withLock { _ = close($0) } }

    /// `monitor_<pid>_<YYYY-MM-DD>_<HH-MM>.log` in the given time zone.
    public static func fileName(pid: Int32, start: Date, timeZone: TimeZone = .current) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute], from: start)
        func two(_ value: Int?) -> String { value.map { $0 < 10 ? "0\($0)" : String($0) } ?? "00" }
        let year = String(c.year ?? 0)
        return "monitor_\(pid)_\(String(repeating: "0", count: max(0, 4 - year.count)) + year)-\(two(c.month))-"
            + "\(two(c.day))_\(two(c.hour))-\(two(c.minute)).log"
    }

    /// Appends the interval's line. A summary is not an interval and is not
    /// written (the log holds samples of equal standing). Returns true when
    /// the file had been removed and was made again for this line.
    @discardableResult
    public func write(_ report: IntervalReport) throws -> Bool {
        guard !report.isSummary else { return false }
        let recreated = try recreateIfRemoved()
        try append(layout.line(for: report))
        return recreated
    }

    /// An open file whose last link is gone: one fstat per interval.
    private func recreateIfRemoved() throws -> Bool {
        var status = stat()
        guard descriptor.withLock({ fstat($0, &status) }) == 0, status.st_nlink == 0 else { return false }
        // The directory itself, not its parents: what a clean-up job removes.
        if mkdir(directory, 0o755) != 0, errno != EEXIST {
            let code = errno
            throw LogFileError(
                message: "\(path) was removed and its directory cannot be made again: \(SystemError.text(code))",
                code: code)
        }
        // O_EXCL: a file someone else put at this path meanwhile is theirs.
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            let code = errno
            throw LogFileError(
                message: "\(path) was removed and cannot be made again: \(SystemError.text(code))", code: code)
        }
        let old = descriptor.withLock { current in
            defer { current = fd }
            return current
        }
        close(old)
        try append(layout.header)
        return true
    }

    /// Forces the lines written so far to the disk.
    public func sync() throws {
        guard descriptor.withLock({ fsync($0) }) == 0 else {
            let code = errno
            throw LogFileError(message: "cannot write \(path): \(SystemError.text(code))", code: code)
        }
    }

    private func append(_ line: String) throws {
        let bytes = Array((line + "\n").utf8)
        // One write(2) in practice. A full disk can take part of a line:
        // the file is cut back to where the line began, so every line in
        // it stays whole and the next one starts on a line of its own.
        let fd = descriptor.withLock { $0 }
        let start = lseek(fd, 0, SEEK_END)
        do {
            try bytes.withUnsafeBytes { try Descriptor.writeAll(fd, $0) }
        } catch let error as SystemError {
            if start >= 0 { _ = ftruncate(fd, start) }
            throw LogFileError(message: "cannot write \(path): \(error)", code: error.code)
        }
    }
}
