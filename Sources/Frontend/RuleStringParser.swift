import VtapDiagnostics

/// Parses a rule string, `SRC DST SPORT DPORT PROTO`. Returns `nil` after
/// reporting when the string is not a well-formed rule.
public func parseRuleString(_ string: JSONString, diagnostics: inout DiagnosticBag) -> RuleSyntax? {
    guard let (scanner, scanned) = scanWithoutErrors(string, diagnostics: &diagnostics) else { return nil }
    let expected = RuleFieldKind.allCases.count
    guard !scanned.isEmpty else {
        diagnostics.error(.ruleEmpty, "empty rule; write '- - - - -' to match all traffic", at: string.range)
        return nil
    }
    guard scanned.count == expected else {
        if scanned.count > expected {
            let extra = scanned[expected].offsets.lowerBound..<scanned[scanned.count - 1].offsets.upperBound
            diagnostics.error(
                .ruleFieldCount,
                "rule has \(scanned.count) fields; expected \(expected): \(RuleFieldKind.grammar)",
                at: scanner.sourceRange(extra))
        } else {
            let missing = RuleFieldKind.allCases[scanned.count...].map(\.title).joined(separator: " ")
            diagnostics.error(
                .ruleFieldCount,
                "rule has \(scanned.count) field\(scanned.count == 1 ? "" : "s"); expected \(expected): "
                    + "\(RuleFieldKind.grammar) (missing \(missing))",
                at: string.range)
        }
        return nil
    }
    let fields = zip(RuleFieldKind.allCases, scanned).map { kind, field in
        fieldSyntax(kind, field, scanner)
    }
    return RuleSyntax(fields: fields, range: string.range)
}

/// Parses one field written as a string in the object form, e.g.
/// `"dport": "[80, 443]"`.
public func parseRuleField(
    _ string: JSONString, kind: RuleFieldKind, diagnostics: inout DiagnosticBag
) -> RuleFieldSyntax? {
    guard let (scanner, scanned) = scanWithoutErrors(string, diagnostics: &diagnostics) else { return nil }
    guard let field = scanned.first else {
        diagnostics.error(.ruleEmpty, "empty \(kind.description); write \"-\" for any value", at: string.range)
        return nil
    }
    guard scanned.count == 1 else {
        let extra = scanned[1].offsets.lowerBound..<scanned[scanned.count - 1].offsets.upperBound
        diagnostics.error(
            .ruleFieldCount,
            "'\(kind.objectKey)' takes one field, found \(scanned.count); write a list as [a, b]",
            at: scanner.sourceRange(extra))
        return nil
    }
    return fieldSyntax(kind, field, scanner)
}

private func fieldSyntax(_ kind: RuleFieldKind, _ field: RuleTextScanner.Field, _ scanner: RuleTextScanner)
    -> RuleFieldSyntax
{
    RuleFieldSyntax(
        kind: kind, value: field.value, isNegated: field.isNegated, text: scanner.text(field.offsets),
        range: scanner.sourceRange(field.offsets))
}

/// The fields of a string, or `nil` once a syntax error is reported: a
/// field count after an error would only add noise.
private func scanWithoutErrors(_ string: JSONString, diagnostics: inout DiagnosticBag)
    -> (RuleTextScanner, [RuleTextScanner.Field])?
{
    var scanner = RuleTextScanner(string)
    let scanned = scanner.rejectControlCharacters() ? scanner.scanFields() : []
    diagnostics.append(contentsOf: scanner.diagnostics.all)
    return scanner.hasErrors ? nil : (scanner, scanned)
}
