import Testing
import VtapDiagnostics
import VtapFrontend
import VtapTestSupport

@Suite struct RuleObjectSyntaxTests {
    private func members(_ element: RuleElementSyntax?) throws -> [RuleObjectMember] {
        guard case .object(let object)? = element else { throw Failure("expected an object rule") }
        return object.members
    }

    private func field(_ members: [RuleObjectMember], _ key: String) -> RuleFieldSyntax? {
        for member in members where member.member.name == key {
            if case .field(_, let syntax) = member.role { return syntax }
        }
        return nil
    }

    @Test func classifiesMembersInSourceOrder() throws {
        let (element, diagnostics) = parseRule(
            #"{"name": "web", "dst": "10.1.0.9", "dport": "[80,443]", "proto": "TCP", "colour": 1}"#)
        #expect(diagnostics.isEmpty)
        let members = try members(element)
        #expect(members.map(\.member.name) == ["name", "dst", "dport", "proto", "colour"])
        if case .name = members[0].role {} else { Issue.record("name") }
        if case .unknown = members[4].role {} else { Issue.record("unknown") }
        #expect(field(members, "dport")?.items.map(\.text) == ["80", "443"])
        #expect(field(members, "dst")?.kind == .destinationAddress)
    }

    @Test func readsTheRuleStringForm() throws {
        let (element, diagnostics) = parseRule(#"{"name": "voice", "rule": "10.0.0.0/8 - - 5060 UDP"}"#)
        #expect(diagnostics.isEmpty)
        let members = try members(element)
        guard case .rule(let rule?) = members[1].role else { throw Failure("expected a parsed rule") }
        #expect(rule[.destinationPort].text == "5060")
    }

    @Test func acceptsNumbersAndArraysAsFieldValues() throws {
        let input = Marked(#"{"RULES": [{"sport": ‸80‸, "dport": [‸80‸, "8000-8080"]}]}"#)
        let (syntax, diagnostics) = parseFile(input.text)
        #expect(diagnostics.isEmpty)
        let members = try members(syntax.rules.first)
        let sport = try #require(field(members, "sport"))
        #expect(sport.items.map(\.text) == ["80"])
        #expect(sport.range == SourceRange(start: input.offsets[0], end: input.offsets[1]))
        let dport = try #require(field(members, "dport"))
        guard case .list(let items) = dport.value else { throw Failure("expected a list") }
        #expect(items.map(\.text) == ["80", "8000-8080"])
        #expect(items[0].range == SourceRange(start: input.offsets[2], end: input.offsets[3]))
        #expect(items[1].sourceRange(ofUTF8: 5..<9).start > input.offsets[3])
    }

    static let errorCases: [(input: String, id: DiagnosticID)] = [
        (#"{"dport": ‸true}"#, .valueType),
        (#"{"dport": [80, ‸{}]}"#, .valueType),
        (#"{"rule": ‸5}"#, .valueType),
        (#"{"dport": ‸[]}"#, .ruleEmptyList),
        (#"{"dport": ‸""}"#, .ruleEmpty),
        (#"{"dport": "80 ‸443"}"#, .ruleFieldCount),
        (#"{"dport": [‸"!80"]}"#, .ruleArrayItem),
        (#"{"dport": [‸"[80, 443]"]}"#, .ruleArrayItem),
        (#"{"dport": [‸"-"]}"#, .ruleArrayItem),
        (#"{"rule": ‸"- - - -"}"#, .ruleFieldCount),
    ]

    @Test(arguments: errorCases)
    func reportsOneErrorAtTheMarker(_ testCase: (input: String, id: DiagnosticID)) {
        let input = Marked(#"{"RULES": [\#(testCase.input)]}"#)
        let (_, diagnostics) = parseFile(input.text)
        #expect(diagnostics.map(\.id) == [testCase.id], "\(diagnostics.map(\.message))")
        #expect(diagnostics.first?.range?.start == input.offset)
    }

    @Test func otherElementsAreKeptForSema() {
        let (syntax, diagnostics) = parseFile(#"{"RULES": [42, "- - - - -"]}"#)
        #expect(diagnostics.isEmpty)
        guard case .other(let value)? = syntax.rules.first else {
            Issue.record("expected .other")
            return
        }
        #expect(value.number?.integerValue == 42)
    }

    @Test func fileSyntaxKeepsTopLevelMembersAndOnlyTheFirstRules() {
        let (syntax, _) = parseFile(#"{"A": 1, "RULES": ["- - - - -"], "RULES": ["- - - - []"]}"#)
        #expect(syntax.members.map(\.name) == ["A", "RULES", "RULES"])
        #expect(syntax.rules.count == 1)
    }
}
