import Testing
import VtapCodegen
import VtapDiagnostics
import VtapRuleModel
import VtapTestSupport

/// The classifier, and the table the program walks, pick exactly the rule
/// the reference semantics pick.
@Suite struct ClassifierTests {
    /// Every way a partition can be built, down to every rule part moving
    /// on at its first copy: the answers must not change.
    static let limitSets: [Classifier.Limits] = [
        .standard,
        Classifier.Limits(maxPartitions: 32, placementLimits: [1], progressLimits: [2, 8]).withoutTail(),
        Classifier.Limits(maxPartitions: 64, placementLimits: [0], progressLimits: [1]).withoutTail(),
    ]

    static func check(_ ruleset: Ruleset, _ packets: [PacketFields], limits: Classifier.Limits, _ context: String)
        throws
    {
        let classifier = try Classifier.build(ruleset, limits: limits)
        let table = DecisionTable(plans: classifier.plans, chunkWords: 4096)
        var failures = 0
        for packet in packets {
            let expected = ruleset.firstMatch(packet).map { Int32($0.index) }
            let key = MatchKey(packet)
            let walked = table.evaluate(key, family: packet.family)
            #expect(classifier.evaluate(key, family: packet.family) == expected, "\(context): plans, \(packet)")
            #expect(walked.rule == expected, "\(context): table, \(packet)")
            // The program's loop is sized from this bound.
            let bound = table.walkBound(packet.family) + (table.roots[packet.family]?.count ?? 0) + 1
            #expect(walked.visits <= bound, "\(context): \(walked.visits) steps, bound \(bound)")
            if walked.rule != expected { failures += 1 }
            if failures > 3 { return }
        }
    }

    @Test(arguments: 0..<40, 0..<3)
    func randomRulesetsMatchTheReference(seed: Int, limits: Int) throws {
        var random = RandomRulesets(seed: UInt64(seed) &* 7919 &+ 1)
        let ruleset = random.ruleset(count: Int.random(in: 1...60, using: &random.generator))
        let packets = (0..<400).map { _ in random.packet() }
        try Self.check(ruleset, packets, limits: Self.limitSets[limits], "seed \(seed), limits \(limits)")
    }

    /// Tight limits really do spread rules over partitions, so the test
    /// above exercises moved rules.
    @Test func tightLimitsMakePartitions() throws {
        var random = RandomRulesets(seed: 5)
        let ruleset = random.ruleset(count: 60)
        let classifier = try Classifier.build(ruleset, limits: Self.limitSets[2])
        #expect(classifier.partitions(.v4).count > 3)
        #expect(classifier.partitions(.v6).count > 3)
    }

    @Test func hostRulesStayInOnePartition() throws {
        let hosts = (0..<10_000).map { UInt32(0x0A00_0000) + UInt32($0) * 7 }
        let ruleset = Ruleset(
            rules: hosts.enumerated().map { index, host in
                Rule(
                    index: index, name: nil, source: "", location: SourceLocation(line: 1, column: 1),
                    range: SourceRange(at: 0), sourceAddress: AddressMatch(v4: IntervalSet(host, host), v6: .empty),
                    destinationAddress: .any, sourcePort: .any, destinationPort: .any, protocols: .any)
            }, settings: Settings())
        let classifier = try Classifier.build(ruleset)
        let plans = classifier.partitions(.v4)
        #expect(plans.count == 1)
        // One field: a tree of splits over 20,000 pieces.
        #expect(plans[0].boundCount < 21_000)
        let key = { (address: UInt32) in
            MatchKey(PacketFields(source: .v4(address), destination: .v4(1), protocolNumber: 6, ports: nil))
        }
        #expect(classifier.evaluate(key(hosts[1234]), family: .v4) == 1234)
        #expect(classifier.evaluate(key(hosts[1234] + 1), family: .v4) == nil)
    }

    @Test func earlierCatchAllMakesLaterRulesUnreachable() throws {
        var random = RandomRulesets(seed: 3)
        var rules = random.ruleset(count: 3).rules
        rules.insert(
            Rule(
                index: 0, name: nil, source: "- - - - -", location: SourceLocation(line: 1, column: 1),
                range: SourceRange(at: 0), sourceAddress: .any, destinationAddress: .any,
                sourcePort: .any, destinationPort: .any, protocols: .any), at: 0)
        for i in rules.indices { rules[i].index = i }
        let source = try ProgramSource.generate(Ruleset(rules: rules, settings: Settings()))
        #expect(source.unreachableRules == [1, 2, 3])
    }

    /// A rule reported unreachable really is: rebuilt with only the rules
    /// up to it, in one partition, no leaf names it.
    @Test(arguments: 0..<30, 0..<3)
    func unreachableRulesAreReallyUnreachable(seed: Int, limits: Int) throws {
        var random = RandomRulesets(seed: UInt64(seed) &* 104_729 &+ 7)
        let ruleset = random.ruleset(count: 40)
        let classifier = try Classifier.build(ruleset, limits: Self.limitSets[limits])
        let unreachable = classifier.unreachableRules(of: ruleset)
        let single = Classifier.Limits(maxPartitions: 1)
        for index in unreachable {
            let prefix = Ruleset(rules: Array(ruleset.rules[...index]), settings: ruleset.settings)
            let exact = try Classifier.build(prefix, limits: single)
            #expect(!exact.plans.contains { $0.reachableRules.contains(Int32(index)) }, "seed \(seed): rule \(index)")
        }
        // With one partition the analysis is exact: every other rule is reached.
        let exact = try Classifier.build(ruleset, limits: single).unreachableRules(of: ruleset)
        #expect(Set(unreachable).isSubset(of: Set(exact)))
    }

    /// Rules that cross one another (source hosts with any destination,
    /// destination hosts with any source) cannot share one partition
    /// without multiplying; with one partition and a small budget the
    /// classifier says so instead of growing.
    @Test func crossedRulesExceedASmallCapacity() throws {
        var rules: [Rule] = []
        for index in 0..<2000 {
            let host = AddressMatch(
                v4: IntervalSet(UInt32(0x0A00_0000 + index), UInt32(0x0A00_0000 + index)), v6: .empty)
            rules.append(
                Rule(
                    index: index, name: nil, source: "", location: SourceLocation(line: index + 1, column: 1),
                    range: SourceRange(at: index), sourceAddress: index.isMultiple(of: 2) ? host : .any,
                    destinationAddress: index.isMultiple(of: 2) ? .any : host, sourcePort: .any, destinationPort: .any,
                    protocols: .any))
        }
        let ruleset = Ruleset(rules: rules, settings: Settings())
        let tight = Classifier.Limits(maxPartitions: 1, boundsPerCube: 4, allowance: 0)
        #expect(throws: Classifier.CapacityExceeded.self) { try Classifier.build(ruleset, limits: tight) }
        // Two partitions, one per kind, hold them in linear space.
        let classifier = try Classifier.build(ruleset)
        #expect(classifier.partitions(.v4).count == 2)
        #expect(classifier.plans.reduce(0) { $0 + $1.boundCount } < 8 * rules.count)
    }

    @Test func tableCapacityIsCheckedBeforeEmitting() {
        var random = RandomRulesets(seed: 11)
        let ruleset = random.ruleset(count: 200)
        let limits = Classifier.Limits(tableBytesPerRule: 1, tableAllowance: 0)
        #expect(throws: ProgramSource.Failure.self) {
            try ProgramSource.generate(ruleset, strategy: .table, limits: limits)
        }
    }
}
