import Foundation
import Testing
import VtapMetrics
import VtapOutputs
import VtapRuleModel
import VtapTestSupport

@Suite struct LogFileTests {
    /// 2021-06-30 12:34:56 UTC.
    static let start = Date(timeIntervalSince1970: 1_625_056_496)
    static let utc = TimeZone(identifier: "UTC")!

    /// An RFC 4180 reader, to check what the writer quoted.
    static func parseCSV(_ line: String) -> [String] {
        var fields: [String] = []
        var field = ""
        var quoted = false
        var chars = Array(line)[...]
        while let ch = chars.popFirst() {
            if quoted {
                if ch == "\"" {
                    if chars.first == "\"" {
                        field.append("\"")
                        chars.removeFirst()
                    } else {
                        quoted = false
                    }
                } else {
                    field.append(ch)
                }
            } else if ch == "\"" {
                quoted = true
            } else if ch == "," {
                fields.append(field)
                field = ""
            } else {
                field.append(ch)
            }
        }
        fields.append(field)
        return fields
    }

    static func lines(_ path: String) throws -> [String] {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(text.hasSuffix("\n"))
        return text.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init)
    }

    @Test func nameFollowsTheSeed() throws {
        #expect(
            LogFile.fileName(pid: 4242, start: Self.start, timeZone: Self.utc) == "monitor_4242_2021-06-30_12-34.log")
        let tokyo = try #require(TimeZone(identifier: "Asia/Tokyo"))
        #expect(LogFile.fileName(pid: 7, start: Self.start, timeZone: tokyo) == "monitor_7_2021-06-30_21-34.log")
        let name = LogFile.fileName(pid: getpid(), start: Date())
        #expect(name.wholeMatch(of: /monitor_\d+_\d{4}-\d\d-\d\d_\d\d-\d\d\.log/) != nil)
    }

    @Test func csvHeaderNamesEveryColumnWithItsUnit() throws {
        let bits = LogLayout(format: .csv, rules: Fixtures.rules([nil, "web-api"]), throughputUnit: .bitsPerSecond)
        let columns = Self.parseCSV(bits.header)
        let group = { (scope: String) in
            [
                "packets", "bytes", "payload_bytes", "pps", "throughput_bit_per_s", "goodput_bit_per_s",
                "jitter_mean_ms", "jitter_stddev_ms", "seq_last", "seq_count", "seq_reverse", "seq_small", "seq_big",
                "seq_total", "seq_lost", "seq_missing",
            ].map { "\(scope)_\($0)" }
        }
        // Everything the JSON report has, the tallies of unmatched and malformed packets last.
        #expect(
            columns == ["time", "interval_s"]
                + ["tcp", "udp", "icmp", "other", "rule_1", "rule_web_api"].flatMap(group)
                + ["unmatched_packets", "unmatched_bytes", "malformed_packets", "malformed_bytes"])
        let bytes = LogLayout(format: .csv, rules: [], throughputUnit: .bytesPerSecond)
        #expect(bytes.header.contains("tcp_throughput_B_per_s,tcp_goodput_B_per_s"))
    }

    @Test func ruleColumnsAreSanitisedAndUnique() {
        let rules = Fixtures.rules(["a b", "a_b", nil, "ünï", "x,\"y\""])
        let layout = LogLayout(format: .csv, rules: rules, throughputUnit: .bytesPerSecond)
        #expect(
            layout.scopes == [
                "tcp", "udp", "icmp", "other", "rule_a_b", "rule_a_b_2", "rule_3", "rule__n_", "rule_x__y_",
            ])
    }

    @Test func oneLinePerIntervalAndTheSummaryIsNotOne() throws {
        let directory = try TemporaryDirectory()
        let names: [String?] = [nil, "dns"]
        let log = try LogFile(
            directory: directory.url.path, rules: Fixtures.rules(names), throughputUnit: .bitsPerSecond, pid: 99,
            start: Self.start, timeZone: Self.utc)
        #expect(log.path == directory.url.path + "/monitor_99_2021-06-30_12-34.log")
        #expect(try Self.lines(log.path) == [log.layout.header], "the header is written when the file opens")
        try log.write(Fixtures.interval(names: names, packets: [1000, 0]))
        try log.write(Fixtures.interval(names: names, packets: [2000, 0]))
        try log.write(
            ReportBuilder.summary(
                totals: Fixtures.totals([2000, 0]), seconds: 2, context: Fixtures.context(names: names)))
        let lines = try Self.lines(log.path)
        #expect(lines.count == 3)
        let header = Self.parseCSV(lines[0])
        let row = Self.parseCSV(lines[2])
        #expect(row.count == header.count)
        let value = Dictionary(uniqueKeysWithValues: zip(header, row))
        #expect(value["time"] == "2021-06-30T12:34:56.789Z")
        #expect(value["interval_s"] == "1.000000")
        #expect(value["udp_packets"] == "2000")
        #expect(value["udp_pps"] == "1000.000")
        #expect(value["udp_throughput_bit_per_s"] == "1000000.000")
        #expect(value["udp_goodput_bit_per_s"] == "800000.000")
        #expect(value["udp_jitter_mean_ms"] == "1.000000")
        #expect(value["udp_jitter_stddev_ms"] == "0.000000")
        #expect(value["udp_seq_total"] == "6")
        #expect(value["udp_seq_lost"] == "7")
        #expect(value["rule_1_packets"] == "2000")
        #expect(value["rule_dns_packets"] == "0")
        #expect(value["rule_dns_jitter_mean_ms"] == "", "no jitter sample: an empty field")
    }

    @Test func csvFieldsAreQuotedWhereNeeded() {
        #expect(CSV.field("plain") == "plain")
        #expect(CSV.field("") == "")
        #expect(CSV.field("a,b") == "\"a,b\"")
        #expect(CSV.field("say \"hi\"") == "\"say \"\"hi\"\"\"")
        #expect(CSV.field("two\nlines") == "\"two\nlines\"")
        #expect(CSV.field("cr\r\nlf") == "\"cr\r\nlf\"")
        #expect(CSV.field(" padded") == "\" padded\"")
        for value in ["a,b", "say \"hi\"", "x\"\",\"", " padded", "plain"] {
            #expect(Self.parseCSV(CSV.field(value)) == [value])
        }
    }

    @Test func seedLayout() throws {
        let directory = try TemporaryDirectory()
        let names: [String?] = [nil]
        let log = try LogFile(
            directory: directory.url.path, format: .seed, rules: Fixtures.rules(names), throughputUnit: .bytesPerSecond,
            pid: 5, start: Self.start, timeZone: Self.utc)
        try log.write(Fixtures.interval(names: names, packets: [2000], unit: .bytesPerSecond))
        let lines = try Self.lines(log.path)
        #expect(lines.count == 2)
        let fields =
            "throughput_B_per_s goodput_B_per_s jitter_mean_ms jitter_stddev_ms seq_last seq_count seq_reverse "
            + "seq_small seq_big seq_total seq_lost"
        #expect(
            lines[0]
                == "time interval_s | TCP \(fields) | UDP \(fields) | ICMP \(fields) | OTHER \(fields) | rule_1 \(fields)"
        )
        let sections = lines[1].components(separatedBy: " | ")
        #expect(sections.count == 6)
        #expect(sections[0] == "2021-06-30T12:34:56.789Z 1.000000")
        #expect(sections[1] == "TCP 0.000 0.000 - - - 0 0 0 0 0 0")
        #expect(sections[2] == "UDP 125000.000 100000.000 1.000000 0.000000 2000 2000 1 2 3 6 7")
        #expect(sections[5].hasPrefix("rule_1 125000.000 "))
        // Every section has as many words as its header.
        let headerSections = lines[0].components(separatedBy: " | ")
        for (h, s) in zip(headerSections, sections) {
            #expect(h.split(separator: " ").count == s.split(separator: " ").count)
        }
    }

    @Test func aMissingDirectoryIsAClearError() throws {
        let directory = try TemporaryDirectory()
        let missing = directory.url.path + "/not-there"
        let error = try #require(throws: LogFileError.self) {
            try LogFile(directory: missing, rules: [], throughputUnit: .bytesPerSecond)
        }
        #expect(error.description == "cannot create a log file in \(missing): No such file or directory")
        #expect(error.code == ENOENT)
    }

    /// Fails for root too: the parent is a regular file.
    @Test func aDirectoryUnderAFileIsAClearError() throws {
        let directory = try TemporaryDirectory()
        let file = directory.file("plain-file")
        try Data("x".utf8).write(to: file)
        let error = try #require(throws: LogFileError.self) {
            try LogFile(directory: file.path + "/logs", rules: [], throughputUnit: .bytesPerSecond)
        }
        #expect(error.description == "cannot create a log file in \(file.path)/logs: Not a directory")
        #expect(!error.description.contains("\n"))
        // A file given as the directory fails the same way.
        #expect(throws: LogFileError.self) {
            try LogFile(directory: file.path, rules: [], throughputUnit: .bytesPerSecond)
        }
    }

    @Test func anExistingFileIsNeverReused() throws {
        let directory = try TemporaryDirectory()
        let first = try LogFile(
            directory: directory.url.path, rules: [], throughputUnit: .bytesPerSecond, pid: 1, start: Self.start,
            timeZone: Self.utc)
        let second = try LogFile(
            directory: directory.url.path + "/", rules: [], throughputUnit: .bytesPerSecond, pid: 1, start: Self.start,
            timeZone: Self.utc)
        #expect(first.path.hasSuffix("/monitor_1_2021-06-30_12-34.log"))
        #expect(second.path == directory.url.path + "/monitor_1_2021-06-30_12-34_2.log")
        #expect(try Self.lines(first.path).count == 1)
        #expect(try Self.lines(second.path).count == 1)
    }
}
