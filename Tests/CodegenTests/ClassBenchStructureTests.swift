import Testing
import VtapCodegen
import VtapDiagnostics
import VtapRuleModel
import VtapSema
import VtapTestSupport

/// On ClassBench's sets (the field's standard workload, from real ACLs,
/// firewalls and IP chains) the classifier stays small and shallow, and its
/// table picks every header's first rule. The 100,000-rule sets run in the
/// kernel tests, which compile them once for both.
@Suite(.seedData) struct ClassBenchStructureTests {
    static func ruleset(_ set: ClassBenchSet) throws -> Ruleset {
        let check = checkRules(SourceFile(path: "\(set.name).json", text: set.rulesText))
        guard let ruleset = check.ruleset else {
            throw ClassBenchError(
                description: "\(set.name): \(check.diagnostics.filter { $0.severity == .error }.prefix(3))")
        }
        return ruleset
    }

    @Test(arguments: ["acl1_1000", "fw1_1000", "ipc1_1000", "acl1_10000", "fw1_10000", "ipc1_10000"])
    func tableIsLinearShallowAndExact(name: String) throws {
        let set = try ClassBenchSet(name)
        let ruleset = try Self.ruleset(set)
        let source = try ProgramSource.generate(ruleset, strategy: .table)
        let table = DecisionTable(plans: source.plans)
        // Memory: linear in the rules, far below the 256 bytes a rule allowed.
        let bytesPerRule = Double(table.bytes) / Double(ruleset.rules.count)
        #expect(bytesPerRule <= 128, "\(name): \(bytesPerRule) bytes per rule")
        // Work: a few partitions, a bounded walk in each.
        #expect(source.walk(.v4).partitions <= 12, "\(name): \(source.walk(.v4).partitions) partitions")
        #expect(source.walk(.v4).nodes <= 60, "\(name): \(source.walk(.v4).nodes) nodes")
        #expect(table.walkBound(.v4) == source.walk(.v4).nodes)

        let reference = FirstMatchIndex(ruleset)
        var mismatches = 0
        for header in set.headers {
            guard let fields = ClassBenchSet.packet(header).fields else { continue }
            let expected = reference.firstMatch(fields).map(Int32.init)
            let walked = table.evaluate(MatchKey(fields), family: .v4)
            if walked.rule != expected {
                mismatches += 1
                if mismatches <= 3 {
                    Issue.record(
                        "\(name): header \(header): table \(String(describing: walked.rule)), reference \(String(describing: expected))"
                    )
                }
            }
        }
        #expect(mismatches == 0)
    }
}

struct ClassBenchError: Error, CustomStringConvertible {
    var description: String
}
