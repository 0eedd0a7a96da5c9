import Testing
import VtapDiagnostics
import VtapFrontend
import VtapTestSupport

/// Parses JSON text; returns the tree and the diagnostics sorted by position.
func parse(_ text: String) -> (root: JSONValue?, diagnostics: [Diagnostic]) {
    parse(bytes: Array(text.utf8))
}

func parse(bytes: [UInt8]) -> (root: JSONValue?, diagnostics: [Diagnostic]) {
    var bag = DiagnosticBag()
    let root = parseJSON(bytes, diagnostics: &bag)
    return (root, bag.sorted)
}

/// Parses a rules file.
func parseFile(_ text: String) -> (syntax: RulesFileSyntax, diagnostics: [Diagnostic]) {
    var bag = DiagnosticBag()
    let syntax = parseRulesFile(SourceFile(path: "test.json", text: text), diagnostics: &bag)
    return (syntax, bag.sorted)
}

/// The rule syntax of `"RULES": [<rule>]` where `rule` is a JSON value.
func parseRule(_ element: String) -> (rule: RuleElementSyntax?, diagnostics: [Diagnostic]) {
    let (syntax, diagnostics) = parseFile(#"{"RULES": [\#(element)]}"#)
    return (syntax.rules.first, diagnostics)
}

/// The rule string's syntax, when it parsed.
func ruleSyntax(_ element: RuleElementSyntax?) -> RuleSyntax? {
    if case .string(let string)? = element { return string.rule }
    return nil
}

extension JSONValue {
    var members: [JSONMember]? { if case .object(let m) = kind { m } else { nil } }
    var elements: [JSONValue]? { if case .array(let e) = kind { e } else { nil } }
    var number: JSONNumber? { if case .number(let n) = kind { n } else { nil } }
}

/// The text a range covers.
func slice(_ text: String, _ range: SourceRange?) -> String? {
    guard let range else { return nil }
    let bytes = Array(text.utf8)
    guard range.start >= 0, range.end <= bytes.count else { return nil }
    return String(decoding: bytes[range.start..<range.end], as: UTF8.self)
}
