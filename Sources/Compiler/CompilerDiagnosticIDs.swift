import VtapDiagnostics

// Every id the compiler itself reports, beyond the frontend's and sema's:
// what only the classifier learns. The catalogue is docs/diagnostics.md;
// a test keeps them in step.
extension DiagnosticID {
    /// Earlier rules together match every packet this rule matches.
    public static let ruleUnreachable: DiagnosticID = "rule-unreachable"
    /// The ruleset needs more than the classifier's documented capacity.
    public static let rulesetCapacity: DiagnosticID = "ruleset-capacity"
}

public enum CompilerDiagnostics {
    /// All ids above, for the documentation test.
    public static let ids: [DiagnosticID] = [.ruleUnreachable, .rulesetCapacity]
}
