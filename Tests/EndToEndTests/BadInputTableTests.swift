import Foundation
import Testing
import VtapTestSupport

extension EndToEnd {
    /// The bad-input table: one list of bad inputs across vtapc, vtap run,
    /// vtap replay, start/stop/status and the exporter's flags, each run for
    /// real. Each must end with its documented exit code and a first line
    /// naming the problem and its place, without a crash, a partial file or
    /// a program left loaded. docs/bad-input.md is this list as it ran; the
    /// test fails when the page differs (VTAP_WRITE_DOCS=1 rewrites it).
    @Suite struct BadInputTable {
        /// How the error is printed.
        enum Shape {
            /// `tool: error: …`, one line.
            case oneLine
            /// A rules diagnostic: `FILE:LINE:COL: error: … [id]`, its source
            /// line and caret, and a count.
            case diagnostics
            /// Argument parsing: `Error: …`, then the usage.
            case usage
        }

        struct Case {
            var input: String
            var arguments: [String]
            var exit: Int32
            /// In the first line of stderr.
            var says: String
            var shape: Shape = .oneLine
            /// A file the command must not leave behind (or, when it existed
            /// before, must leave as it was).
            var output: String? = nil
        }

        /// Files of every kind a user hands over by mistake, made fresh.
        final class Fixture {
            let directory: TemporaryDirectory
            let busyPort: Int32
            private let busySocket: Int32

            var path: String { directory.url.path }
            func file(_ name: String) -> String { directory.file(name).path }

            init() throws {
                let directory = try TemporaryDirectory(prefix: "vtap-bad-input")
                func write(_ name: String, _ text: String) throws {
                    try Data(text.utf8).write(to: directory.file(name))
                }
                func bytes(_ name: String, _ data: [UInt8]) throws { try Data(data).write(to: directory.file(name)) }
                let seed = try Data(contentsOf: RepositoryLayout.file("rules/seed.json"))
                try seed.write(to: directory.file("good.json"))
                try write("empty.json", "")
                try bytes("junk.json", (0..<2000).map { UInt8(0x80 + ($0 * 37) % 128) })
                try write("array.json", "[1, 2]")
                try write("rules-string.json", #"{"RULES": "x"}"#)
                try write("rule-number.json", #"{"RULES": [42]}"#)
                try write("long-line.json", #"{"RULES": [""# + String(repeating: "A", count: 10_000_000) + #""]}"#)
                try write(
                    "deep.json",
                    #"{"RULES": "# + String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
                        + "}")
                try bytes("bad-utf8.json", Array(#"{"RULES": ["- - - - T"#.utf8) + [0xFF] + Array(#"CP"]}"#.utf8))
                try write("duplicate-key.json", #"{"RULES": ["- - - - TCP"], "RULES": ["- - - - UDP"]}"#)
                try write("trailing.json", #"{"RULES": ["- - - - TCP"]} x"#)
                try write("unterminated.json", #"{"RULES": ["- - - - TCP"#)
                try bytes("nul.json", Array(#"{"RULES": ["- - - - T"#.utf8) + [0] + Array(#"CP"]}"#.utf8))
                try write("bad-ipv4.json", #"{"RULES": ["1.1.1.300 - - - TCP"]}"#)
                try write("qlog.json", #"{"RULES": ["- - - 80 TCP"], "EVENTS": {"QLOG": true}}"#)
                try write("bad-ipv6.json", #"{"RULES": ["2001:db8::zz - - - TCP"]}"#)
                try write("bad-prefix.json", #"{"RULES": ["10.0.0.0/33 - - - TCP"]}"#)
                try write("bad-port.json", #"{"RULES": ["- - 70000 - TCP"]}"#)
                try write("inverted-range.json", #"{"RULES": ["- - 90-80 - TCP"]}"#)
                try write("bad-protocol.json", #"{"RULES": ["- - - - SCTPX"]}"#)
                try write("few-fields.json", #"{"RULES": ["a b c"]}"#)
                try write("no-rules.json", #"{"RULES": []}"#)
                try write("name-number.json", #"{"RULES": [{"name": 5, "rule": "- - - - TCP"}]}"#)
                try write("bad-pattern.json", #"{"RULES": ["- - - - TCP"], "PATTERN": "0xZZ", "OFFSET": "4"}"#)
                try write("pattern-alone.json", #"{"RULES": ["- - - - UDP"], "PATTERN": "0x1"}"#)
                try write("bad-display.json", #"{"RULES": ["- - - - TCP"], "DISPLAY": {"Jitter": 3}}"#)
                try write("bad-threshold.json", #"{"RULES": ["- - - - TCP"], "SEQUENCE_THRESHOLD": "two"}"#)
                try write("bad-level.json", #"{"RULES": ["- - - - TCP"], "EVENTS": {"LEVELS": ["nope"]}}"#)
                try write("bad-kpi.json", #"{"RULES": ["- - - - TCP"], "KPIS": {"KPI": ["nope"]}}"#)
                try FileManager.default.createDirectory(
                    at: directory.file("a-directory"), withIntermediateDirectories: true)
                guard mkfifo(directory.file("a-fifo").path, 0o600) == 0 else { throw ReportError("mkfifo failed") }
                try FileManager.default.createSymbolicLink(
                    atPath: directory.file("state-link").path, withDestinationPath: directory.file("a-directory").path)
                try write("existing.o", "an earlier object")

                // Objects and manifests: a good one, and each way one can be wrong.
                try RulesFile.compile(directory.file("good.json"), to: directory.file("good.o"))
                let object = try Data(contentsOf: directory.file("good.o"))
                let manifestText = try String(contentsOf: directory.file("good.manifest.json"), encoding: .utf8)
                guard let manifest = try JSONSerialization.jsonObject(with: Data(manifestText.utf8)) as? [String: Any]
                else { throw ReportError("vtapc wrote a manifest that is not a JSON object") }
                func pair(_ name: String, object: Data, manifest: Any) throws {
                    try object.write(to: directory.file("\(name).o"))
                    let data =
                        try (manifest as? String).map { Data($0.utf8) }
                        ?? JSONSerialization.data(withJSONObject: manifest)
                    try data.write(to: directory.file("\(name).manifest.json"))
                }
                try pair("text", object: Data("not an object".utf8), manifest: manifestText)
                try pair("truncated", object: object.prefix(5000), manifest: manifestText)
                try Data(contentsOf: URL(fileURLWithPath: "/bin/true")).write(to: directory.file("other-tool.o"))
                try pair("not-json", object: object, manifest: "{")
                var schema = manifest
                schema["schema_version"] = 99
                try pair("schema", object: object, manifest: schema)
                var extraRule = manifest
                if let rules = manifest["rules"] as? [Any], let first = rules.first {
                    extraRule["rules"] = rules + [first]
                }
                try pair("extra-rule", object: object, manifest: extraRule)
                var moved = manifest
                if var structs = manifest["structs"] as? [[String: Any]],
                    let at = structs.firstIndex(where: { $0["name"] as? String == "vtap_counters" }),
                    var fields = structs[at]["fields"] as? [[String: Any]], !fields.isEmpty
                {
                    fields[0]["offset"] = 8
                    structs[at]["fields"] = fields
                    moved["structs"] = structs
                }
                try pair("moved-counter", object: object, manifest: moved)

                // Captures: not one, cut in its header, an unknown link type.
                let capture = try Data(contentsOf: RepositoryLayout.file("rules/seed-traffic.pcap"))
                try capture.prefix(30).write(to: directory.file("cut-header.pcap"))
                try bytes("not-a-capture.pcap", Array("this is not a capture file at all".utf8))
                func le32(_ value: UInt32) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) } }
                try bytes(
                    "link-type.pcap",
                    le32(0xA1B2_C3D4) + [2, 0, 4, 0] + le32(0) + le32(0) + le32(65535) + le32(147) + le32(1) + le32(0)
                        + le32(4) + le32(4) + [1, 2, 3, 4])
                try write("a-file", "x")

                // A port someone else listens on.
                let busySocket = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
                var address = sockaddr_in()
                address.sin_family = sa_family_t(AF_INET)
                address.sin_addr.s_addr = inet_addr("127.0.0.1")
                let bound = withUnsafePointer(to: &address) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                        bind(busySocket, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                    }
                }
                var length = socklen_t(MemoryLayout<sockaddr_in>.size)
                _ = withUnsafeMutablePointer(to: &address) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(busySocket, $0, &length) }
                }
                guard bound == 0, listen(busySocket, 1) == 0 else {
                    close(busySocket)
                    throw ReportError("cannot hold a port")
                }
                self.directory = directory
                self.busySocket = busySocket
                busyPort = Int32(UInt16(bigEndian: address.sin_port))
            }

            deinit { close(busySocket) }
        }

        static func cases(_ f: Fixture) -> [Case] {
            let vtapc = BuiltProducts.vtapc
            let vtap = BuiltProducts.vtap
            let pcap = RepositoryLayout.file("rules/seed-traffic.pcap").path
            let good = f.file("good.o")
            func check(_ name: String, _ exit: Int32, _ says: String, _ shape: Shape = .diagnostics) -> Case {
                Case(input: name, arguments: [vtapc, "check", f.file(name)], exit: exit, says: says, shape: shape)
            }
            func replayObject(_ name: String, _ says: String, exit: Int32 = 1) -> Case {
                Case(
                    input: "\(name).o", arguments: [vtap, "replay", f.file("\(name).o"), pcap], exit: exit, says: says)
            }
            func replayCapture(_ name: String, _ says: String) -> Case {
                Case(input: name, arguments: [vtap, "replay", good, f.file(name)], exit: 1, says: says)
            }
            func run(_ flags: [String], _ exit: Int32, _ says: String, _ shape: Shape = .usage) -> Case {
                Case(
                    input: flags.joined(separator: " "), arguments: [vtap, "run", good, "-i", "lo"] + flags, exit: exit,
                    says: says, shape: shape)
            }
            return [
                // vtapc: the rules file.
                check("missing.json", 4, "cannot read", .oneLine),
                check("a-directory", 4, "Is a directory", .oneLine),
                check("a-fifo", 4, "is not a regular file (a FIFO)", .oneLine),
                Case(
                    input: "/dev/zero", arguments: [vtapc, "check", "/dev/zero"], exit: 4,
                    says: "is not a regular file (a device)"),
                check("empty.json", 1, "the file is empty"),
                check("junk.json", 1, "invalid UTF-8"),
                check("array.json", 1, "found an array"),
                check("rules-string.json", 1, "RULES must be an array"),
                check("rule-number.json", 1, "a rule must be a string or an object"),
                check("long-line.json", 1, "rule has 1 field"),
                check("deep.json", 1, "a rule must be a string or an object, found an array"),
                // (Also reported: "invalid UTF-8 0xFF in a string", at the byte itself.)
                check("bad-utf8.json", 1, "unknown protocol 'T\u{FFFD}CP'"),
                check("duplicate-key.json", 1, "duplicate key 'RULES'"),
                check("trailing.json", 1, "after the end of the top-level value"),
                check("unterminated.json", 1, "unterminated string"),
                check("nul.json", 1, "control character U+0000"),
                check("bad-ipv4.json", 1, "300 is greater than 255"),
                check("bad-ipv6.json", 1, "is not hexadecimal"),
                check("bad-prefix.json", 1, "not a valid IPv4 prefix length"),
                check("bad-port.json", 1, "port 70000 is out of range"),
                check("inverted-range.json", 1, "is inverted"),
                check("bad-protocol.json", 1, "unknown protocol 'SCTPX'"),
                check("few-fields.json", 1, "rule has 3 fields"),
                check("no-rules.json", 1, "RULES is empty"),
                check("name-number.json", 1, "'name' must be a string"),
                check("bad-pattern.json", 1, "PATTERN must be a 32-bit"),
                check("pattern-alone.json", 1, "OFFSET"),
                check("bad-display.json", 1, "Jitter must be true or false"),
                check("bad-threshold.json", 1, "SEQUENCE_THRESHOLD must be an integer"),
                check("bad-level.json", 1, "unknown level"),
                check("bad-kpi.json", 1, "unknown KPI"),
                // vtapc: where the object goes.
                Case(
                    input: "-o into a missing directory",
                    arguments: [vtapc, f.file("good.json"), "-o", f.file("missing/x.o")], exit: 4,
                    says: "cannot write", output: f.file("missing/x.o")),
                Case(
                    input: "-o onto the rules file",
                    arguments: [vtapc, f.file("good.json"), "-o", f.file("good.json")],
                    exit: 64, says: "is the rules file", shape: .usage),
                Case(
                    input: "-o onto a directory", arguments: [vtapc, f.file("good.json"), "-o", f.file("a-directory")],
                    exit: 4, says: "Is a directory"),
                Case(
                    input: "bad rules, -o onto an existing object",
                    arguments: [vtapc, f.file("bad-ipv4.json"), "-o", f.file("existing.o")], exit: 1,
                    says: "300 is greater than 255", shape: .diagnostics, output: f.file("existing.o")),
                Case(
                    input: "an unknown flag", arguments: [vtapc, f.file("good.json"), "--frobnicate"], exit: 64,
                    says: "Unknown option '--frobnicate'", shape: .usage),
                Case(
                    input: "no rules file", arguments: [vtapc], exit: 64, says: "Missing expected argument",
                    shape: .usage),
                // vtap replay: the object and its manifest.
                Case(
                    input: "missing.o", arguments: [vtap, "replay", f.file("missing.o"), pcap], exit: 4,
                    says: "cannot read"),
                replayObject("text", "is not an ELF object"),
                replayObject("other-tool", "was not built by vtapc"),
                replayObject("truncated", "does not match its manifest"),
                replayObject("not-json", "is not a vtap manifest"),
                replayObject("schema", "manifest schema 99 is not supported"),
                replayObject("extra-rule", "the manifest's rule list"),
                replayObject("moved-counter", "the manifest's layout of struct vtap_counters"),
                // vtap replay: the capture.
                replayCapture("missing.pcap", "no such file"),
                replayCapture("not-a-capture.pcap", "not a pcap or pcapng file"),
                replayCapture("cut-header.pcap", "truncated capture file"),
                replayCapture("link-type.pcap", "unsupported link type DLT 147"),
                replayCapture("a-directory", "is a directory"),
                Case(
                    input: "--qlog onto a file", arguments: [vtap, "replay", good, pcap, "--qlog", f.file("a-file")],
                    exit: 1, says: "writes no TCP segments"),
                Case(
                    input: "an unknown flag", arguments: [vtap, "replay", good, pcap, "--bogus"], exit: 64,
                    says: "Unknown option '--bogus'", shape: .usage),
                // vtap run: the interface, the flags, the outputs, the exporter.
                Case(
                    input: "-i nosuchif0", arguments: [vtap, "run", good, "-i", "nosuchif0", "--no-server"], exit: 5,
                    says: "find interface 'nosuchif0': not found"),
                Case(
                    input: "a rules file with errors", arguments: [vtap, "run", f.file("bad-ipv4.json"), "-i", "lo"],
                    exit: 1, says: "300 is greater than 255", shape: .diagnostics),
                run(["--duration", "-1"], 64, "--duration must be positive"),
                run(["--duration", "1e11"], 64, "at most 315360000 seconds"),
                run(["-t", "-1"], 64, "--throughput-interval must be between"),
                run(["--server-port", "70000"], 64, "--server-port must be between 0 and 65535"),
                run(["--flows", "-5"], 64, "--flows must be between 0 and 100000"),
                run(["--flows", "many"], 64, "The value 'many' is invalid"),
                run(["--attach", "ebpf"], 64, "The value 'ebpf' is invalid"),
                run(
                    ["--attach", "xdp", "--direction", "both", "--duration", "1", "--no-server"], 1,
                    "--attach xdp sees received packets only: DIRECTION both needs", .oneLine),
                Case(
                    input: "--attach xdp with QLOG",
                    arguments: [
                        vtap, "run", f.file("qlog.json"), "-i", "lo", "--attach", "xdp", "--duration", "1",
                        "--no-server",
                    ], exit: 1, says: "sees received packets only: QLOG (both directions of a connection) needs",
                    shape: .oneLine),
                run(["--listen", "999.1.1.1:80", "--duration", "1"], 6, "cannot listen on 999.1.1.1:80", .oneLine),
                run(["--log-format", "xml"], 64, "The value 'xml' is invalid"),
                run(
                    ["--log-dir", f.file("missing"), "--duration", "1", "--no-server"], 4,
                    "cannot create a log file in", .oneLine),
                run(
                    ["--log-dir", f.file("a-file"), "--duration", "1", "--no-server"], 4, "Not a directory",
                    .oneLine),
                run(["--listen", "127.0.0.1:\(f.busyPort)", "--duration", "1"], 6, "\(f.busyPort)", .oneLine),
                // Instances.
                Case(
                    input: "--state-dir a file", arguments: [vtap, "status", "--state-dir", f.file("a-file")], exit: 4,
                    says: "is not a directory"),
                Case(
                    input: "--state-dir a symbolic link",
                    arguments: [vtap, "status", "--state-dir", f.file("state-link")],
                    exit: 4, says: "it is a symbolic link"),
                Case(
                    input: "stop an unknown id", arguments: [vtap, "stop", "nosuch", "--state-dir", f.file("state")],
                    exit: 1, says: "no vtap instance has id nosuch"),
                Case(
                    input: "start on a missing interface",
                    arguments: [vtap, "start", good, "-i", "nosuchif0", "--state-dir", f.file("state")], exit: 5,
                    says: "find interface 'nosuchif0'"),
            ]
        }

        @Test(.kernel) func everyBadInputIsOneClearErrorAndLeavesNothing() throws {
            let fixture = try Fixture()
            let cases = Self.cases(fixture)
            #expect(cases.count >= 60, "\(cases.count) cases")
            let before = Set(try LoadedProgram.measuring().map(\.id))
            var rows: [String] = []
            for (number, bad) in cases.enumerated() {
                let kept = bad.output.flatMap { FileManager.default.contents(atPath: $0) }
                let result = try CommandRunner.run(bad.arguments, timeout: .seconds(60))
                let lines = result.standardError.split(separator: "\n", omittingEmptySubsequences: false)
                let first = String(lines.first ?? "")
                let place = "case \(number + 1) (\(bad.input)): \(result.summary.prefix(600))"
                #expect(result.status == bad.exit && !result.timedOut, "\(place)")
                #expect(first.contains(bad.says), "\(place)")
                #expect(result.standardError.utf8.count < 4096, "\(place): \(result.standardError.utf8.count) bytes")
                #expect(!result.standardError.contains("Fatal error") && !result.standardError.contains("Stack dump"))
                switch bad.shape {
                case .oneLine:
                    #expect(result.standardError.hasSuffix("\n") && lines.count == 2, "one line: \(place)")
                    #expect(first.hasPrefix("vtap: error: ") || first.hasPrefix("vtapc: error: "), "\(place)")
                case .diagnostics:
                    #expect(first.contains(": error: ") && first.hasSuffix("]"), "FILE:LINE:COL and an id: \(place)")
                case .usage:
                    #expect(first.hasPrefix("Error: "), "\(place)")
                }
                if let output = bad.output {
                    #expect(FileManager.default.contents(atPath: output) == kept, "\(place): \(output) changed")
                }
                rows.append(Self.row(number + 1, bad, first, fixture))
            }
            // Nothing of theirs stays loaded. A program held by a running
            // process whose command line does not name the fixture is
            // another test's (tests in other suites run alongside).
            let theirs = Set(try LoadedProgram.measuring().map(\.id)).subtracting(before)
            let left = try LoadedProgram.stillMeasuring(theirs).subtracting(
                LoadedProgram.heldByOtherProcesses(notMentioning: fixture.directory.url.path))
            #expect(left.isEmpty, "loaded after the bad inputs: \(left)")

            let page = Self.page(rows)
            let docs = RepositoryLayout.file("docs/bad-input.md")
            if ProcessInfo.processInfo.environment["VTAP_WRITE_DOCS"] == "1" {
                try Data(page.utf8).write(to: docs)
            }
            let written = try? String(contentsOf: docs, encoding: .utf8)
            #expect(written == page, "docs/bad-input.md is not this list as it ran; VTAP_WRITE_DOCS=1 rewrites it")
        }

        /// One table row: what was given, the exit code, the first line with
        /// the fixture's paths and the busy port made generic.
        static func row(_ number: Int, _ bad: Case, _ first: String, _ fixture: Fixture) -> String {
            func generic(_ text: String) -> String {
                text.replacingOccurrences(of: fixture.path + "/", with: "")
                    .replacingOccurrences(of: fixture.path, with: "DIR")
                    .replacingOccurrences(of: RepositoryLayout.root.path + "/", with: "")
                    .replacingOccurrences(of: "\(fixture.busyPort)", with: "PORT")
            }
            let command = bad.arguments.enumerated().map { index, argument in
                index == 0 ? URL(fileURLWithPath: argument).lastPathComponent : generic(argument)
            }.joined(separator: " ")
            var message = generic(first)
            if message.count > 150 { message = String(message.prefix(150)) + "…" }
            func cell(_ text: String) -> String { text.replacingOccurrences(of: "|", with: "\\|") }
            return "| \(number) | `\(cell(command.count > 90 ? String(command.prefix(90)) + "…" : command))` "
                + "| \(bad.exit) | \(cell(message)) |"
        }

        static func page(_ rows: [String]) -> String {
            """
            # Bad input: what vtap and vtapc say

            Generated by the end-to-end test `BadInputTable` (Tests/EndToEndTests/BadInputTableTests.swift),
            which runs every case on a real kernel and checks, for each: the exit code below (README, "Exit
            codes"), a first line of stderr naming the problem and its place (one line for `vtap: error:`,
            the diagnostic with its source line for a rules file, the usage after `Error:` for flags), no
            crash, less than 4 KB on stderr (a 10 MB line included), no output file left or changed, and,
            after all of them, no program of vtap's left loaded. Paths are shown relative to the test's
            scratch directory.

            | # | Command | Exit | First line of stderr |
            |---|---------|------|----------------------|

            """ + rows.joined(separator: "\n") + "\n"
        }
    }
}
