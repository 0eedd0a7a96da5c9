import VtapDiagnostics
import VtapFrontend
import VtapRuleModel

/// The object form: keys known and given once, either `rule` or separate
/// fields (omitted fields mean any). Returns the rule's five fields, or
/// `nil` when they are not usable (reported).
func checkRuleObject(_ object: RuleObjectSyntax, number: Int, diagnostics: inout DiagnosticBag) -> RuleSyntax? {
    let firstIndices = checkKeys(
        object.members.map(\.member.key), known: RuleObjectKeys.all, in: "rule \(number)",
        diagnostics: &diagnostics)

    var rule: (key: SourceRange, syntax: RuleSyntax?)?
    var firstField: (name: String, key: SourceRange)?
    var fields = RuleFieldKind.allCases.map { RuleFieldSyntax.omitted($0, at: object.range.start) }
    var fieldsAreValid = true
    for index in firstIndices {
        let member = object.members[index]
        switch member.role {
        case .rule(let syntax):
            rule = (member.member.keyRange, syntax)
        case .field(let kind, let syntax):
            if firstField == nil { firstField = (member.member.name, member.member.keyRange) }
            if let syntax { fields[kind.rawValue] = syntax } else { fieldsAreValid = false }
        case .name, .unknown:
            break
        }
    }
    guard let rule else { return fieldsAreValid ? RuleSyntax(fields: fields, range: object.range) : nil }
    if let firstField {
        diagnostics.error(
            .ruleConflictingFields,
            "'\(firstField.name)' cannot be combined with 'rule'; give either a rule string or separate fields",
            at: firstField.key, notes: [.init("'rule' is given here", at: rule.key)])
        return nil
    }
    return rule.syntax
}

/// A rule name is a label in every output: non-empty, at most 64
/// characters, printable, and unique across the file. `names` holds the
/// names seen so far.
func checkRuleName(
    _ object: RuleObjectSyntax, names: inout [String: SourceRange], diagnostics: inout DiagnosticBag
) -> String? {
    guard let member = object.members.first(where: { if case .name = $0.role { true } else { false } })?.member
    else { return nil }
    guard case .string(let string) = member.value.kind else {
        if !member.value.isInvalid {
            diagnostics.error(
                .valueType, "'name' must be a string, found \(member.value.typeDescription)", at: member.value.range)
        }
        return nil
    }
    let name = string.value
    if name.isEmpty {
        diagnostics.error(.ruleNameInvalid, "rule name is empty", at: string.range)
        return nil
    }
    if name.count > maxRuleNameLength {
        diagnostics.error(
            .ruleNameInvalid, "rule name is \(name.count) characters long; the limit is \(maxRuleNameLength)",
            at: string.range)
        return nil
    }
    if let (scalar, offset) = TextSafety.firstDisallowed(in: name) {
        diagnostics.error(
            .ruleNameInvalid, "rule name contains control character \(TextSafety.codePoint(scalar))",
            at: string.sourceRange(ofUTF8: offset..<(offset + UTF8.width(scalar))))
        return nil
    }
    if let first = names[name] {
        diagnostics.error(
            .ruleNameDuplicate, "rule name '\(name)' is already used; names label outputs and must be unique",
            at: string.range, notes: [.init("'\(name)' is first used here", at: first)])
    } else {
        names[name] = string.range
    }
    return name
}

let maxRuleNameLength = 64
