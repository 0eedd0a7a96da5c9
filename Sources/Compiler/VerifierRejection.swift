import VtapBPF
import VtapRuleModel

/// A verifier rejection, summarised and traced back to the generated C and,
/// where the failing line is a rule's decision, to that rule.
public struct VerifierRejection: Sendable {
    public var program: String
    /// The verifier's own last words.
    public var error: String
    /// The lines around the failure, with "N lines omitted" for the rest.
    public var excerpt: String
    /// The generated C line the failure is attributed to, if the log says.
    public var source: SourceAnnotation?
    /// The rule whose decision code failed, when it can be told.
    public var rule: Rule?

    public var headline: String {
        var text = "the kernel verifier rejected program '\(program)': \(error)"
        if let source { text += " at \(source)" }
        if let rule { text += " (in the decision code of \(rule.displayName), line \(rule.location.line))" }
        return text
    }

    init(program: String, log: VerifierLog, rules: [Rule]) {
        self.program = program
        self.error = log.errorLine ?? "no reason given"
        self.excerpt = log.excerpt
        self.source = log.failingSource
        self.rule = source.flatMap { Self.rule(in: $0.code, rules) }
    }

    /// Decision code returns rule indices as `return N;`.
    static func rule(in line: String, _ rules: [Rule]) -> Rule? {
        guard let range = line.range(of: "return ") else { return nil }
        let digits = line[range.upperBound...].prefix { $0.isNumber }
        guard let index = Int(digits), line[range.upperBound...].dropFirst(digits.count).hasPrefix(";"),
            rules.indices.contains(index)
        else { return nil }
        return rules[index]
    }
}
