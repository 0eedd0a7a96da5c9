import Foundation
import Testing
import VtapCodegen
import VtapCompiler
import VtapDiagnostics
import VtapRuleModel
import VtapRuntime
import VtapTestSupport

/// Every ClassBench set (acl, fw, ipc at 1,000, 10,000 and 100,000 rules)
/// compiles, passes the kernel verifier, and under BPF_PROG_TEST_RUN picks
/// for every header of its trace the reference's first rule; the built
/// classifier stays within its bounds of memory and work.
@Suite(.kernel, .seedData) struct ClassBenchKernelTests {
    @Test(arguments: ClassBenchSet.all)
    func everyHeaderPicksTheReferenceRule(name: String) throws {
        let set = try ClassBenchSet(name)
        let compiled = try RulesCompiler.compile(SourceFile(path: "\(name).json", text: set.rulesText))

        // The verifier checks the walk once, whatever the rule count.
        let processed = compiled.verification?.programs.first?.stats?.instructionsProcessed
        #expect((processed ?? .max) < 200_000, "\(name): \(String(describing: processed)) instructions processed")
        // Memory linear in the rules; a fixed, small number of partitions and nodes per packet.
        let figures = try #require(compiled.manifest.build.classifier)
        #expect(figures.bytesPerRule <= 256, "\(name): \(figures.bytesPerRule) bytes per rule")
        #expect((figures.partitions["v4"] ?? .max) <= 12, "\(name): \(figures.partitions)")
        #expect((figures.walkBound["v4"] ?? .max) <= 64, "\(name): \(figures.walkBound)")

        let session = try ReplaySession(
            MeasurementObject(elf: compiled.object, manifest: compiled.manifest, origin: name))
        let reference = FirstMatchIndex(compiled.ruleset)
        var matched = 0
        var mismatches = 0
        for (index, header) in set.headers.enumerated() {
            let packet = ClassBenchSet.packet(header)
            let fields = try #require(packet.fields)
            let frame = packet.bytes
            let expected: Verdict = reference.firstMatch(fields).map { .matched(rule: $0) } ?? .unmatched
            let actual = try session.run(
                frame: frame, timestampNanoseconds: UInt64(index + 1) * 1_000, wireLength: frame.count)
            if case .matched = expected { matched += 1 }
            if actual != expected {
                mismatches += 1
                if mismatches <= 3 {
                    Issue.record("\(name): header \(index) \(header): kernel \(actual), reference \(expected)")
                }
            }
        }
        #expect(mismatches == 0, "\(name): \(mismatches) of \(set.headers.count) headers")
        // The counters agree with the verdicts: every matched header counted once.
        let snapshot = try session.measurement.snapshot()
        #expect(snapshot.rules.reduce(0) { $0 + $1.packets } == UInt64(matched))
        #expect(snapshot.unmatched.packets == UInt64(set.headers.count - matched))
    }

    /// bpftool (libbpf's own loader) loads every program of a linked object
    /// whose decision part is a table: the parts' constant data merged.
    @Test func bpftoolLoadsALinkedTableObject() throws {
        let set = try ClassBenchSet("fw1_10000")
        let compiled = try RulesCompiler.compile(
            SourceFile(path: "fw1_10000.json", text: set.rulesText), options: .init(verify: false))
        #expect(compiled.source.strategy == .table)
        let directory = try TemporaryDirectory()
        let objectPath = directory.file("fw1.o").path
        try Data(compiled.object).write(to: URL(fileURLWithPath: objectPath))
        let pins = "/sys/fs/bpf/vtap-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        defer { try? FileManager.default.removeItem(atPath: pins) }
        try CommandRunner.check(["bpftool", "prog", "loadall", objectPath, pins])
        let pinned = try FileManager.default.contentsOfDirectory(atPath: pins).sorted()
        #expect(pinned == ["vtap_measure", "vtap_measure_tc_egress", "vtap_measure_tc_ingress", "vtap_measure_xdp"])
    }
}
