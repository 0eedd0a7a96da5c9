import VtapDiagnostics
import VtapFrontend
import VtapRuleModel

/// The result of checking a rules file.
public struct RulesCheck: Sendable {
    /// `nil` exactly when `diagnostics` contains an error.
    public var ruleset: Ruleset?
    /// Every problem found, sorted by position.
    public var diagnostics: [Diagnostic]

    public init(ruleset: Ruleset?, diagnostics: [Diagnostic]) {
        self.ruleset = ruleset
        self.diagnostics = diagnostics
    }
}

/// Parses and checks a rules file, reporting all of its problems at once.
/// The checks run in order, each in its own file: top-level keys, settings
/// and sequence source, rules field by field, then overlaps between rules.
public func checkRules(_ file: SourceFile) -> RulesCheck {
    var diagnostics = DiagnosticBag()
    let syntax = parseRulesFile(file, diagnostics: &diagnostics)
    let keys = checkTopLevel(syntax, diagnostics: &diagnostics)
    let settings = checkSettings(keys, diagnostics: &diagnostics)
    let rules = checkRuleElements(syntax.rules, in: file, diagnostics: &diagnostics)
    checkRuleOverlap(rules, diagnostics: &diagnostics)
    let ruleset = diagnostics.hasErrors ? nil : Ruleset(rules: rules, settings: settings)
    return RulesCheck(ruleset: ruleset, diagnostics: diagnostics.sorted)
}
