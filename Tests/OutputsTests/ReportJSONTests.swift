import Foundation
import Testing
import VtapMetrics
import VtapOutputs
import VtapRuleModel
import VtapTestSupport

@Suite struct ReportJSONTests {
    static func object(_ line: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
    }

    /// Keys of the first object in `line`, in order, without those of nested objects.
    static func topLevelKeys(_ line: String) -> [String] {
        var keys: [String] = []
        var depth = 0
        var inString = false
        var escaped = false
        var current = ""
        var lastString = ""
        for ch in line {
            if inString {
                if escaped {
                    escaped = false
                    current.append(ch)
                    continue
                }
                if ch == "\\" {
                    escaped = true
                    continue
                }
                if ch == "\"" {
                    inString = false
                    lastString = current
                    continue
                }
                current.append(ch)
                continue
            }
            switch ch {
            case "\"":
                inString = true
                current = ""
            case "{", "[": depth += 1
            case "}", "]":
                depth -= 1
                if depth == 0 { return keys }
            case ":" where depth == 1: keys.append(lastString)
            default: break
            }
        }
        return keys
    }

    /// With --flows, `flows` after `summary`: each flow's rule, 5-tuple
    /// and the scope metrics; without it, no such key.
    @Test func flowsFollowTheSummaryKeyWhenAskedFor() throws {
        var report = Fixtures.interval(names: [nil, "dns"], packets: [3000, 0])
        #expect(!Self.topLevelKeys(ReportJSON.line(report)).contains("flows"))
        report.flowLimit = 2
        report.flows = [
            IntervalReport.Flow(
                key: FlowKey(
                    rule: 1, ipProtocol: 17, source: "2001:db8::1", destination: "2001:db8::2", sourcePort: 5353,
                    destinationPort: 53),
                rule: "dns", metrics: report.rules[1].metrics)
        ]
        let line = ReportJSON.line(report)
        #expect(Self.topLevelKeys(line).suffix(2) == ["summary", "flows"])
        let flows = try #require(try Self.object(line)["flows"] as? [[String: Any]])
        #expect(flows.count == 1)
        #expect(flows[0]["rule"] as? String == "dns" && flows[0]["protocol"] as? Int == 17)
        #expect(flows[0]["source"] as? String == "2001:db8::1" && flows[0]["source_port"] as? Int == 5353)
        #expect(flows[0]["destination"] as? String == "2001:db8::2" && flows[0]["destination_port"] as? Int == 53)
        #expect(Set(flows[0].keys).isSuperset(of: ReportJSON.scopeKeys))
    }

    @Test func oneCompactLineWithTheKeysInOrder() throws {
        let report = Fixtures.interval(names: [nil, "dns"], packets: [3000, 0])
        let line = ReportJSON.line(report)
        #expect(!line.contains("\n"))
        #expect(!line.contains(": "))
        #expect(
            Self.topLevelKeys(line) == [
                "time", "interfaces", "interval_s", "throughput_unit", "protocols", "rules", "unmatched", "malformed",
                "flow_table", "summary",
            ])
        let json = try Self.object(line)
        #expect(json["time"] as? String == "2021-06-30T12:34:56.789Z")
        #expect(json["interfaces"] as? [String] == ["eth0", "eth1"])
        #expect(json["interval_s"] as? Double == 1)
        #expect(json["throughput_unit"] as? String == "bit/s")
        #expect(json["summary"] as? Bool == false)
        let protocols = try #require(json["protocols"] as? [String: Any])
        #expect(
            Self.topLevelKeys(String(line[line.range(of: "\"protocols\":")!.upperBound...])) == [
                "tcp", "udp", "icmp", "other",
            ])
        for name in ["tcp", "udp", "icmp", "other"] {
            let scope = try #require(protocols[name] as? [String: Any])
            #expect(Set(scope.keys) == Set(ReportJSON.scopeKeys))
        }
        let rules = try #require(json["rules"] as? [[String: Any]])
        #expect(rules.count == 2)
        for rule in rules {
            #expect(Set(rule.keys) == Set(["index", "name", "label"] + ReportJSON.scopeKeys))
        }
        // Rule objects: index, name, label, then the scope keys in order.
        let firstRule = String(line[line.range(of: "\"rules\":[")!.upperBound...])
        #expect(Self.topLevelKeys(firstRule) == ["index", "name", "label"] + ReportJSON.scopeKeys)
        #expect(json["unmatched"] as? [String: Int] == ["packets": 11, "bytes": 800])
        #expect(json["malformed"] as? [String: Int] == ["packets": 1, "bytes": 24])
    }

    @Test func absentValuesAreNullNotMissing() throws {
        let report = Fixtures.interval(names: [nil, "dns"], packets: [3000, 0])
        let json = try Self.object(ReportJSON.line(report))
        let rules = try #require(json["rules"] as? [[String: Any]])
        #expect(rules[0]["name"] is NSNull)
        #expect(rules[0]["label"] as? String == "1")
        #expect(rules[1]["name"] as? String == "dns")
        #expect(rules[1]["index"] as? Int == 1)
        // No traffic at all: no jitter sample, no sequence number.
        #expect(rules[1]["jitter_mean_ms"] is NSNull)
        #expect(rules[1]["jitter_stddev_ms"] is NSNull)
        #expect(rules[1]["seq_last"] is NSNull)
        #expect(rules[1]["pps"] as? Double == 0)
        #expect(rules[0]["jitter_mean_ms"] as? Double == 1)
        #expect(rules[0]["jitter_stddev_ms"] as? Double == 0)
        #expect(rules[0]["seq_last"] as? Int == 3000)
        #expect(rules[0]["seq_total"] as? Int == 6)
        #expect(rules[0]["seq_missing"] as? Int == 4)
        #expect(rules[0]["pps"] as? Double == 1000)
        #expect(rules[0]["throughput"] as? Double == 1_000_000)
        #expect(rules[0]["goodput"] as? Double == 800_000)
        // An interval of no length: rates are null too.
        let zero = ReportBuilder.summary(
            totals: Fixtures.totals([5]), seconds: 0, context: Fixtures.context(names: [nil]))
        let zeroRule = try #require((try Self.object(ReportJSON.line(zero))["rules"] as? [[String: Any]])?.first)
        #expect(zeroRule["pps"] is NSNull && zeroRule["throughput"] is NSNull && zeroRule["goodput"] is NSNull)
    }

    @Test func theSummaryIsMarked() throws {
        let summary = ReportBuilder.summary(
            totals: Fixtures.totals([3000]), seconds: 30, context: Fixtures.context(names: ["web"]))
        let json = try Self.object(ReportJSON.line(summary))
        #expect(json["summary"] as? Bool == true)
        #expect(json["interval_s"] as? Double == 30)
        #expect((json["rules"] as? [[String: Any]])?.first?["pps"] as? Double == 100)
    }

    @Test func stringsAreEscaped() throws {
        let awkward = "quote \" backslash \\ newline \n tab \t bell \u{7} é ✓ 🦀"
        let report = ReportBuilder.interval(
            from: MeasurementTotals(ruleCount: 1), to: MeasurementTotals(ruleCount: 1), seconds: 1,
            context: ReportContext(
                time: Fixtures.time, interfaces: [awkward], throughputUnit: .bytesPerSecond,
                rules: [
                    Manifest.RuleEntry(
                        index: 0, number: 1, name: awkward, label: awkward, source: "", line: 1, column: 1)
                ],
                display: Settings.Display()))
        let line = ReportJSON.line(report)
        #expect(!line.contains("\n") && !line.contains("\u{7}"))
        #expect(line.contains("\\u0007"))
        let json = try Self.object(line)
        #expect(json["interfaces"] as? [String] == [awkward])
        #expect((json["rules"] as? [[String: Any]])?.first?["name"] as? String == awkward)
    }

    /// `vtap replay --json` printed this before the interval reports (the
    /// README's example, as CountSummary encoded it); every key and value
    /// must still be in the summary built from the same counters.
    static let replayJSONBeforeReports = """
        {"malformed":{"bytes":24,"packets":1},"protocols":{"icmp":{"bytes":0,"packets":0},\
        "other":{"bytes":0,"packets":0},"tcp":{"bytes":3234,"packets":21},"udp":{"bytes":1200,"packets":20}},\
        "rules":[{"bytes":3234,"index":0,"label":"1","name":null,"packets":21},\
        {"bytes":1200,"index":1,"label":"named","name":"named","packets":20}],"unmatched":{"bytes":800,"packets":11}}
        """

    @Test func replaysEarlierJSONIsASubset() throws {
        var udp = Counters()
        udp.packets = 20
        udp.bytes = 1200
        var tcp = Counters()
        tcp.packets = 21
        tcp.bytes = 3234
        var totals = Array(repeating: Tally(), count: ObjectContract.totals.count)
        totals[ObjectContract.totals.firstIndex(of: "unmatched")!] = Tally(packets: 11, bytes: 800)
        totals[ObjectContract.totals.firstIndex(of: "malformed")!] = Tally(packets: 1, bytes: 24)
        let snapshot = CounterSnapshot(
            rules: [tcp, udp], protocols: [tcp, udp, Counters(), Counters()], totals: totals)
        var accumulator = TotalsAccumulator(ruleCount: 2)
        accumulator.add(snapshot, from: "capture.pcap")
        let report = ReportBuilder.summary(
            totals: accumulator.totals, seconds: 1,
            context: ReportContext(
                time: Fixtures.time, interfaces: ["capture.pcap"], throughputUnit: .bytesPerSecond,
                rules: Fixtures.rules([nil, "named"]), display: Settings.Display()))
        let old = try JSONSerialization.jsonObject(with: Data(Self.replayJSONBeforeReports.utf8))
        let new = try JSONSerialization.jsonObject(with: Data(ReportJSON.line(report).utf8))

        var compared = 0
        func contained(_ a: Any, in b: Any, at path: String) {
            switch (a, b) {
            case (let a as [String: Any], let b as [String: Any]):
                for (key, value) in a {
                    guard let other = b[key] else {
                        Issue.record("\(path).\(key) is missing")
                        continue
                    }
                    contained(value, in: other, at: "\(path).\(key)")
                }
            case (let a as [Any], let b as [Any]):
                #expect(a.count == b.count, "\(path)")
                for (i, (x, y)) in zip(a, b).enumerated() { contained(x, in: y, at: "\(path)[\(i)]") }
            default:
                compared += 1
                #expect("\(a)" == "\(b)", "\(path)")
            }
        }
        contained(old, in: new, at: "")
        #expect(compared == 22)
    }

    /// The one golden line: the whole shape at a glance.
    @Test func goldenLine() {
        let report = ReportBuilder.interval(
            from: Fixtures.totals([0]), to: Fixtures.totals([2]), seconds: 0.5,
            context: Fixtures.context(names: ["a"], unit: .bytesPerSecond, interfaces: ["lo"]))
        let scope =
            #"{"packets":2,"bytes":250,"payload_bytes":200,"pps":4.0,"throughput":500.0,"goodput":400.0,"#
            + #""jitter_mean_ms":1.0,"jitter_stddev_ms":0.0,"seq_last":2,"seq_count":2,"seq_reverse":1,"#
            + #""seq_small":2,"seq_big":3,"seq_total":6,"seq_lost":7,"seq_missing":4}"#
        let empty =
            #"{"packets":0,"bytes":0,"payload_bytes":0,"pps":0.0,"throughput":0.0,"goodput":0.0,"#
            + #""jitter_mean_ms":null,"jitter_stddev_ms":null,"seq_last":null,"seq_count":0,"seq_reverse":0,"#
            + #""seq_small":0,"seq_big":0,"seq_total":0,"seq_lost":0,"seq_missing":0}"#
        let expected =
            #"{"time":"2021-06-30T12:34:56.789Z","interfaces":["lo"],"interval_s":0.5,"#
            + #""throughput_unit":"B/s","protocols":{"tcp":\#(empty),"udp":\#(scope),"icmp":\#(empty),"#
            + #""other":\#(empty)},"rules":[{"index":0,"name":"a","label":"a","# + scope.dropFirst() + "],"
            + #""unmatched":{"packets":11,"bytes":800},"malformed":{"packets":1,"bytes":24},"#
            + #""flow_table":{"held":0,"started":0,"evicted":0,"view_held":0,"view_started":0,"view_evicted":0},"#
            + #""summary":false}"#
        #expect(ReportJSON.line(report) == expected)
    }

    @Test func linesAreWrittenOneByOne() throws {
        let directory = try TemporaryDirectory()
        let url = directory.file("out.jsonl")
        #expect(FileManager.default.createFile(atPath: url.path, contents: nil))
        let handle = try FileHandle(forWritingTo: url)
        let writer = JSONLinesWriter(handle)
        try writer.write(Fixtures.interval(names: [nil], packets: [1000]))
        try writer.write(Fixtures.interval(names: [nil], packets: [2000]))
        try writer.write(
            ReportBuilder.summary(
                totals: Fixtures.totals([2000]), seconds: 2, context: Fixtures.context(names: [nil])))
        try handle.close()
        let lines = try String(contentsOf: url, encoding: .utf8).split(
            separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.count == 4 && lines[3].isEmpty)
        let objects = try lines.dropLast().map { try Self.object(String($0)) }
        #expect(objects.map { $0["summary"] as? Bool } == [false, false, true])
    }
}
