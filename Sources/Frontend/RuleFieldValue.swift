import VtapDiagnostics

/// Reads a field of the object form: a string in rule-field syntax
/// (`"![80, 443]"`), a number (`80`) or an array of strings and numbers
/// (`[80, "8000-8080"]`). Returns `nil` after reporting.
public func parseRuleFieldValue(
    _ value: JSONValue, kind: RuleFieldKind, diagnostics: inout DiagnosticBag
) -> RuleFieldSyntax? {
    switch value.kind {
    case .string(let string):
        return parseRuleField(string, kind: kind, diagnostics: &diagnostics)
    case .number(let number):
        let item = RuleItem(text: number.text, range: value.range, origin: .verbatim)
        return RuleFieldSyntax(
            kind: kind, value: .single(item), isNegated: false, text: number.text, range: value.range)
    case .array(let elements):
        guard !elements.isEmpty else {
            diagnostics.error(.ruleEmptyList, "empty list matches nothing; write \"-\" for any value", at: value.range)
            return nil
        }
        var items: [RuleItem] = []
        var failed = false
        for element in elements {
            if let item = arrayItem(element, kind: kind, diagnostics: &diagnostics) {
                items.append(item)
            } else {
                failed = true
            }
        }
        guard !failed else { return nil }
        let text = "[" + items.map(\.text).joined(separator: ", ") + "]"
        return RuleFieldSyntax(kind: kind, value: .list(items), isNegated: false, text: text, range: value.range)
    case .invalid:
        return nil
    default:
        diagnostics.error(
            .valueType,
            "'\(kind.objectKey)' must be a string, a number or an array, found \(value.typeDescription)",
            at: value.range)
        return nil
    }
}

private func arrayItem(_ element: JSONValue, kind: RuleFieldKind, diagnostics: inout DiagnosticBag) -> RuleItem? {
    switch element.kind {
    case .number(let number):
        return RuleItem(text: number.text, range: element.range, origin: .verbatim)
    case .string(let string):
        guard let field = parseRuleField(string, kind: kind, diagnostics: &diagnostics) else { return nil }
        guard !field.isNegated, case .single(let item) = field.value else {
            diagnostics.error(
                .ruleArrayItem,
                "array items are single values; write '!', '-' and lists as one string, e.g. \"![80, 443]\"",
                at: element.range)
            return nil
        }
        return item
    case .invalid:
        return nil
    default:
        diagnostics.error(
            .valueType, "items of '\(kind.objectKey)' must be strings or numbers, found \(element.typeDescription)",
            at: element.range)
        return nil
    }
}
