import Foundation
import Testing
import VtapBPF
import VtapCodegen
import VtapCompiler
import VtapDiagnostics
import VtapRuleGen
import VtapRuleModel
import VtapSema
import VtapTestSupport

/// The generated programs pass the real verifier at every size, compile to
/// the same bytes every time, and load with other BPF tools.
@Suite(.kernel) struct VerifierTests {
    static func rules(_ count: Int, mix: RulesetGenerator.Mix = .realistic) -> SourceFile {
        var generator = RulesetGenerator(mix: mix, seed: UInt64(count))
        return SourceFile(path: "generated-\(count).json", text: generator.file(ruleCount: count))
    }

    @Test(arguments: [1, 100, 10_000])
    func generatedProgramsPassTheVerifier(ruleCount: Int) throws {
        let compiled = try RulesCompiler.compile(Self.rules(ruleCount))
        let program = try #require(compiled.verification?.program(named: "vtap_measure"))
        #expect(program.outcome == .accepted)
        let stats = try #require(program.stats)
        #expect(stats.instructionsProcessed > 1000)
        #expect(stats.instructionsProcessed < 1_000_000)
        #expect(compiled.manifest.rules.count == ruleCount)
    }

    /// Both ways of emitting the plan verify, whatever the size would choose.
    @Test(arguments: MatchStrategy.allCases)
    func bothStrategiesVerify(strategy: MatchStrategy) throws {
        let compiled = try RulesCompiler.compile(Self.rules(300), options: .init(strategy: strategy))
        #expect(compiled.source.strategy == strategy)
        #expect(compiled.verification?.accepted == true)
        #expect(compiled.manifest.build.strategy == strategy.rawValue)
    }

    @Test func automaticStrategyFollowsPlanSize() throws {
        let small = try RulesCompiler.compile(Self.rules(10), options: .init(verify: false))
        let large = try RulesCompiler.compile(Self.rules(10_000), options: .init(verify: false))
        #expect(small.source.strategy == .inline)
        #expect(large.source.strategy == .table)
    }

    /// Same input and flags, same bytes: objects can be checked in and diffed.
    @Test(arguments: [10, 5_000])
    func compilesAreByteIdentical(ruleCount: Int) throws {
        let first = try RulesCompiler.compile(Self.rules(ruleCount), options: .init(verify: false))
        let second = try RulesCompiler.compile(Self.rules(ruleCount), options: .init(verify: false))
        #expect(first.object == second.object)
        #expect(first.manifest.object.sha256 == second.manifest.object.sha256)
    }

    /// bpftool (libbpf's own loader) loads the object, and dumps its maps
    /// with field names from the object's BTF.
    @Test func bpftoolLoadsTheObjectAndDumpsMapsWithBTF() throws {
        let directory = try TemporaryDirectory()
        let objectPath = directory.file("filter.o").path
        let compiled = try RulesCompiler.compile(
            SourceFile(
                path: "seed.json", text: #"{"RULES": ["1.1.1.1 2.2.2.2 11 22 TCP", "3.3.3.3 - - - [TCP,UDP]"]}"#),
            options: .init(verify: false))
        try Data(compiled.object).write(to: URL(fileURLWithPath: objectPath))

        let pins = "/sys/fs/bpf/vtap-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let maps = pins + "-maps"
        defer {
            try? FileManager.default.removeItem(atPath: pins)
            try? FileManager.default.removeItem(atPath: maps)
        }
        try CommandRunner.check(["bpftool", "prog", "loadall", objectPath, pins, "pinmaps", maps])
        // Every program of the linked object, each of its attach mode's type.
        for (name, type) in [
            ("vtap_measure", "socket_filter"), ("vtap_measure_tc_ingress", "sched_cls"),
            ("vtap_measure_tc_egress", "sched_cls"), ("vtap_measure_xdp", "xdp"),
        ] {
            let program = try CommandRunner.check(["bpftool", "-j", "prog", "show", "pinned", "\(pins)/\(name)"])
            #expect(program.standardOutput.contains("\"type\":\"\(type)\""), "\(name): \(program.standardOutput)")
        }

        let dump = try CommandRunner.check(["bpftool", "-j", "map", "dump", "pinned", "\(maps)/vtap_rule_stats"])
        let entries = try #require(
            JSONSerialization.jsonObject(with: Data(dump.standardOutput.utf8)) as? [[String: Any]])
        #expect(entries.count == 2 * 4)  // two rules, each per protocol class
        // BTF-pretty output names every field of struct vtap_counters.
        let formatted = try #require(entries.first?["formatted"] as? [String: Any])
        let values = try #require(formatted["values"] as? [[String: Any]])
        let value = try #require(values.first?["value"] as? [String: Any])
        for field in ["packets", "bytes", "payload_bytes", "jitter_sum_ns", "seq_reverse", "seq_last"] {
            #expect(value[field] != nil, "missing \(field) in \(value.keys.sorted())")
        }
    }

    /// Rules text never reaches the C: C comments, quotes, newlines and
    /// preprocessor lines in rules or names are refused or kept out.
    @Test func rulesCannotInjectCode() throws {
        let attempts = [
            #"{"RULES": ["1.1.1.1 */ int x; /* - - - TCP"]}"#,
            #"{"RULES": ["1.1.1.1 2.2.2.2 \"; system(\"id\"); \" - TCP"]}"#,
            #"{"RULES": ["1.1.1.1 2.2.2.2 11 22 TCP\n#include \"/etc/passwd\""]}"#,
            #"{"RULES": [{"name": "x\n#define VTAP_RULE_COUNT 0", "rule": "- - - - -"}]}"#,
            #"{"RULES": ["- - - - TCP); return 1; //"]}"#,
            #"{"RULES": ["- - - - -"], "PATTERN": "0x1; } int y; {", "OFFSET": 4}"#,
        ]
        for text in attempts {
            let check = checkRules(SourceFile(path: "attack.json", text: text))
            #expect(check.ruleset == nil, "accepted: \(text)")
            #expect(check.diagnostics.contains { $0.severity == .error }, "no error for: \(text)")
        }

        // A name may hold C punctuation; it labels outputs but never enters the C.
        let name = "a*/ b\\\" #define"
        let compiled = try RulesCompiler.compile(
            SourceFile(path: "names.json", text: #"{"RULES": [{"name": "\#(name)", "rule": "- - - - -"}]}"#),
            options: .init(verify: false))
        #expect(compiled.manifest.rules.first?.name == "a*/ b\" #define")
        for unit in compiled.source.units {
            #expect(!unit.text.contains("a*/ b"))
            #expect(!unit.text.contains("names.json"))
        }
    }
}
