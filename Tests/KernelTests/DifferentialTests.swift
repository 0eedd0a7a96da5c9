import Testing
import VtapCodegen
import VtapCompiler
import VtapDiagnostics
import VtapMetrics
import VtapRuleModel
import VtapRuntime
import VtapTestSupport

/// The compiled program, run by the kernel, must pick the same first rule
/// as the Swift reference semantics, packet by packet.
@Suite(.kernel) struct DifferentialTests {
    static func compile(
        _ text: String, name: String = "random.json", strategy: MatchStrategy? = nil
    ) throws -> (CompiledRuleset, ReplaySession) {
        let compiled = try RulesCompiler.compile(
            SourceFile(path: name, text: text), options: .init(verify: false, strategy: strategy))
        let object = try MeasurementObject(elf: compiled.object, manifest: compiled.manifest, origin: name)
        return (compiled, try ReplaySession(object))
    }

    /// Each ruleset under both ways of emitting its decision plan.
    @Test(arguments: 0..<200, MatchStrategy.allCases)
    func kernelPicksTheReferenceRule(seed: Int, strategy: MatchStrategy) throws {
        var rules = RandomRulesText(seed: UInt64(seed) &* 104_729 &+ 11)
        let text = rules.file(count: Int.random(in: 1...30, using: &rules.generator))
        let (compiled, session) = try Self.compile(text, strategy: strategy)
        let ruleset = compiled.ruleset
        let bounds = ruleset.boundaryValues
        var packets = RandomPacketGenerator(
            seed: UInt64(seed), interestingV4: bounds.v4, interestingV6: bounds.v6,
            interestingPorts: bounds.ports, interestingProtocols: bounds.protocols)

        var mismatches = 0
        for (index, packet) in packets.next(300).enumerated() {
            let expected: Verdict = ruleset.firstMatch(packet.fields).map { .matched(rule: $0.index) } ?? .unmatched
            let actual = try session.run(
                frame: packet.frame, timestampNanoseconds: UInt64(index + 1) * 1000, wireLength: packet.frame.count)
            if actual != expected {
                mismatches += 1
                Issue.record(
                    "seed \(seed), \(strategy.rawValue), packet \(index): kernel \(actual), reference \(expected)\nfields \(packet.fields)\nrules:\n\(text)"
                )
                if mismatches > 3 { return }
            }
        }
    }

    /// Crafted frames: truncated at every header boundary, bad lengths,
    /// fragments, stacked VLANs. None may match wrongly; the malformed ones
    /// count under their reason.
    @Test func malformedFramesAreCountedNotMatched() throws {
        let (_, session) = try Self.compile(#"{"RULES": ["- - - - -"]}"#)
        let catalogue = malformedPacketCatalogue()
        #expect(catalogue.count > 20)
        var malformed = 0
        for (index, entry) in catalogue.enumerated() {
            let verdict: Verdict
            do {
                verdict = try session.run(
                    frame: entry.frame, timestampNanoseconds: UInt64(index + 1), wireLength: entry.frame.count)
            } catch {
                Issue.record("\(entry.name) (\(entry.frame.count) bytes): \(error)")
                continue
            }
            switch entry.expected {
            case .malformed:
                malformed += 1
                let reason = entry.reason.map { ObjectContract.totals[$0.rawValue] }
                #expect(verdict == .malformed(reason ?? "?"), "\(entry.name): \(entry.rule)")
            case .fields:
                #expect(verdict == .matched(rule: 0), "\(entry.name): \(entry.rule)")
            case .nonIP:
                #expect(verdict == .unmatched, "\(entry.name): \(entry.rule)")
            }
        }
        let snapshot = try session.measurement.snapshot()
        #expect(snapshot.malformed.packets == UInt64(malformed))
    }
}
