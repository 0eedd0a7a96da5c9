import Foundation
import Testing
import VtapTestSupport

/// vtapc and vtap as a user runs them: exit codes, messages, files.
@Suite(.kernel) struct CommandLineTests {
    static let seed = SeedExample.rules

    @Test func compilesTheSeedExampleInTheDocumentedForm() throws {
        let directory = try TemporaryDirectory()
        let rules = directory.file("rules.json")
        try Self.seed.write(to: rules, atomically: true, encoding: .utf8)
        let object = directory.file("filter.o").path
        let result = try CommandRunner.run([BuiltProducts.vtapc, rules.path, "-o", object])
        #expect(result.status == 0, "\(result.summary)")
        #expect(result.standardError.contains("verified"))
        #expect(FileManager.default.fileExists(atPath: object))
        #expect(FileManager.default.fileExists(atPath: directory.file("filter.manifest.json").path))
        let elf = try Data(contentsOf: URL(fileURLWithPath: object))
        #expect(elf.starts(with: [0x7F, 0x45, 0x4C, 0x46]))
    }

    /// Separate vtapc processes, with an empty cache, from it, and without
    /// one, write the same object; --emit-c writes both units (also when
    /// the object comes from the cache), the rules' constants in the
    /// decision code only.
    @Test func objectsAreTheSameBytesFromTheCacheAndWithoutOne() throws {
        let directory = try TemporaryDirectory()
        let rules = directory.file("rules.json")
        try Self.seed.write(to: rules, atomically: true, encoding: .utf8)
        let cache = directory.file("cache").path
        var objects: [Data] = []
        for (name, cacheSetting) in [("cold", cache), ("warm", cache), ("none", "")] {
            let object = directory.file("\(name).o").path
            let result = try CommandRunner.run([
                "env", "VTAP_CACHE_DIR=\(cacheSetting)", BuiltProducts.vtapc, rules.path, "-o", object, "-v",
                "--emit-c", directory.file("\(name).bpf.c").path,
            ])
            #expect(result.status == 0, "\(result.summary)")
            if name == "warm" {
                // The same rules again: no clang, no linker, no dry-run.
                #expect(
                    result.standardError.contains("from the cache: packet program, object, verifier's verdict"),
                    "\(result.standardError)")
                #expect(!result.standardError.contains("  clang: ") && !result.standardError.contains("  link: "))
            } else {
                #expect(result.standardError.contains("  link: "), "\(result.standardError)")
            }
            objects.append(try Data(contentsOf: URL(fileURLWithPath: object)))
        }
        #expect(objects[0] == objects[1] && objects[1] == objects[2])
        let program = try String(contentsOf: directory.file("warm.bpf.c"), encoding: .utf8)
        let decisions = try String(contentsOf: directory.file("warm.bpf.match.c"), encoding: .utf8)
        #expect(program.contains("vtap_measure_packet") && !program.contains("0x1010101u"))
        #expect(decisions.contains("vtap_match_v4") && decisions.contains("0x1010101u"))
        let entries = try FileManager.default.contentsOfDirectory(atPath: cache).sorted()
        #expect(entries.map { $0.prefix { $0 != "-" } } == ["object", "program", "verdict"], "\(entries)")
    }

    /// `vtapc check` writes nothing, the cache included, yet reads the
    /// packet program a compile left there.
    @Test func checkReadsTheCacheAndNeverWritesIt() throws {
        let directory = try TemporaryDirectory()
        let rules = directory.file("rules.json")
        try Self.seed.write(to: rules, atomically: true, encoding: .utf8)
        let cache = directory.file("cache").path
        func vtapc(_ arguments: [String]) throws -> CommandResult {
            let result = try CommandRunner.run(["env", "VTAP_CACHE_DIR=\(cache)", BuiltProducts.vtapc] + arguments)
            #expect(result.status == 0, "\(result.summary)")
            return result
        }
        let cold = try vtapc(["check", rules.path, "-v"])
        #expect(cold.standardError.contains("from the cache: nothing"), "\(cold.standardError)")
        #expect(!FileManager.default.fileExists(atPath: cache), "check made the cache directory")

        _ = try vtapc([rules.path, "-o", directory.file("seed.o").path])
        let entries = try FileManager.default.contentsOfDirectory(atPath: cache).sorted()
        #expect(entries.map { $0.prefix { $0 != "-" } } == ["object", "program", "verdict"], "\(entries)")
        let dates = try entries.map {
            try FileManager.default.attributesOfItem(atPath: "\(cache)/\($0)")[.modificationDate] as? Date
        }

        let warm = try vtapc(["check", rules.path, "-v"])
        #expect(
            warm.standardError.contains("from the cache: packet program, object, verifier's verdict"),
            "\(warm.standardError)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: cache).sorted() == entries)
        #expect(
            try entries.map {
                try FileManager.default.attributesOfItem(atPath: "\(cache)/\($0)")[.modificationDate] as? Date
            } == dates)
    }

    @Test func rulesWithErrorsExitOneAndWriteNothing() throws {
        let directory = try TemporaryDirectory()
        let rules = directory.file("bad.json")
        try #"{"RULES": ["1.1.1.300 - 70000 - TCP", "- - - - FOO"]}"#.write(
            to: rules, atomically: true, encoding: .utf8)
        let object = directory.file("bad.o").path
        let result = try CommandRunner.run([
            BuiltProducts.vtapc, rules.path, "-o", object, "--emit-c", directory.file("bad.c").path,
        ])
        #expect(result.status == 1)
        // Every problem at once, each FILE:LINE:COL with its id.
        #expect(result.standardError.contains("bad.json:1:13: error:"), "\(result.standardError)")
        #expect(result.standardError.contains("[address-invalid]"))
        #expect(result.standardError.contains("[port-out-of-range]"))
        #expect(result.standardError.contains("[protocol-unknown]"))
        #expect(!result.standardError.contains("Fatal error"))
        let left = try FileManager.default.contentsOfDirectory(atPath: directory.url.path)
        #expect(left == ["bad.json"], "partial output left behind: \(left)")
    }

    @Test func checkReportsJSONForCI() throws {
        let directory = try TemporaryDirectory()
        let good = directory.file("good.json")
        let bad = directory.file("bad.json")
        try Self.seed.write(to: good, atomically: true, encoding: .utf8)
        try #"{"RULES": ["- - 80 - ICMP"], "COLOUR": 1}"#.write(to: bad, atomically: true, encoding: .utf8)
        let result = try CommandRunner.run([BuiltProducts.vtapc, "check", "--format", "json", good.path, bad.path])
        #expect(result.status == 1)
        let output = try #require(
            JSONSerialization.jsonObject(with: Data(result.standardOutput.utf8)) as? [String: Any])
        let files = try #require(output["files"] as? [[String: Any]])
        #expect(files.count == 2)
        #expect(files[0]["ok"] as? Bool == true)
        #expect(files[1]["ok"] as? Bool == false)
        let diagnostics = try #require(files[1]["diagnostics"] as? [[String: Any]])
        let ids = Set(diagnostics.compactMap { $0["id"] as? String })
        #expect(ids.contains("ports-without-protocol-ports"))
        #expect(ids.contains("unknown-key"))
        #expect(diagnostics.allSatisfy { $0["line"] as? Int == 1 })
        // check writes no files.
        #expect(
            try FileManager.default.contentsOfDirectory(atPath: directory.url.path).sorted() == [
                "bad.json", "good.json",
            ])
    }

    @Test func missingFileAndBadUsageHaveTheirOwnCodes() throws {
        let missing = try CommandRunner.run([BuiltProducts.vtapc, "/nonexistent/rules.json", "-o", "/tmp/never.o"])
        #expect(missing.status == 4)
        #expect(missing.standardError.contains("cannot read /nonexistent/rules.json"))
        let usage = try CommandRunner.run([BuiltProducts.vtapc, "--no-such-flag"])
        #expect(usage.status == 64)
    }

    /// No output may be the rules file: the object, its manifest or the
    /// emitted C over it is a usage error (64), and the rules file stays.
    @Test func anOutputThatIsTheRulesFileIsRefused() throws {
        let directory = try TemporaryDirectory()
        let rules = directory.file("r.manifest.json")
        try Self.seed.write(to: rules, atomically: true, encoding: .utf8)
        for arguments in [
            ["-o", rules.path], ["-o", directory.url.path + "/./r.manifest.json"], ["-o", directory.file("r.o").path],
            ["-o", directory.file("x.o").path, "--emit-c", rules.path],
        ] {
            let result = try CommandRunner.run([BuiltProducts.vtapc, rules.path] + arguments)
            #expect(result.status == 64, "\(arguments): \(result.summary)")
            #expect(result.standardError.contains("is the rules file"), "\(result.standardError)")
            #expect(try String(contentsOf: rules, encoding: .utf8) == Self.seed, "\(arguments) left the rules file")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.url.path) == ["r.manifest.json"])
    }

    /// The README's short form writes bpf-out/NAME.o, making bpf-out where
    /// it is missing (outside the repository too).
    @Test func theDefaultOutputDirectoryIsMade() throws {
        let directory = try TemporaryDirectory()
        try Self.seed.write(to: directory.file("rules.json"), atomically: true, encoding: .utf8)
        let result = try CommandRunner.run(["env", "-C", directory.url.path, BuiltProducts.vtapc, "rules.json"])
        #expect(result.status == 0, "\(result.summary)")
        #expect(FileManager.default.fileExists(atPath: directory.file("bpf-out/rules.o").path))
        #expect(FileManager.default.fileExists(atPath: directory.file("bpf-out/rules.manifest.json").path))
    }

    /// A directory or a FIFO given as the rules file or the object: exit 4
    /// and what it is, at once (a FIFO without a writer used to block).
    @Test func inputsThatAreNotFilesSayWhatTheyAre() throws {
        let directory = try TemporaryDirectory()
        let fifo = directory.file("rules.json").path
        #expect(mkfifo(fifo, 0o600) == 0)
        let cases: [(arguments: [String], says: String)] = [
            ([BuiltProducts.vtapc, directory.url.path, "-o", directory.file("x.o").path], "Is a directory"),
            ([BuiltProducts.vtapc, fifo, "-o", directory.file("x.o").path], "is not a regular file (a FIFO)"),
            ([BuiltProducts.vtap, "replay", directory.url.path + "/", "/dev/null"], "Is a directory"),
        ]
        for (arguments, says) in cases {
            let result = try CommandRunner.run(arguments, timeout: .seconds(20))
            #expect(result.status == 4 && !result.timedOut, "\(arguments): \(result.summary)")
            #expect(result.standardError.contains(says), "\(arguments): \(result.standardError)")
            #expect(!result.standardError.contains("NSCocoaErrorDomain"), "\(result.standardError)")
        }
    }

    /// A --duration whose nanoseconds overflow 64 bits crashed after
    /// attaching; now it is refused before anything is loaded.
    @Test func anAbsurdDurationIsAUsageError() throws {
        for duration in ["1e11", "inf", "nan", "0", "-1"] {
            let result = try CommandRunner.run(
                [BuiltProducts.vtap, "run", "/nonexistent.o", "-i", "lo", "--duration=\(duration)"])
            #expect(result.status == 64, "\(duration): \(result.summary)")
            #expect(result.standardError.contains("--duration must be positive"), "\(result.standardError)")
        }
    }

    /// A negative number after a numeric flag is that flag's value, and
    /// its own range error names it (it was "Missing value").
    @Test func negativeNumbersGetTheirOwnRangeError() throws {
        let cases: [(arguments: [String], names: String)] = [
            ([BuiltProducts.vtap, "run", "x.o", "-i", "lo", "--server-port", "-1"], "--server-port"),
            ([BuiltProducts.vtap, "run", "x.o", "-i", "lo", "-t", "-1"], "--throughput-interval"),
            ([BuiltProducts.vtap, "replay", "x.o", "c.pcap", "-j", "-0.5"], "--jitter-interval"),
            ([BuiltProducts.vtap, "run", "x.o", "-i", "lo", "--duration", "-5"], "--duration"),
            ([BuiltProducts.vtap, "stop", "--all", "--timeout", "-1"], "--timeout"),
            ([BuiltProducts.vtapc, "r.json", "--max-diagnostics", "-1"], "--max-diagnostics"),
            ([BuiltProducts.vtapc, "r.json", "--max-partitions", "-3"], "--max-partitions"),
        ]
        for (arguments, names) in cases {
            let result = try CommandRunner.run(arguments)
            #expect(result.status == 64, "\(arguments): \(result.summary)")
            #expect(!result.standardError.contains("Missing value"), "\(arguments): \(result.standardError)")
            #expect(result.standardError.contains(names), "\(arguments): \(result.standardError)")
        }
    }

    /// The seed capture with its last packet moved `seconds` after the one
    /// before (classic pcap, little-endian, as rules/seed-traffic.pcap is).
    static func seedCapture(lastPacketAfter seconds: UInt64?, absoluteLast: UInt32? = nil) throws -> [UInt8] {
        var bytes = try [UInt8](
            Data(contentsOf: RepositoryLayout.root.appendingPathComponent("rules/seed-traffic.pcap")))
        func u32(_ at: Int) -> UInt32 { bytes[at..<at + 4].reversed().reduce(0) { $0 << 8 | UInt32($1) } }
        var offsets: [Int] = []
        var offset = 24
        while offset + 16 <= bytes.count {
            offsets.append(offset)
            offset += 16 + Int(u32(offset + 8))
        }
        let last = try #require(offsets.last)
        let before = try #require(offsets.dropLast().last)
        let time = absoluteLast ?? UInt32(truncatingIfNeeded: UInt64(u32(before)) + (seconds ?? 0))
        for index in 0..<4 { bytes[last + index] = UInt8(truncatingIfNeeded: time >> (8 * index)) }
        return bytes
    }

    /// A gap in capture time: 60 empty intervals are written, the rest
    /// passed over with a notice, and the summary is the whole capture's.
    /// A day's gap wrote 86,400 intervals (157 MB); a last timestamp in
    /// 2106 ran out of memory.
    @Test func gapsInCaptureTimeArePassedOver() throws {
        let directory = try TemporaryDirectory()
        let rules = directory.file("rules.json")
        try Self.seed.write(to: rules, atomically: true, encoding: .utf8)
        let whole = directory.file("whole.pcap")
        try Data(try Self.seedCapture(lastPacketAfter: 0)).write(to: whole)
        let reference = try CommandRunner.run([BuiltProducts.vtap, "replay", rules.path, whole.path, "--json"])
        #expect(reference.status == 0, "\(reference.summary)")
        /// The summary's counts (not its rates: its duration differs).
        func summary(_ output: String) -> [String]? {
            output.split(separator: "\n").last.map { line in
                line.matches(of: #/"(packets|bytes|payload_bytes)":(\d+)/#).map { "\($0.1)=\($0.2)" }
            }
        }
        for (name, capture) in [
            ("day", try Self.seedCapture(lastPacketAfter: 86_400)),
            ("2106", try Self.seedCapture(lastPacketAfter: nil, absoluteLast: 0xFFFF_FFFF)),
        ] {
            let file = directory.file("\(name).pcap")
            try Data(capture).write(to: file)
            let result = try CommandRunner.run(
                [BuiltProducts.vtap, "replay", rules.path, file.path, "--json"], timeout: .seconds(60))
            #expect(result.status == 0 && !result.timedOut, "\(name): \(result.summary)")
            let lines = result.standardOutput.split(separator: "\n")
            #expect(lines.count < 100, "\(name): \(lines.count) lines")
            #expect(result.standardError.contains("60 empty intervals shown"), "\(name): \(result.standardError)")
            #expect(result.standardError.contains("more passed over"), "\(name): \(result.standardError)")
            #expect((summary(result.standardOutput) ?? []).count > 6)
            #expect(
                summary(result.standardOutput) == summary(reference.standardOutput), "\(name): the same packets")
        }
    }

    /// A capture cut off inside its last packet replays the whole packets
    /// before the cut, as tshark reads them, with a notice (it was refused
    /// whole); cut off in its first header it is still bad input.
    @Test func aTruncatedCaptureReplaysItsWholePackets() throws {
        let directory = try TemporaryDirectory()
        let rules = directory.file("rules.json")
        try Self.seed.write(to: rules, atomically: true, encoding: .utf8)
        let seed = try Self.seedCapture(lastPacketAfter: 0)
        let cut = directory.file("cut.pcap")
        try Data(seed.dropLast(10)).write(to: cut)
        // The oracle: the same capture without its last record.
        var offset = 24
        var lastRecord = 24
        while offset + 16 <= seed.count {
            lastRecord = offset
            offset += 16 + Int(seed[offset + 8..<offset + 12].reversed().reduce(0) { $0 << 8 | UInt32($1) })
        }
        let whole = directory.file("whole.pcap")
        try Data(seed[..<lastRecord]).write(to: whole)
        func counts(_ file: URL) throws -> (CommandResult, [String]) {
            let result = try CommandRunner.run([BuiltProducts.vtap, "replay", rules.path, file.path, "--json"])
            let last = result.standardOutput.split(separator: "\n").last.map(String.init) ?? ""
            return (result, last.matches(of: #/"(packets|bytes|payload_bytes)":(\d+)/#).map { "\($0.1)=\($0.2)" })
        }
        let (cutResult, cutCounts) = try counts(cut)
        let (wholeResult, wholeCounts) = try counts(whole)
        #expect(cutResult.status == 0 && wholeResult.status == 0, "\(cutResult.summary)")
        #expect(cutResult.standardError.contains("replayed the 52 whole packets"), "\(cutResult.standardError)")
        #expect(!cutCounts.isEmpty && cutCounts == wholeCounts)
        let tshark = try CommandRunner.run(["tshark", "-r", cut.path, "-T", "fields", "-e", "frame.number"])
        #expect(tshark.standardOutput.split(separator: "\n").count == 52)
        let header = directory.file("header.pcap")
        try Data(seed.prefix(30)).write(to: header)
        let refused = try CommandRunner.run([BuiltProducts.vtap, "replay", rules.path, header.path])
        #expect(refused.status == 1 && refused.standardError.contains("truncated"), "\(refused.summary)")
    }

    /// `-` replays standard input (`tcpdump -w - | vtap replay OBJ -`): the
    /// same counts as the file (it was "no such file").
    @Test func replayReadsStandardInput() throws {
        let directory = try TemporaryDirectory()
        let rules = directory.file("rules.json")
        try Self.seed.write(to: rules, atomically: true, encoding: .utf8)
        let capture = RepositoryLayout.root.appendingPathComponent("rules/seed-traffic.pcap").path
        func counts(_ result: CommandResult) -> [String] {
            let last = result.standardOutput.split(separator: "\n").last.map(String.init) ?? ""
            return last.matches(of: #/"(packets|bytes|payload_bytes)":(\d+)/#).map { "\($0.1)=\($0.2)" }
        }
        let file = try CommandRunner.run([BuiltProducts.vtap, "replay", rules.path, capture, "--json"])
        let piped = try CommandRunner.run([
            "sh", "-c", "exec \"$0\" replay \"$1\" - --json < \"$2\"", BuiltProducts.vtap, rules.path, capture,
        ])
        #expect(file.status == 0 && piped.status == 0, "\(piped.summary)")
        #expect(!counts(file).isEmpty && counts(piped) == counts(file))
    }

    /// Without privilege the verifier cannot run: its own exit code and a
    /// plain message, not a crash and not a silent success.
    @Test func unprivilegedVerifyIsAnEnvironmentError() throws {
        let directory = try TemporaryDirectory()
        let rules = directory.file("rules.json")
        try Self.seed.write(to: rules, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: directory.url.path)
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: rules.path)
        let result = try CommandRunner.run([
            "setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all",
            BuiltProducts.vtapc, "check", rules.path,
        ])
        #expect(result.status == 3, "\(result.summary)")
        #expect(result.standardError.contains("--no-verify"))
        let skipped = try CommandRunner.run([
            "setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all",
            BuiltProducts.vtapc, "check", "--no-verify", rules.path,
        ])
        #expect(skipped.status == 0, "\(skipped.summary)")
    }

    /// A machine-generated file on one line with 1,999 warnings: text output
    /// stays readable (50 diagnostics, windows of the line, a line for the
    /// rest), JSON output holds them all.
    @Test func generatedOneLineFilesStayReadable() throws {
        let directory = try TemporaryDirectory()
        let rules = directory.file("generated.json")
        let text =
            #"{"RULES": ["# + Array(repeating: #""10.0.0.1 - - 80 TCP""#, count: 2_000).joined(separator: ",") + "]}"
        try text.write(to: rules, atomically: true, encoding: .utf8)
        let result = try CommandRunner.run([BuiltProducts.vtapc, "check", "--no-verify", rules.path])
        #expect(result.status == 0, "\(result.summary)")
        let lines = result.standardError.split(separator: "\n")
        #expect(lines.filter { $0.contains(": warning: ") }.count == 50)
        #expect(lines.contains { $0.contains("1949 more warnings [rule-duplicate] not shown") })
        #expect(result.standardError.utf8.count < 30_000, "\(result.standardError.utf8.count) bytes")
        #expect(lines.allSatisfy { $0.count < 300 })

        let all = try CommandRunner.run([
            BuiltProducts.vtapc, "check", "--no-verify", "--max-diagnostics", "0", rules.path,
        ])
        #expect(all.standardError.split(separator: "\n").filter { $0.contains(": warning: ") }.count == 1_999)
        let json = try CommandRunner.run([BuiltProducts.vtapc, "check", "--no-verify", "--format", "json", rules.path])
        let output = try #require(JSONSerialization.jsonObject(with: Data(json.standardOutput.utf8)) as? [String: Any])
        let files = try #require(output["files"] as? [[String: Any]])
        #expect((files.first?["diagnostics"] as? [Any])?.count == 1_999)
        let negative = try CommandRunner.run([BuiltProducts.vtapc, "check", "--max-diagnostics", "-1", rules.path])
        #expect(negative.status == 64)
    }

    /// Rules beyond the classifier's capacity: exit 1, the figures in one
    /// error, nothing written. A pipeline's own bound (`--max-partitions`)
    /// makes a 1,000-rule file of mixed shapes exceed it; every shape the
    /// generator has fits the default capacity (AdversarialKernelTests).
    @Test func rulesBeyondCapacityAreAnErrorWithFigures() throws {
        let directory = try TemporaryDirectory()
        let rules = directory.file("big.json")
        let result = try CommandRunner.run([BuiltProducts.rulegen, "1000", "mixed-families", "1000"])
        try result.standardOutput.write(to: rules, atomically: true, encoding: .utf8)
        let compile = try CommandRunner.run(
            [BuiltProducts.vtapc, rules.path, "-o", directory.file("big.o").path, "--max-partitions", "2"],
            timeout: .seconds(120))
        #expect(compile.status == 1, "\(compile.summary)")
        let errors = compile.standardError.split(separator: "\n").filter { $0.contains(": error: ") }
        #expect(errors.count == 1)
        #expect(errors.first?.contains("[ruleset-capacity]") == true)
        #expect(errors.first?.contains("do not fit 2 partitions") == true, "\(errors)")
        // Within the default capacity the same file compiles.
        let check = try CommandRunner.run(
            [BuiltProducts.vtapc, "check", "--no-verify", rules.path], timeout: .seconds(120))
        #expect(check.status == 0, "\(check.summary)")
        for bad in ["0", "65", "x"] {
            let refused = try CommandRunner.run([BuiltProducts.vtapc, "check", rules.path, "--max-partitions", bad])
            #expect(refused.status == 64, "--max-partitions \(bad): \(refused.summary)")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.url.path) == ["big.json"])
    }

    /// Standard output that cannot be written (full, or closed) is exit 4
    /// with one line on stderr, for both tools; FileHandle.write(_: Data)
    /// used to trap (SIGILL, exit 132) there.
    @Test func anUnwritableStandardOutputIsExitFour() throws {
        let directory = try TemporaryDirectory(prefix: "vtap-cli")
        let seed = RepositoryLayout.file("rules/seed.json").path
        let object = directory.file("seed.o").path
        try CommandRunner.check([BuiltProducts.vtapc, seed, "-o", object, "--no-verify"], timeout: .seconds(120))
        let capture = RepositoryLayout.file("rules/seed-traffic.pcap").path
        for (command, redirect) in [
            ([BuiltProducts.vtapc, "check", "--format", "json", "--no-verify", seed], "> /dev/full"),
            ([BuiltProducts.vtapc, "check", "--format", "json", "--no-verify", seed], ">&-"),
            ([BuiltProducts.vtap, "replay", object, capture], "> /dev/full"),
            ([BuiltProducts.vtap, "replay", object, capture, "--json"], ">&-"),
        ] {
            let line = command.map { "'\($0)'" }.joined(separator: " ") + " " + redirect
            let result = try CommandRunner.run(["sh", "-c", line], timeout: .seconds(60))
            #expect(result.status == 4, "\(line): \(result.summary)")
            #expect(
                result.standardError.split(separator: "\n").count == 1
                    && result.standardError.contains("cannot write standard output"), "\(line): \(result.standardError)"
            )
        }
    }
}
