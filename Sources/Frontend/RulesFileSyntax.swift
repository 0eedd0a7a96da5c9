import VtapDiagnostics

/// The syntax tree of a whole rules file.
public struct RulesFileSyntax: Sendable {
    /// The document; `nil` when the file holds no value at all.
    public var root: JSONValue?
    /// The top-level members in source order, duplicates kept; empty when
    /// the root is not an object.
    public var members: [JSONMember]
    /// The elements of the first `RULES` member, when that is an array.
    public var rules: [RuleElementSyntax]
}

/// An element of the RULES array.
public enum RuleElementSyntax: Sendable {
    /// The seed's form: `"1.1.1.1 - - 80 TCP"`.
    case string(RuleStringSyntax)
    /// `{"name": …, "rule": …}` or `{"name": …, "src": …, …}`.
    case object(RuleObjectSyntax)
    /// Anything else; sema reports the type.
    case other(JSONValue)

    public var range: SourceRange {
        switch self {
        case .string(let s): s.string.range
        case .object(let o): o.range
        case .other(let v): v.range
        }
    }
}

public struct RuleStringSyntax: Sendable {
    public var string: JSONString
    /// `nil` when the string is not a well-formed rule (already reported).
    public var rule: RuleSyntax?
}

public struct RuleObjectSyntax: Sendable {
    public var range: SourceRange
    /// Members in source order, duplicates kept.
    public var members: [RuleObjectMember]
}

public struct RuleObjectMember: Sendable {
    public enum Role: Sendable {
        case name
        /// `"rule": "…"`; `nil` when malformed (already reported).
        case rule(RuleSyntax?)
        /// `"src"`, `"dport"`, …; `nil` when malformed (already reported).
        case field(RuleFieldKind, RuleFieldSyntax?)
        case unknown
    }

    public var member: JSONMember
    public var role: Role
}

/// The keys of the object form.
public enum RuleObjectKeys {
    public static let name = "name"
    public static let rule = "rule"
    public static let all = [name, rule] + RuleFieldKind.allCases.map(\.objectKey)
}

/// Parses a rules file into its syntax tree: the JSON document, and inside
/// the RULES array every rule string and rule object parsed into fields.
public func parseRulesFile(_ file: SourceFile, diagnostics: inout DiagnosticBag) -> RulesFileSyntax {
    let root = parseJSON(file.bytes, diagnostics: &diagnostics)
    guard let root, case .object(let members) = root.kind else {
        return RulesFileSyntax(root: root, members: [], rules: [])
    }
    var rules: [RuleElementSyntax] = []
    if let rulesMember = members.first(where: { $0.name == "RULES" }),
        case .array(let elements) = rulesMember.value.kind
    {
        rules = elements.map { parseRuleElement($0, diagnostics: &diagnostics) }
    }
    return RulesFileSyntax(root: root, members: members, rules: rules)
}

private func parseRuleElement(_ element: JSONValue, diagnostics: inout DiagnosticBag) -> RuleElementSyntax {
    switch element.kind {
    case .string(let string):
        return .string(RuleStringSyntax(string: string, rule: parseRuleString(string, diagnostics: &diagnostics)))
    case .object(let members):
        let parsed = members.map { parseRuleObjectMember($0, diagnostics: &diagnostics) }
        return .object(RuleObjectSyntax(range: element.range, members: parsed))
    default:
        return .other(element)
    }
}

private func parseRuleObjectMember(_ member: JSONMember, diagnostics: inout DiagnosticBag) -> RuleObjectMember {
    let key = member.name
    if key == RuleObjectKeys.name { return RuleObjectMember(member: member, role: .name) }
    if key == RuleObjectKeys.rule {
        switch member.value.kind {
        case .string(let string):
            return RuleObjectMember(member: member, role: .rule(parseRuleString(string, diagnostics: &diagnostics)))
        case .invalid:
            break
        default:
            diagnostics.error(
                .valueType, "'rule' must be a rule string, found \(member.value.typeDescription)",
                at: member.value.range)
        }
        return RuleObjectMember(member: member, role: .rule(nil))
    }
    if let kind = RuleFieldKind.allCases.first(where: { $0.objectKey == key }) {
        let field = parseRuleFieldValue(member.value, kind: kind, diagnostics: &diagnostics)
        return RuleObjectMember(member: member, role: .field(kind, field))
    }
    return RuleObjectMember(member: member, role: .unknown)
}
