import Foundation
import Testing
import VtapDiagnostics
import VtapRuleModel
import VtapSema
import VtapTestSupport

@Suite struct SeedCompatibilityTests {
    static let seedExample = SeedExample.rules

    static let rulesDirectory = RepositoryLayout.file("rules")

    @Test func seedExampleChecksIntoTwoRulesAndItsSettings() throws {
        let result = check(Self.seedExample)
        #expect(result.diagnostics.isEmpty, "\(result.diagnostics.map(\.message))")
        let ruleset = try #require(result.ruleset)
        #expect(ruleset.rules.count == 2)

        let first = ruleset.rules[0]
        #expect(first.index == 0)
        #expect(first.source == "1.1.1.1 2.2.2.2 11 22 TCP")
        #expect(first.location == VtapDiagnostics.SourceLocation(line: 4, column: 9))
        #expect(first.sourceAddress == AddressMatch(v4: v4((ipv4(1, 1, 1, 1), ipv4(1, 1, 1, 1))), v6: .empty))
        #expect(first.destinationAddress == AddressMatch(v4: v4((ipv4(2, 2, 2, 2), ipv4(2, 2, 2, 2))), v6: .empty))
        #expect(first.sourcePort == .ports(IntervalSet(11, 11)))
        #expect(first.destinationPort == .ports(IntervalSet(22, 22)))
        #expect(first.protocols == ProtocolMatch(numbers: IntervalSet(IPProtocol.tcp, IPProtocol.tcp)))

        let second = ruleset.rules[1]
        #expect(second.index == 1)
        #expect(second.destinationAddress == .any)
        #expect(second.sourcePort == .any && second.destinationPort == .any)
        #expect(second.protocols.contains(IPProtocol.tcp) && second.protocols.contains(IPProtocol.udp))
        #expect(second.protocols.numbers.intervals.count == 2)

        let settings = ruleset.settings
        #expect(settings.sequence == .pattern(0xE7A5_C318, offset: 4))
        #expect(settings.sequenceThreshold == 2)
        #expect(settings.monitorServer == true)
        #expect(settings.logData == false)
        #expect(
            settings.display == Settings.Display(throughput: true, goodput: true, jitter: true, sequenceErrors: true))
        #expect(settings.direction == .ingress)
        #expect(settings.flowTableSize == Limits.defaultFlowTableSize)
    }

    @Test func shippedSeedFileIsTheSeedExample() throws {
        let text = try String(contentsOf: Self.rulesDirectory.appendingPathComponent("seed.json"), encoding: .utf8)
        #expect(text == Self.seedExample)
    }

    @Test func seedConfigMatchesAllTraffic() throws {
        let url = Self.rulesDirectory.appendingPathComponent("all-traffic.json")
        let result = check(try String(contentsOf: url, encoding: .utf8))
        let rule = try #require(result.ruleset?.rules.first)
        #expect(result.ruleset?.rules.count == 1)
        #expect(rule.sourceAddress.isAny && rule.destinationAddress.isAny && rule.protocols.isAny)
        #expect(rule.sourcePort == .any && rule.destinationPort == .any)
    }

    @Test func everyShippedExampleChecksCleanly() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.rulesDirectory.path)
            .filter { $0.hasSuffix(".json") }.sorted()
        #expect(files.count >= 4)
        for name in files {
            let data = try Data(contentsOf: Self.rulesDirectory.appendingPathComponent(name))
            let result = checkRules(SourceFile(path: name, bytes: Array(data)))
            #expect(result.diagnostics.isEmpty, "\(name): \(result.diagnostics.map(\.message))")
            #expect(result.ruleset?.rules.isEmpty == false, "\(name)")
        }
    }
}
