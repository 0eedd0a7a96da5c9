import Testing
import VtapCodegen
import VtapDiagnostics
import VtapRuleModel
import VtapTestSupport

@Suite struct DecisionPlanTests {
    /// The plan must pick exactly the rule the reference semantics pick.
    @Test(arguments: 0..<40)
    func planAgreesWithReferenceMatcher(seed: Int) {
        var random = RandomRulesets(seed: UInt64(seed) &* 7919 &+ 1)
        let ruleset = random.ruleset(count: Int.random(in: 1...40, using: &random.generator))
        let plans = Dictionary(uniqueKeysWithValues: AddressFamily.allCases.map {
            ($0, DecisionPlan.build(ruleset, family: $0))
        })
        for _ in 0..<400 {
            let packet = random.packet()
            let expected = ruleset.firstMatch(packet).map { Int32($0.index) }
            let actual = plans[packet.family]!.evaluate(MatchKey(packet))
            #expect(actual == expected, "seed \(seed): \(packet)")
            if actual != expected { return }
        }
    }

    /// Past the work budget the plan falls back to linear checks, which must
    /// still agree.
    @Test func linearFallbackAgrees() {
        var random = RandomRulesets(seed: 42)
        let ruleset = random.ruleset(count: 60)
        let plan = DecisionPlan.build(ruleset, family: .v4, workBudget: 10)
        #expect(plan.usedLinearFallback)
        for _ in 0..<2000 {
            var packet = random.packet()
            if case .v6 = packet.source { packet.source = .v4(0x0A00_0001) }
            if case .v6 = packet.destination { packet.destination = .v4(0xC0A8_0001) }
            #expect(plan.evaluate(MatchKey(packet)) == ruleset.firstMatch(packet).map { Int32($0.index) })
        }
    }

    @Test func hostRulesStayShallow() {
        let hosts = (0..<10_000).map { UInt32(0x0A00_0000) + UInt32($0) * 7 }
        let ruleset = Ruleset(rules: hosts.enumerated().map { index, host in
            Rule(
                index: index, name: nil, source: "", location: SourceLocation(line: 1, column: 1),
                range: SourceRange(at: 0),
                sourceAddress: AddressMatch(v4: IntervalSet(host, host), v6: .empty),
                destinationAddress: .any, sourcePort: .any, destinationPort: .any, protocols: .any)
        }, settings: Settings())
        let plan = DecisionPlan.build(ruleset, family: .v4)
        #expect(!plan.usedLinearFallback)
        // One field, so at most a root split chain over 20,000 pieces.
        #expect(plan.boundCount < 21_000)
        #expect(plan.evaluate(MatchKey(PacketFields(
            source: .v4(hosts[1234]), destination: .v4(1), protocolNumber: 6, ports: nil))) == 1234)
        #expect(plan.evaluate(MatchKey(PacketFields(
            source: .v4(hosts[1234] + 1), destination: .v4(1), protocolNumber: 6, ports: nil))) == nil)
    }

    @Test func earlierCatchAllMakesLaterRulesUnreachable() throws {
        var random = RandomRulesets(seed: 3)
        var rules = random.ruleset(count: 3).rules
        rules.insert(Rule(
            index: 0, name: nil, source: "- - - - -", location: SourceLocation(line: 1, column: 1),
            range: SourceRange(at: 0), sourceAddress: .any, destinationAddress: .any,
            sourcePort: .any, destinationPort: .any, protocols: .any), at: 0)
        for i in rules.indices { rules[i].index = i }
        let source = try ProgramSource.generate(Ruleset(rules: rules, settings: Settings()))
        #expect(source.unreachableRules == [1, 2, 3])
    }
}

@Suite struct DecisionTableTests {
    /// The flattened table walks to the same rule as the plan it came from.
    @Test(arguments: 0..<30)
    func tableAgreesWithReferenceMatcher(seed: Int) {
        var random = RandomRulesets(seed: UInt64(seed) &* 31 &+ 5)
        let ruleset = random.ruleset(count: Int.random(in: 1...40, using: &random.generator))
        let plans = AddressFamily.allCases.map { DecisionPlan.build(ruleset, family: $0) }
        let table = DecisionTable(plans: plans)
        for _ in 0..<400 {
            let packet = random.packet()
            let expected = ruleset.firstMatch(packet).map { Int32($0.index) }
            #expect(table.evaluate(MatchKey(packet), family: packet.family) == expected, "seed \(seed): \(packet)")
        }
    }

    /// Linear fallback nodes become chains of membership tests.
    @Test func linearNodesFlattenCorrectly() {
        var random = RandomRulesets(seed: 99)
        let ruleset = random.ruleset(count: 50)
        let plans = AddressFamily.allCases.map { DecisionPlan.build(ruleset, family: $0, workBudget: 5) }
        #expect(plans.contains { $0.usedLinearFallback })
        let table = DecisionTable(plans: plans)
        for _ in 0..<3000 {
            let packet = random.packet()
            #expect(table.evaluate(MatchKey(packet), family: packet.family) == ruleset.firstMatch(packet).map { Int32($0.index) })
        }
    }
}
