import Testing
import VtapCodegen
import VtapDiagnostics
import VtapRuleGen
import VtapRuleModel
import VtapSema
import VtapTestSupport

/// Rulesets of a few shapes, each wide where the others are cut, stay in a
/// few partitions and small tables, and the plans pick the reference's
/// rule. (Mixed families once took 29 IPv6 partitions and 1.6 KB a rule at
/// 1,000 rules, and exceeded the capacity at 20,000: each partition kept
/// the few rule parts that happened to fit the field cut first.) The
/// kernel runs the same shapes at 20,000 rules in AdversarialKernelTests.
@Suite struct AdversarialClassifierTests {
    @Test(arguments: AdversarialRulesets.Shape.allCases)
    func fewPartitionsAndExact(shape: AdversarialRulesets.Shape) throws {
        var generator = AdversarialRulesets(shape: shape, seed: 1_000)
        let check = checkRules(SourceFile(path: "\(shape.rawValue).json", text: generator.file(ruleCount: 1_000)))
        let ruleset = try #require(check.ruleset)
        let classifier = try Classifier.build(ruleset)
        let table = DecisionTable(plans: classifier.plans)
        for family in AddressFamily.allCases {
            let partitions = classifier.partitions(family).count
            #expect(partitions <= 6, "\(shape): \(partitions) \(family) partitions")
        }
        let bytesPerRule = Double(table.bytes) / Double(ruleset.rules.count)
        #expect(bytesPerRule <= 256, "\(shape): \(bytesPerRule) bytes per rule")

        let bounds = ruleset.boundaryValues
        var packets = RandomPacketGenerator(
            seed: 99, interestingV4: bounds.v4, interestingV6: bounds.v6, interestingPorts: bounds.ports,
            interestingProtocols: bounds.protocols)
        var mismatches = 0
        for packet in packets.next(2_000) {
            let expected = ruleset.firstMatch(packet.fields).map { Int32($0.index) }
            let walked = table.evaluate(MatchKey(packet.fields), family: packet.fields.family)
            if walked.rule != expected {
                mismatches += 1
                if mismatches <= 3 {
                    Issue.record(
                        "\(shape): \(packet.fields): table \(String(describing: walked.rule)), reference \(String(describing: expected))"
                    )
                }
            }
        }
        #expect(mismatches == 0)
    }
}
