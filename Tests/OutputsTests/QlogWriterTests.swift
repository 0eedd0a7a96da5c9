import Foundation
import Testing
import VtapMetrics
import VtapOutputs
import VtapTestSupport

/// The three qlog layouts, checked against what reads them: the 2021
/// prototype's own sample (seed data), and the header fields the draft and
/// qvis's loader look for.
@Suite struct QlogWriterTests {
    /// tcpdump's lines for one connection, turned back into segments: the
    /// first of each side prints absolute numbers, later ones relative, a
    /// bare ACK no sequence number (it is the side's next one).
    static func segments(fromTcpdump text: String, clients: Set<String>, server: String) throws -> [TCPSegment] {
        let line =
            #/IP (\S+)\.(\d+) > (\S+)\.(\d+): Flags \[([^\]]*)\](?:, seq (\d+)(?::(\d+))?)?(?:, ack (\d+))?, win (\d+).*length (\d+)/#
        var base: [String: UInt32] = [:]
        var next: [String: UInt32] = [:]
        var segments: [TCPSegment] = []
        for (index, row) in text.split(separator: "\n").enumerated() {
            guard let match = row.firstMatch(of: line) else { continue }
            let from = "\(match.1).\(match.2)"
            let to = "\(match.3).\(match.4)"
            guard (clients.contains(from) && to == server) || (clients.contains(to) && from == server) else { continue }
            let side = "\(from)>\(to)"
            let otherSide = "\(to)>\(from)"
            let letters = match.5
            var flags: TCPFlags = []
            if letters.contains("S") { flags.insert(.syn) }
            if letters.contains("F") { flags.insert(.fin) }
            if letters.contains("R") { flags.insert(.rst) }
            if letters.contains("P") { flags.insert(.psh) }
            if letters.contains(".") { flags.insert(.ack) }
            let length = try #require(Int(match.10))
            let printed = match.6.flatMap { UInt32($0) }
            let first = base[side] == nil
            let sequence: UInt32
            if let printed {
                sequence = first ? printed : (base[side] ?? 0) &+ printed
            } else {
                sequence = try #require(next[side])
            }
            if first { base[side] = sequence }
            let printedAck = match.8.flatMap { UInt32($0) } ?? 0
            let acknowledgement = first || base[otherSide] == nil ? printedAck : (base[otherSide] ?? 0) &+ printedAck
            let segment = TCPSegment(
                nanoseconds: Int64(index) * 1000, rule: 0, direction: clients.contains(from) ? .sent : .received,
                ipVersion: 4,
                source: .init(String(match.1), try #require(UInt16(match.2))),
                destination: .init(String(match.3), try #require(UInt16(match.4))), sequence: sequence,
                acknowledgement: acknowledgement, flags: flags, window: try #require(UInt16(match.9)),
                headerLength: 32, payloadLength: length, options: mptcpOptions(row))
            next[side] = sequence &+ segment.sequenceLength
            segments.append(segment)
        }
        return segments
    }

    /// vtap's legacy text for `trace` and the prototype's client trace, both parsed.
    static func legacyBesidePrototype(_ trace: TCPTrace) throws -> (ours: [[[Any]]], prototype: [[[Any]]]) {
        let writer = QlogWriter(directory: "/nonexistent", format: .legacy, ruleLabels: ["r"], origin: "test")
        let ours = try #require(
            try JSONSerialization.jsonObject(with: Data(writer.text(trace).utf8)) as? [String: [[[Any]]]])
        let sample = try #require(
            try JSONSerialization.jsonObject(
                with: Data(contentsOf: SeedData.directory.appendingPathComponent("tcpqlog/client_test.qlog")))
                as? [String: [[[Any]]]])
        #expect(Set(ours.keys) == ["events"] && Set(sample.keys) == ["events"])
        return (try #require(ours["events"]), try #require(sample["events"]))
    }

    /// The MPTCP options tcpdump printed, back in their wire form: the
    /// keys of `mptcp capable v1 {KEY[,KEY]}` and the token of `mptcp join
    /// id N token T nonce X`.
    static func mptcpOptions(_ row: Substring) -> [UInt8] {
        func bytes(_ value: UInt64, _ count: Int) -> [UInt8] {
            (0..<count).map { UInt8(truncatingIfNeeded: value >> (8 * UInt64(count - 1 - $0))) }
        }
        if let capable = row.firstMatch(of: #/mptcp capable v1 \{0x([0-9a-f]+)(?:,0x([0-9a-f]+))?\}/#),
            let key = UInt64(capable.1, radix: 16)
        {
            let second = capable.2.flatMap { UInt64($0, radix: 16) }
            return [30, second == nil ? 12 : 20, 0x01, 0x81] + bytes(key, 8) + (second.map { bytes($0, 8) } ?? [])
        }
        if let join = row.firstMatch(of: #/mptcp join id (\d+) token 0x([0-9a-f]+) nonce 0x([0-9a-f]+)/#),
            let id = UInt8(join.1), let token = UInt64(join.2, radix: 16), let nonce = UInt64(join.3, radix: 16)
        {
            return [30, 12, 0x10, id] + bytes(token, 4) + bytes(nonce, 4)
        }
        return []
    }

    /// The sample's three subflows: grouped under the first from their own
    /// keys and tokens, as the prototype grouped them (it used the parent's
    /// 4-tuple); one group each, the subflows' first event naming the
    /// parent, and each group's packets the prototype's.
    @Test(.seedData) func mptcpSubflowsGroupAsThePrototypesDid() throws {
        let directory = SeedData.directory.appendingPathComponent("tcpqlog")
        let dump = try String(contentsOf: directory.appendingPathComponent("tcpdump.log"), encoding: .utf8)
        let clients: Set<String> = ["172.17.0.30.58268", "172.17.1.31.50763", "172.17.2.32.37245"]
        let segments = try Self.segments(fromTcpdump: dump, clients: clients, server: "172.17.0.10.8000")
        #expect(MPTCPIdentity.token(ofKey: 0x2767_a641_2b74_2ad2) == 0x980f_be48)
        var tracker = TCPConnectionTracker()
        segments.forEach { tracker.add($0) }
        let traces = tracker.finish()
        #expect(traces.count == 1)
        let trace = try #require(traces.first)
        #expect(trace.subflows.count == 2)
        #expect(trace.subflows.allSatisfy { $0.parentGroupID == trace.groupID })
        let (mine, theirs) = try Self.legacyBesidePrototype(trace)
        #expect(mine.count == 3 && theirs.count == 3)
        for (group, (a, b)) in zip(mine, theirs).enumerated() {
            let packets = { (events: [[Any]]) in events.filter { ($0[2] as? String ?? "").hasPrefix("packet_") }.count }
            // The prototype's trace of the third subflow stops two packets
            // short of tcpdump's (the server's FIN and the last ACK): it
            // lost the end of that subflow; the other groups are whole.
            #expect(group == 2 ? packets(a) == packets(b) + 2 : packets(a) == packets(b), "group \(group)")
            #expect(a.first?[2] as? String == b.first?[2] as? String, "group \(group)")
            #expect(a.first?.count == b.first?.count, "group \(group)")
            if group > 0 {
                #expect(a.first?[5] as? String == mine[0].first?[4] as? String)
                #expect(b.first?[5] as? String == theirs[0].first?[4] as? String)
            }
        }
    }

    /// The prototype's client trace of its MPTCP sample's first subflow,
    /// next to vtap's `legacy` output for the same packets as tcpdump saw
    /// them: same layout, event names, grouping and header fields, and the
    /// same numbers (tcpdump's relative numbering). The prototype logged
    /// `win` as 0 on every sent packet (one of its known faults), so sent
    /// windows are compared with tcpdump's instead.
    @Test(.seedData) func legacyLayoutIsThePrototypes() throws {
        let directory = SeedData.directory.appendingPathComponent("tcpqlog")
        let dump = try String(contentsOf: directory.appendingPathComponent("tcpdump.log"), encoding: .utf8)
        let segments = try Self.segments(
            fromTcpdump: dump, clients: ["172.17.0.30.58268"], server: "172.17.0.10.8000")
        #expect(segments.count == 16)
        var tracker = TCPConnectionTracker()
        segments.forEach { tracker.add($0) }
        let trace = try #require(tracker.finish().first)
        let groups = try Self.legacyBesidePrototype(trace)
        let mine = try #require(groups.ours.first)
        let theirs = try #require(groups.prototype.first)
        // vtap adds the close the prototype never logged; the rest is 1:1.
        #expect(mine.count == theirs.count + 1)
        #expect((mine.last?[2] as? String) == "connection_closed")
        // tcpdump ran on the server, the prototype on the client: two
        // packets crossing on the wire are in the other order at each end,
        // so each direction is compared in its own order.
        func side(_ events: [[Any]], _ name: String) -> [[Any]] { events.filter { $0[2] as? String == name } }
        var pairs = [(mine[0], theirs[0])]
        for name in ["packet_sent", "packet_received"] {
            #expect(side(mine, name).count == side(theirs, name).count, "\(name)")
            pairs += zip(side(mine, name), side(theirs, name)).map { ($0, $1) }
        }
        #expect(pairs.count == theirs.count)
        for (index, (a, b)) in pairs.enumerated() {
            #expect(a.count == 5 && b.count == 5, "event \(index)")
            #expect(a[0] is Int && b[0] is Int)
            #expect(a[1] as? String == b[1] as? String && a[2] as? String == b[2] as? String, "event \(index)")
            #expect(a[4] as? String == trace.groupID)
            let ourData = try #require(a[3] as? [String: Any])
            let theirData = try #require(b[3] as? [String: Any])
            #expect(Set(ourData.keys) == Set(theirData.keys), "event \(index)")
            guard let ourHeader = ourData["header"] as? [String: Any],
                let theirHeader = theirData["header"] as? [String: Any]
            else { continue }
            #expect(Set(ourHeader.keys) == Set(theirHeader.keys), "event \(index): \(ourHeader) \(theirHeader)")
            for key in ["flags", "seq", "ack"] {
                #expect(
                    (ourHeader[key] as? NSObject) == (theirHeader[key] as? NSObject),
                    "event \(index) \(key): \(ourHeader) vs \(theirHeader)")
            }
            if b[2] as? String == "packet_received" {
                #expect(ourHeader["win"] as? Int == theirHeader["win"] as? Int, "event \(index)")
            }
        }
        let started = try #require(mine.first?[3] as? [String: Any])
        let theirStart = try #require(theirs.first?[3] as? [String: Any])
        #expect((started as NSDictionary) == (theirStart as NSDictionary))
    }

    static func records(_ text: String) throws -> [[String: Any]] {
        #expect(text.hasPrefix("\u{1E}") && text.hasSuffix("\n"))
        return try text.split(separator: "\u{1E}").map {
            try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
    }

    static func trace() throws -> TCPTrace {
        let client = TCPSegment.Endpoint("2001:db8::1", 50000)
        let server = TCPSegment.Endpoint("2001:db8::2", 80)
        var tracker = TCPConnectionTracker()
        tracker.add(
            TCPSegment(
                nanoseconds: 1_700_000_000_123_456_789, rule: 0, direction: .sent, ipVersion: 6, source: client,
                destination: server, sequence: 7, acknowledgement: 0, flags: .syn, window: 64800, headerLength: 40,
                payloadLength: 0, options: [2, 4, 5, 0xa0, 4, 2, 1, 3, 3, 7]))
        tracker.add(
            TCPSegment(
                nanoseconds: 1_700_000_000_124_000_000, rule: 0, direction: .received, ipVersion: 6, source: server,
                destination: client, sequence: 90, acknowledgement: 8, flags: [.syn, .ack], window: 64260,
                headerLength: 40, payloadLength: 0))
        return try #require(tracker.finish().first)
    }

    /// The draft's header and time base: a file schema and serialization
    /// format, times in ms from an epoch that keeps their nanoseconds.
    @Test func sqlogHeaderAndTimes() throws {
        let trace = try Self.trace()
        let writer = QlogWriter(directory: "/tmp", format: .sqlog, ruleLabels: ["web"], origin: "on host (eth0)")
        #expect(writer.path(of: trace) == "/tmp/\(trace.groupID).sqlog")
        let records = try Self.records(writer.text(trace))
        let header = try #require(records.first)
        #expect(header["file_schema"] as? String == "urn:ietf:params:qlog:file:sequential")
        #expect(header["serialization_format"] as? String == "application/qlog+json-seq")
        #expect(header["qlog_version"] == nil)
        let traceHeader = try #require(header["trace"] as? [String: Any])
        #expect(traceHeader["event_schemas"] as? [String] == [QlogWriter.schemaURI])
        #expect(!QlogWriter.schemaURI.hasPrefix("urn:ietf:params:qlog:events:"))
        let common = try #require(traceHeader["common_fields"] as? [String: Any])
        #expect(common["group_id"] as? String == trace.groupID)
        #expect(
            (common["reference_time"] as? [String: Any])?["epoch"] as? String == "2023-11-14T22:13:20.123Z")
        let events = records.dropFirst()
        #expect(
            events.map { $0["name"] as? String } == [
                "tcp:connection_started", "tcp:packet_sent", "tcp:packet_received",
            ])
        #expect(events.map { $0["time"] as? Double } == [0.456789, 0.456789, 1.0])
        let options = ((events.dropFirst().first?["data"] as? [String: Any])?["header"] as? [String: Any])?["options"]
        let kinds = (options as? [[String: Any]])?.compactMap { $0["kind"] as? String }
        #expect(kinds == ["mss", "sackOK", "nop", "wscale"])
    }

    /// What qvis's JSON-SEQ loader requires: `qlog_version` it knows,
    /// `qlog_format` "JSON-SEQ", a `trace`; categories it draws.
    @Test func qvisHeaderIsTheOneQvisLoads() throws {
        let writer = QlogWriter(directory: "/tmp", format: .qvis, ruleLabels: ["web"], origin: "test")
        let records = try Self.records(writer.text(try Self.trace()))
        let header = try #require(records.first)
        #expect(header["qlog_version"] as? String == "0.3")
        #expect(header["qlog_format"] as? String == "JSON-SEQ")
        #expect(header["trace"] is [String: Any])
        #expect(header["file_schema"] == nil)
        #expect(
            records.dropFirst().map { $0["name"] as? String } == [
                "connectivity:connection_started", "transport:packet_sent", "transport:packet_received",
            ])
        #expect(records.dropFirst().first?["time"] as? Double == 1_700_000_000_123.4568)
    }
}

/// `scripts/validate-qlog`: pycddl (PyPI) over the qlog main schema plus
/// docs/qlog-tcp.cddl. The main schema is the draft's own CDDL, which the
/// script downloads from GitHub once (or takes from QLOG_DRAFT_URL), or
/// vtap's transcription of it, docs/qlog-main-schema.cddl, which needs no
/// network beyond PyPI: CI's machines reach only Debian and PyPI.
enum QlogDraft {
    static let cached = FileManager.default.homeDirectoryForCurrentUser
        .appendingPathComponent(".cache/vtap/qlog-validator/draft-ietf-quic-qlog-main-schema-14.md")

    static var available: Bool {
        if ProcessInfo.processInfo.environment["QLOG_DRAFT_URL"] != nil { return true }
        if ProcessInfo.processInfo.environment["XDG_CACHE_HOME"] == nil,
            FileManager.default.fileExists(atPath: cached.path)
        {
            return true
        }
        let probe = try? CommandRunner.run(
            ["curl", "-fsS", "-o", "/dev/null", "--max-time", "10", "https://raw.githubusercontent.com/"],
            timeout: .seconds(15))
        return probe?.status == 0
    }

    /// Runs the validator over files with one main schema ("draft" or
    /// "vtap"); the verdict for each file, in order: "valid", or the record
    /// that failed ("record 3").
    static func verdicts(_ files: [String], schema: String) throws -> (verdicts: [String], run: CommandResult) {
        let script = RepositoryLayout.file("scripts/validate-qlog").path
        let run = try CommandRunner.run([script, "--schema", schema] + files, timeout: .seconds(300))
        let lines = run.standardOutput.split(separator: "\n")
        let verdicts = zip(files, lines).map { file, line -> String in
            let said = line.dropFirst(file.count + 2)
            if said.hasSuffix("records valid") { return "valid" }
            return String(said.prefix { $0 != " " && $0 != ":" }) + " "
                + String(said.drop { $0 != " " }.dropFirst().prefix { $0.isNumber })
        }
        return (verdicts, run)
    }

    /// Every trace the writer makes of the fixtures, as .sqlog files.
    static func files(in directory: TemporaryDirectory) throws -> [String] {
        var tracker = TCPConnectionTracker()
        TCPConnectionTrackerFixture.exchange.forEach { tracker.add($0) }
        let traces = tracker.finish() + [try QlogWriterTests.trace()]
        let writer = QlogWriter(
            directory: directory.url.path, format: .sqlog, ruleLabels: ["web"], origin: "on host (eth0)")
        for trace in traces { try writer.write(trace) }
        return traces.map { writer.path(of: $0) }
    }
}

extension QlogWriterTests {
    func validatesAndCatchesAMisspeltKey(schema: String) throws {
        let directory = try TemporaryDirectory(prefix: "vtap-qlog-cddl")
        let files = try QlogDraft.files(in: directory)
        let valid = try QlogDraft.verdicts(files, schema: schema)
        #expect(valid.run.status == 0, "\(valid.run.summary)")
        #expect(valid.verdicts == Array(repeating: "valid", count: files.count), "\(valid.run.summary)")

        // A misspelt key fails: the check can fail.
        let text = try String(contentsOfFile: files[0], encoding: .utf8)
        let broken = directory.file("broken.sqlog")
        try text.replacingOccurrences(of: "\"window\"", with: "\"windw\"").write(
            to: broken, atomically: true, encoding: .utf8)
        let invalid = try QlogDraft.verdicts([broken.path], schema: schema)
        #expect(invalid.run.status == 1, "\(invalid.run.summary)")
        #expect(invalid.verdicts.first?.hasPrefix("record ") == true, "\(invalid.run.summary)")
    }

    /// Runs everywhere, CI included: pycddl from PyPI over vtap's
    /// transcription of the main schema.
    @Test func sqlogFilesValidateAgainstTheMainSchema() throws {
        try validatesAndCatchesAMisspeltKey(schema: "vtap")
    }

    @Test(.enabled(if: QlogDraft.available, "needs the qlog draft: network to GitHub, its cache, or QLOG_DRAFT_URL"))
    func sqlogFilesValidateAgainstTheDraftsCDDL() throws {
        try validatesAndCatchesAMisspeltKey(schema: "draft")
    }

    /// vtap's transcription against the draft's own CDDL: the same records,
    /// valid and broken in the header and the event envelope (the part the
    /// transcription covers), get the same verdicts from both.
    @Test(.enabled(if: QlogDraft.available, "needs the qlog draft: network to GitHub, its cache, or QLOG_DRAFT_URL"))
    func transcriptionAgreesWithTheDraft() throws {
        let directory = try TemporaryDirectory(prefix: "vtap-qlog-agree")
        let original = try #require(QlogDraft.files(in: directory).last)
        let records = try Self.records(String(contentsOfFile: original, encoding: .utf8))
        typealias Record = [String: Any]
        func header(_ change: (inout Record) -> Void) -> [Record] {
            var first = records[0]
            change(&first)
            return [first] + records.dropFirst()
        }
        func trace(_ change: (inout Record) -> Void) -> [Record] {
            header { head in
                var trace = head["trace"] as? Record ?? [:]
                change(&trace)
                head["trace"] = trace
            }
        }
        func event(_ change: (inout Record) -> Void) -> [Record] {
            var copy = records
            change(&copy[1])
            return copy
        }
        func nested(_ record: inout Record, _ key: String, _ change: (inout Record) -> Void) {
            var inner = record[key] as? Record ?? [:]
            change(&inner)
            record[key] = inner
        }
        let cases: [(String, [Record])] = [
            ("unchanged", records),
            ("file_schema missing", header { $0["file_schema"] = nil }),
            ("serialization_format a number", header { $0["serialization_format"] = 1 }),
            ("title a number", header { $0["title"] = 7 }),
            ("trace missing", header { $0["trace"] = nil }),
            ("event_schemas missing", trace { $0["event_schemas"] = nil }),
            ("event_schemas empty", trace { $0["event_schemas"] = [String]() }),
            ("event_schemas numbers", trace { $0["event_schemas"] = [1] }),
            ("vantage type observer", trace { nested(&$0, "vantage_point") { $0["type"] = "observer" } }),
            ("vantage type missing", trace { nested(&$0, "vantage_point") { $0["type"] = nil } }),
            ("vantage flow network", trace { nested(&$0, "vantage_point") { $0["flow"] = "network" } }),
            ("vantage flow server", trace { nested(&$0, "vantage_point") { $0["flow"] = "server" } }),
            ("common field of vtap's own", trace { nested(&$0, "common_fields") { $0["vtap_host"] = "h1" } }),
            ("common time_format absolute", trace { nested(&$0, "common_fields") { $0["time_format"] = "absolute" } }),
            ("common group_id a number", trace { nested(&$0, "common_fields") { $0["group_id"] = 3 } }),
            (
                "reference_time without epoch",
                trace { nested(&$0, "common_fields") { nested(&$0, "reference_time") { $0["epoch"] = nil } } }
            ),
            (
                "reference_time epoch unknown",
                trace { nested(&$0, "common_fields") { nested(&$0, "reference_time") { $0["epoch"] = "unknown" } } }
            ),
            (
                "reference_time clock a number",
                trace { nested(&$0, "common_fields") { nested(&$0, "reference_time") { $0["clock_type"] = 2 } } }
            ),
            ("event time a string", event { $0["time"] = "0.5" }),
            ("event time missing", event { $0["time"] = nil }),
            ("event name missing", event { $0["name"] = nil }),
            ("event data missing", event { $0["data"] = nil }),
            ("event group_id a number", event { $0["group_id"] = 9 }),
            ("event tuple a number", event { $0["tuple"] = 9 }),
            ("event time_format previous", event { $0["time_format"] = "relative_to_previous_event" }),
            ("event time_format absolute", event { $0["time_format"] = "absolute" }),
            ("event processor_id", event { $0["system_info"] = ["processor_id": 1] }),
            ("event processor_id negative", event { $0["system_info"] = ["processor_id": -1] }),
            ("event processor_id 2^32", event { $0["system_info"] = ["process_id": 4_294_967_296] }),
            ("event thread_id a string", event { $0["system_info"] = ["thread_id": "7"] }),
        ]
        var files: [String] = []
        for (index, (_, changed)) in cases.enumerated() {
            var text = ""
            for record in changed {
                let data = try JSONSerialization.data(withJSONObject: record, options: [.sortedKeys])
                text += "\u{1E}" + String(decoding: data, as: UTF8.self) + "\n"
            }
            let file = directory.file("case-\(index).sqlog")
            try text.write(to: file, atomically: true, encoding: .utf8)
            files.append(file.path)
        }
        let draft = try QlogDraft.verdicts(files, schema: "draft")
        let vtap = try QlogDraft.verdicts(files, schema: "vtap")
        #expect(draft.verdicts.count == cases.count, "\(draft.run.summary)")
        #expect(vtap.verdicts.count == cases.count, "\(vtap.run.summary)")
        for (index, (name, _)) in cases.enumerated() where index < min(draft.verdicts.count, vtap.verdicts.count) {
            #expect(vtap.verdicts[index] == draft.verdicts[index], "\(name)")
        }
        // Both can refuse: the cases are not all let through.
        #expect(draft.verdicts.filter { $0 != "valid" }.count > cases.count / 2)
    }
}

/// A whole exchange with options, for the validator.
enum TCPConnectionTrackerFixture {
    static let exchange: [TCPSegment] = {
        let client = TCPSegment.Endpoint("192.0.2.1", 40000)
        let server = TCPSegment.Endpoint("198.51.100.7", 443)
        func segment(
            _ ms: Int64, _ from: TCPSegment.Endpoint, _ flags: TCPFlags, _ seq: UInt32, _ ack: UInt32, _ length: Int,
            _ options: [UInt8] = []
        ) -> TCPSegment {
            TCPSegment(
                nanoseconds: 1_800_000_000_000_000_000 + ms * 1_000_000, rule: 0,
                direction: from == client ? .sent : .received, ipVersion: 4, source: from,
                destination: from == client ? server : client, sequence: seq, acknowledgement: ack, flags: flags,
                window: 502, headerLength: 20 + options.count, payloadLength: length, options: options)
        }
        let handshake: [UInt8] = [2, 4, 5, 0xb4, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 3, 3, 7]
        return [
            segment(0, client, .syn, 100, 0, 0, handshake),
            segment(1, server, [.syn, .ack], 900, 101, 0, handshake),
            segment(2, client, .ack, 101, 901, 0),
            segment(3, client, [.psh, .ack], 101, 901, 80, [1, 1, 5, 10, 0, 0, 0, 1, 0, 0, 0, 2]),
            segment(4, client, [.psh, .ack], 101, 901, 80),
            segment(
                5, server, [.fin, .ack], 901, 181, 0, [30, 18, 0x20, 0x05, 0, 0, 0, 9, 0, 0, 0, 7, 0, 0, 0, 1, 0, 80]),
            segment(6, client, [.fin, .ack], 181, 902, 0),
            segment(7, server, .ack, 902, 182, 0),
        ]
    }()
}
