import Testing
import VtapCodegen
import VtapCompiler
import VtapDiagnostics
import VtapRuleGen
import VtapRuleModel
import VtapRuntime
import VtapTestSupport

/// Rulesets shaped to blow up a classifier's cross-products (nested and
/// repeated prefixes with many port ranges, rules with one field set,
/// ladders of overlapping port ranges, crossed rules, mixed families)
/// compile, verify, and pick the reference's rule in the kernel for random
/// packets and packets on every rule boundary.
@Suite(.kernel) struct AdversarialKernelTests {
    static let cases: [(AdversarialRulesets.Shape, Int)] = AdversarialRulesets.Shape.allCases.flatMap { shape in
        [(shape, 1_000), (shape, 20_000)]
    }

    static func compile(_ shape: AdversarialRulesets.Shape, _ count: Int) throws -> CompiledRuleset {
        var generator = AdversarialRulesets(shape: shape, seed: UInt64(count))
        let name = "\(shape.rawValue)-\(count).json"
        do {
            return try RulesCompiler.compile(SourceFile(path: name, text: generator.file(ruleCount: count)))
        } catch let error as CompileError {
            // The message, not the whole rules file the error carries.
            let errors =
                if case .rules(_, let diagnostics) = error {
                    diagnostics.filter { $0.severity == .error }.map(\.message)
                } else { [] }
            throw AdversarialFailure(description: "\(name): \(error.message) \(errors.prefix(3))")
        }
    }

    struct AdversarialFailure: Error, CustomStringConvertible {
        var description: String
    }

    @Test(arguments: cases)
    func kernelPicksTheReferenceRule(shape: AdversarialRulesets.Shape, count: Int) throws {
        let name = "\(shape.rawValue)-\(count).json"
        let compiled = try Self.compile(shape, count)
        let processed = compiled.verification?.programs.first?.stats?.instructionsProcessed
        #expect((processed ?? .max) < 200_000, "\(name): \(String(describing: processed)) instructions processed")
        let figures = try #require(compiled.manifest.build.classifier)
        // Measured: at most 154 bytes per rule and 4 partitions a family
        // (mixed families once needed 29 IPv6 partitions and 1.6 KB a rule).
        #expect(figures.bytesPerRule <= 256, "\(name): \(figures.bytesPerRule) bytes per rule")
        #expect(figures.partitions.values.allSatisfy { $0 <= 6 }, "\(name): partitions \(figures.partitions)")

        let session = try ReplaySession(
            MeasurementObject(elf: compiled.object, manifest: compiled.manifest, origin: name))
        let reference = FirstMatchIndex(compiled.ruleset)
        let bounds = compiled.ruleset.boundaryValues
        var packets = RandomPacketGenerator(
            seed: UInt64(count) &+ 17, interestingV4: bounds.v4, interestingV6: bounds.v6,
            interestingPorts: bounds.ports, interestingProtocols: bounds.protocols)
        var mismatches = 0
        for (index, packet) in packets.next(3_000).enumerated() {
            let expected: Verdict = reference.firstMatch(packet.fields).map { .matched(rule: $0) } ?? .unmatched
            let actual = try session.run(
                frame: packet.frame, timestampNanoseconds: UInt64(index + 1) * 1_000, wireLength: packet.frame.count)
            if actual != expected {
                mismatches += 1
                if mismatches <= 3 {
                    Issue.record("\(name): packet \(index) \(packet.fields): kernel \(actual), reference \(expected)")
                }
            }
        }
        #expect(mismatches == 0, "\(name): \(mismatches) mismatches")
    }

    /// Beyond the classifier's capacity the compiler stops before clang,
    /// with an error that gives the figures. Every shape fits the default
    /// capacity (above); a capacity of 2 partitions, as `vtapc
    /// --max-partitions 2` sets it, is too small for mixed families.
    @Test func rulesBeyondCapacityAreRefusedWithFigures() throws {
        var generator = AdversarialRulesets(shape: .mixedFamilies, seed: 5_000)
        let file = SourceFile(path: "mixed-families-5000.json", text: generator.file(ruleCount: 5_000))
        do {
            _ = try RulesCompiler.compile(file, options: .init(verify: false, limits: .init(maxPartitions: 2)))
            Issue.record("compiled beyond capacity")
        } catch CompileError.rules(_, let diagnostics) {
            let capacity = diagnostics.filter { $0.id == .rulesetCapacity }
            #expect(capacity.count == 1)
            #expect(capacity.first?.severity == .error)
            #expect(capacity.first?.message.contains("do not fit 2 partitions") == true, "\(capacity)")
            #expect(CompileError.rules(file: file, diagnostics: diagnostics).exitCode == ExitCodes.rulesErrors)
        }
    }
}
