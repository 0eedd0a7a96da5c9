import Testing
import VtapDiagnostics
import VtapFrontend
import VtapTestSupport

@Suite struct RuleStringSyntaxTests {
    @Test func splitsFiveFieldsWithKindsAndRanges() throws {
        let input = Marked(#"{"RULES": ["‸1.1.1.1‸ ‸2.2.2.2‸ ‸11‸ ‸22‸ ‸TCP‸"]}"#)
        let (syntax, diagnostics) = parseFile(input.text)
        #expect(diagnostics.isEmpty)
        let rule = try #require(ruleSyntax(syntax.rules.first))
        #expect(rule.fields.map(\.kind) == RuleFieldKind.allCases)
        #expect(rule.fields.map(\.text) == ["1.1.1.1", "2.2.2.2", "11", "22", "TCP"])
        for (index, field) in rule.fields.enumerated() {
            let expected = SourceRange(start: input.offsets[2 * index], end: input.offsets[2 * index + 1])
            #expect(field.range == expected)
            #expect(field.items.first?.range == expected)
            #expect(!field.isNegated)
        }
    }

    @Test func readsAnyNegationAndListsWithSpaces() throws {
        let (element, diagnostics) = parseRule(#""- !10.0.0.0/8 ![ 80 , 443 ] [1000-2000] [TCP, UDP]""#)
        #expect(diagnostics.isEmpty)
        let rule = try #require(ruleSyntax(element))
        #expect(rule[.sourceAddress].isAny)
        let destination = rule[.destinationAddress]
        #expect(destination.isNegated)
        guard case .single(let item) = destination.value else { throw Failure("expected a single item") }
        #expect(item.text == "10.0.0.0/8")
        let sourcePort = rule[.sourcePort]
        #expect(sourcePort.isNegated)
        #expect(sourcePort.items.map(\.text) == ["80", "443"])
        #expect(sourcePort.text == "![ 80 , 443 ]")
        guard case .list(let ports) = rule[.destinationPort].value else { throw Failure("expected a list") }
        #expect(ports.map(\.text) == ["1000-2000"])
        #expect(rule[.protocol].items.map(\.text) == ["TCP", "UDP"])
    }

    @Test func acceptsTabsAndExtraSpaceBetweenFields() throws {
        let (element, diagnostics) = parseRule(#""  -\t-   -  -  -  ""#)
        #expect(diagnostics.isEmpty)
        #expect(try #require(ruleSyntax(element)).fields.allSatisfy(\.isAny))
    }

    @Test func itemRangesPointIntoTheFileThroughEscapes() throws {
        // "\u0031" is "1": the item's range must cover the escape in the file.
        let input = Marked(#"{"RULES": ["- - - - [‸\u0031‸7, ‸UDP‸]"]}"#)
        let (syntax, diagnostics) = parseFile(input.text)
        #expect(diagnostics.isEmpty)
        let items = try #require(ruleSyntax(syntax.rules.first))[.protocol].items
        #expect(items.map(\.text) == ["17", "UDP"])
        #expect(items[0].range == SourceRange(start: input.offsets[0], end: input.offsets[1] + 1))
        #expect(items[0].sourceRange(ofUTF8: 0..<1) == SourceRange(start: input.offsets[0], end: input.offsets[1]))
        #expect(items[1].range == SourceRange(start: input.offsets[2], end: input.offsets[3]))
    }

    static let errorCases: [(input: String, id: DiagnosticID)] = [
        (#"‸"""#, .ruleEmpty),
        (#"‸"   ""#, .ruleEmpty),
        (#"‸"1.1.1.1 - - -""#, .ruleFieldCount),
        (#""- - - - - ‸80 TCP""#, .ruleFieldCount),
        (#""- - - - ‸[]""#, .ruleEmptyList),
        (#""- - - - [ ‸, TCP]""#, .ruleEmptyItem),
        (#""- - - - [TCP,‸,UDP]""#, .ruleEmptyItem),
        (#""- - - - [TCP, UDP‸,]""#, .ruleEmptyItem),
        (#""- - - - [TCP ‸UDP]""#, .ruleMissingComma),
        (#""- - - - ‸[TCP, UDP""#, .ruleUnbalancedBracket),
        (#""- - - - TCP‸]""#, .ruleUnexpectedCharacter),
        (#""- - - 80‸] TCP""#, .ruleUnexpectedCharacter),
        (#""- - ‸] - TCP""#, .ruleUnbalancedBracket),
        (#""- ‸!- - - TCP""#, .ruleNegatedAny),
        (#""- - [‸-, 80] - TCP""#, .ruleAnyInList),
        (#""1.1.1.1‸,2.2.2.2 - - - -""#, .ruleUnexpectedCharacter),
        (#""- - - - [TCP, ‸[UDP]""#, .ruleUnexpectedCharacter),
        (#""- - - - [TCP, ‸!UDP]""#, .ruleUnexpectedCharacter),
        (#""‸! - - - - TCP""#, .ruleUnexpectedCharacter),
        (#""‸!!10.0.0.1 - - - TCP""#, .ruleUnexpectedCharacter),
        (#""- - - - [TCP]‸x""#, .ruleUnexpectedCharacter),
        (#""- - - - ‸, TCP""#, .ruleUnexpectedCharacter),
        (#""- - - -‸\u0000 TCP""#, .ruleControlCharacter),
        (#""- - - - TCP‸\u202e""#, .ruleControlCharacter),
    ]

    @Test(arguments: errorCases)
    func reportsOneErrorAtTheMarker(_ testCase: (input: String, id: DiagnosticID)) throws {
        let input = Marked(#"{"RULES": [\#(testCase.input)]}"#)
        let (syntax, diagnostics) = parseFile(input.text)
        #expect(diagnostics.map(\.id) == [testCase.id], "\(diagnostics.map(\.message))")
        #expect(diagnostics.first?.range?.start == input.offset)
        #expect(ruleSyntax(syntax.rules.first) == nil)
    }

    @Test func fieldCountNamesTheMissingFields() throws {
        let (_, diagnostics) = parseRule(#""1.1.1.1 2.2.2.2 - -""#)
        #expect(
            diagnostics.first?.message
                == "rule has 4 fields; expected 5: SRC DST SPORT DPORT PROTO (missing PROTO)")
    }

    @Test func extraFieldsRangeCoversThemAll() throws {
        let input = Marked(#"{"RULES": ["- - - - - ‸a b c‸"]}"#)
        let (_, diagnostics) = parseFile(input.text)
        #expect(diagnostics.first?.range == input.range)
    }

    @Test func reportsEveryBadRuleInTheArray() {
        let (syntax, diagnostics) = parseFile(#"{"RULES": ["- - - -", "- - - - []", "- - - - -"]}"#)
        #expect(diagnostics.map(\.id) == [.ruleFieldCount, .ruleEmptyList])
        #expect(syntax.rules.count == 3)
        #expect(ruleSyntax(syntax.rules[2]) != nil)
    }
}

struct Failure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
