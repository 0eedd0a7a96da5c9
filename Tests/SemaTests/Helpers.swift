import Testing
import VtapDiagnostics
import VtapRuleModel
import VtapSema
import VtapTestSupport

func check(_ text: String) -> RulesCheck {
    checkRules(SourceFile(path: "test.json", text: text))
}

func check(_ input: Marked) -> RulesCheck {
    checkRules(input.file)
}

/// A rules file with the given RULES elements (JSON text) and extra top-level members.
func file(rules: String..., settings: String = "") -> String {
    #"{"RULES": [\#(rules.joined(separator: ", "))]\#(settings.isEmpty ? "" : ", " + settings)}"#
}

extension RulesCheck {
    var ids: [DiagnosticID] { diagnostics.map(\.id) }
    var errors: [Diagnostic] { diagnostics.filter { $0.severity == .error } }
    func with(_ id: DiagnosticID) -> [Diagnostic] { diagnostics.filter { $0.id == id } }
}

/// The one rule of a file that must check without errors.
func checkedRule(_ element: String, sourceLocation: Testing.SourceLocation = #_sourceLocation) throws -> Rule {
    let result = check(file(rules: element))
    #expect(result.errors.isEmpty, "\(result.diagnostics.map(\.message))", sourceLocation: sourceLocation)
    let ruleset = try #require(result.ruleset, sourceLocation: sourceLocation)
    return try #require(ruleset.rules.first, sourceLocation: sourceLocation)
}

/// The rule string element `"<rule>"` with exactly one diagnostic, which
/// must have `id` and start at the marker.
func expectOnly(
    _ id: DiagnosticID, in markedRules: String, settings: String = "",
    sourceLocation: Testing.SourceLocation = #_sourceLocation
) -> Diagnostic? {
    let input = Marked(file(rules: markedRules, settings: settings))
    let result = check(input)
    #expect(result.ids == [id], "\(result.diagnostics.map(\.message))", sourceLocation: sourceLocation)
    let diagnostic = result.diagnostics.first
    #expect(diagnostic?.range?.start == input.offset, sourceLocation: sourceLocation)
    if diagnostic?.severity == .error {
        #expect(result.ruleset == nil, sourceLocation: sourceLocation)
    } else {
        #expect(result.ruleset != nil, sourceLocation: sourceLocation)
    }
    return diagnostic
}

func ipv4(_ a: UInt32, _ b: UInt32, _ c: UInt32, _ d: UInt32) -> UInt32 { a << 24 | b << 16 | c << 8 | d }

func v4(_ pieces: (UInt32, UInt32)...) -> IntervalSet<UInt32> {
    IntervalSet(pieces.map { IntervalSet.Interval($0.0, $0.1) })
}
