import Testing
import VtapDiagnostics
import VtapRuleModel
import VtapSema
import VtapTestSupport

@Suite struct RuleOverlapTests {
    @Test func duplicateRuleWarnsWithANoteAtTheFirst() throws {
        let input = Marked(file(rules: #"‸"- - - 80 TCP""#, #""- - - 81 TCP""#, #"‸"- - - 80 tcp""#))
        let result = check(input)
        #expect(result.ids == [.ruleDuplicate])
        let warning = try #require(result.diagnostics.first)
        #expect(warning.severity == .warning)
        #expect(warning.message == "rule 3 is a duplicate of rule 1 and never matches")
        #expect(warning.range?.start == input.offsets[1])
        #expect(warning.notes.first?.range?.start == input.offsets[0])
        #expect(result.ruleset?.rules.count == 3)
    }

    @Test func duplicatesAreFoundAfterNormalising() {
        let result = check(file(rules: #""- - - - [TCP,UDP]""#, #"{"proto": ["udp", 6]}"#))
        #expect(result.ids == [.ruleDuplicate])
    }

    @Test func shadowedRuleNamesTheEarlierRule() throws {
        let input = Marked(file(rules: #"‸{"name": "corp", "rule": "10.0.0.0/8 - - - -"}"#, #"‸"10.1.2.3 - - 80 TCP""#))
        let result = check(input)
        #expect(result.ids == [.ruleShadowed])
        let warning = try #require(result.diagnostics.first)
        #expect(warning.message == "rule 2 never matches: rule 1 'corp' comes first and matches every packet it would")
        #expect(warning.range?.start == input.offsets[1])
        #expect(warning.notes.first?.range?.start == input.offsets[0])
    }

    @Test func namesTheEarliestCoveringRule() throws {
        let result = check(file(rules: #""- - - 80 TCP""#, #""10.0.0.0/8 - - - -""#, #""10.0.0.5 - - 80 TCP""#))
        #expect(result.ids == [.ruleShadowed])
        #expect(result.diagnostics.first?.message.contains("rule 1 comes first") == true)
    }

    static let notShadowed: [(first: String, second: String)] = [
        ("10.1.2.3 - - 80 TCP", "10.0.0.0/8 - - - -"),
        ("- - 0-65535 - -", "- - - - TCP"),
        ("0.0.0.0/0 - - - -", "::1 - - - -"),
        ("- - - 80 TCP", "- - - 80 UDP"),
        ("- - - [80, 443] TCP", "- - - 80-443 TCP"),
        ("!10.0.0.0/8 - - - -", "10.1.1.1 - - - -"),
    ]

    @Test(arguments: notShadowed)
    func rulesThatAddPacketsAreNotShadowed(_ pair: (first: String, second: String)) {
        let result = check(file(rules: "\"\(pair.first)\"", "\"\(pair.second)\""))
        #expect(result.diagnostics.isEmpty, "\(result.diagnostics.map(\.message))")
    }

    static let shadowed: [(first: String, second: String)] = [
        ("- - - - -", "1.2.3.4 - - - ICMP"),
        ("0.0.0.0/0 - - - -", "10.0.0.1 - - - -"),
        ("[10.0.0.0/8, ::/0] - - - -", "2001:db8::1 - - - -"),
        ("- - - 1-1023 -", "- - - [22, 80] TCP"),
        ("- - - !80 TCP", "- - - 443 TCP"),
        ("- - - - !ICMP", "- - - - [TCP, UDP]"),
        ("- - 0-65535 - -", "- - 1000 - UDP"),
    ]

    @Test(arguments: shadowed)
    func coveredRulesAreShadowed(_ pair: (first: String, second: String)) {
        let result = check(file(rules: "\"\(pair.first)\"", "\"\(pair.second)\""))
        #expect(result.ids == [.ruleShadowed], "\(result.diagnostics.map(\.message))")
    }

    @Test func manyRulesCheckAndOnlyTheRealOverlapsWarn() throws {
        // 20,000 distinct specific rules, then a duplicate, a catch-all and
        // a rule after it: exactly two warnings.
        let count = 20_000
        var rules = (0..<count).map { i in
            "\"10.\(i / 65536).\(i / 256 % 256).\(i % 256) - \(1024 + i % 60000) - [TCP, UDP]\""
        }
        rules.append("\"10.0.0.7 - 1031 - [UDP, TCP]\"")
        rules.append("\"- - - - -\"")
        rules.append("\"::1 - - - ICMPv6\"")
        let result = check(#"{"RULES": [\#(rules.joined(separator: ",\n"))]}"#)
        #expect(result.ids == [.ruleDuplicate, .ruleShadowed])
        #expect(result.diagnostics.first?.message == "rule \(count + 1) is a duplicate of rule 8 and never matches")
        #expect(
            result.diagnostics.last?.message.hasPrefix("rule \(count + 3) never matches: rule \(count + 2) ") == true)
        #expect(try #require(result.ruleset).rules.count == count + 3)
    }
}
