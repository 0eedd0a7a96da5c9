import Testing
import VtapDiagnostics
import VtapFrontend
import VtapRuleModel
import VtapSema
import VtapTestSupport

@Suite struct RuleObjectTests {
    @Test func ruleStringFormWithName() throws {
        let element = #"{"name": "voice", "rule": "10.0.0.0/8 - - 5060 UDP"}"#
        let rule = try checkedRule(element)
        #expect(rule.name == "voice")
        #expect(rule.displayName == "rule 1 'voice'")
        // Outputs show the rule, not the JSON object around it.
        #expect(rule.source == "10.0.0.0/8 - - 5060 UDP")
        #expect(rule.destinationPort == .ports(IntervalSet(5060, 5060)))
        #expect(rule.protocols.numbers == IntervalSet(17, 17))
    }

    @Test func separateFieldsWithOmittedOnesMeaningAny() throws {
        let rule = try checkedRule(
            #"{"name": "web", "src": "-", "dst": "10.1.0.9", "dport": "[80,443]", "proto": "TCP"}"#)
        #expect(rule.sourceAddress == .any)
        #expect(rule.sourcePort == .any)
        #expect(rule.destinationAddress.v4 == v4((ipv4(10, 1, 0, 9), ipv4(10, 1, 0, 9))))
        #expect(rule.destinationPort == .ports(IntervalSet([.init(80, 80), .init(443, 443)])))
        #expect(rule.source == "- 10.1.0.9 - [80,443] TCP")
        let everything = try checkedRule(#"{"name": "all"}"#)
        #expect(everything.sourceAddress.isAny && everything.protocols.isAny && everything.destinationPort == .any)
    }

    @Test func ruleRangeAndLocationCoverTheWholeElement() throws {
        let input = Marked(
            """
            {"RULES": [
                ‸"- - - - TCP",
                ‸{"name": "x", "proto": "UDP"}‸
            ]}
            """)
        let rules = try #require(check(input).ruleset?.rules)
        #expect(rules[0].range.start == input.offsets[0])
        #expect(rules[0].source == "- - - - TCP")
        #expect(rules[1].index == 1)
        #expect(rules[1].range == SourceRange(start: input.offsets[1], end: input.offsets[2]))
        #expect(rules[1].location == VtapDiagnostics.SourceLocation(line: 3, column: 5))
    }

    @Test func locationsOnOneLongLineCountCharacters() throws {
        let elements = (0..<50).map { i in #"{"name": "rüle-\#(i)-✓", "dport": \#(i)}"# }
        let text = #"{"RULES": [\#(elements.joined(separator: ", "))], "LOG_DATA": true}"#
        let file = SourceFile(path: "one-line.json", text: text)
        let rules = try #require(checkRules(file).ruleset?.rules)
        #expect(rules.count == 50)
        for rule in rules {
            #expect(rule.location == file.location(of: rule.range.start))
        }
        #expect(rules[1].location.column == 12 + elements[0].count + 2)
    }

    @Test func ruleAndFieldsTogetherConflict() throws {
        let input = Marked(#"{"RULES": [{‸"rule": "- - - - -", ‸"dport": 80}]}"#)
        let result = check(input)
        #expect(result.ids == [.ruleConflictingFields])
        let error = try #require(result.errors.first)
        #expect(error.range?.start == input.offsets[1])
        #expect(error.notes.first?.range?.start == input.offsets[0])
        #expect(error.message == "'dport' cannot be combined with 'rule'; give either a rule string or separate fields")
    }

    static let nameCases: [(element: String, id: DiagnosticID)] = [
        (#"{"name": ‸""}"#, .ruleNameInvalid),
        (#"{"name": ‸"\#(String(repeating: "n", count: 65))"}"#, .ruleNameInvalid),
        (#"{"name": "bell‸\u0007"}"#, .ruleNameInvalid),
        (#"{"name": "rtl‸\u202Eevil"}"#, .ruleNameInvalid),
        (#"{"name": ‸7}"#, .valueType),
        (#"{‸"dprot": 80}"#, .unknownKey),
        (#"{"proto": "TCP", ‸"proto": "UDP"}"#, .keyDuplicate),
    ]

    @Test(arguments: nameCases)
    func reportsBadObjects(_ testCase: (element: String, id: DiagnosticID)) {
        _ = expectOnly(testCase.id, in: testCase.element)
    }

    @Test func nameMayBeSixtyFourCharactersOfAnyScript() throws {
        let name = String(repeating: "é", count: 63) + "🚀"
        #expect(try checkedRule(#"{"name": "\#(name)"}"#).name == name)
    }

    @Test func unknownKeyInARuleSuggestsTheField() {
        let diagnostic = expectOnly(.unknownKey, in: #"{"dport": 80, ‸"Proto": "TCP"}"#)
        #expect(diagnostic?.message == "unknown key 'Proto' in rule 1 is ignored")
        #expect(diagnostic?.notes.first?.message == "did you mean 'proto'?")
    }

    @Test func duplicateNamesPointAtTheFirst() throws {
        let input = Marked(#"{"RULES": [{"name": ‸"voice", "proto": "UDP"}, "- - - - -", {"name": ‸"voice"}]}"#)
        let result = check(input)
        #expect(result.ids.contains(.ruleNameDuplicate))
        let error = try #require(result.with(.ruleNameDuplicate).first)
        #expect(error.range?.start == input.offsets[1])
        #expect(error.notes.first?.range?.start == input.offsets[0])
        #expect(result.ruleset == nil)
    }

    @Test func rulesThatAreNeitherStringsNorObjectsAreErrors() {
        _ = expectOnly(.valueType, in: #"‸["- - - - -"]"#)
        _ = expectOnly(.valueType, in: #"‸null"#)
    }

    @Test func controlCharactersInRuleStringsAreRejected() {
        _ = expectOnly(.ruleControlCharacter, in: #""- - - -‸\n TCP""#)
        _ = expectOnly(.ruleControlCharacter, in: #"{"dport": "80‸\u0000"}"#)
    }
}
