import VtapDiagnostics

/// Parses a rule string, `SRC DST SPORT DPORT PROTO`. Returns `nil` after
/// reporting when the string is not a well-formed rule.
public func parseRuleString(_ string: JSONString, diagnostics: inout DiagnosticBag) -> RuleSyntax? {
    let kinds = RuleFieldKind.allCases
    guard let scanned = scanWithoutErrors(string, as: kinds, diagnostics: &diagnostics) else { return nil }
    let expected = kinds.count
    guard !scanned.isEmpty else {
        diagnostics.error(.ruleEmpty, "empty rule; write '- - - - -' to match all traffic", at: string.range)
        return nil
    }
    guard scanned.count == expected else {
        if scanned.count > expected {
            diagnostics.error(
                .ruleFieldCount,
                "rule has \(scanned.count) fields; expected \(expected): \(RuleFieldKind.grammar)",
                at: scanned[expected].range.union(scanned[scanned.count - 1].range))
        } else {
            let missing = kinds[scanned.count...].map(\.title).joined(separator: " ")
            diagnostics.error(
                .ruleFieldCount,
                "rule has \(scanned.count) field\(scanned.count == 1 ? "" : "s"); expected \(expected): "
                    + "\(RuleFieldKind.grammar) (missing \(missing))",
                at: string.range)
        }
        return nil
    }
    return RuleSyntax(fields: scanned, range: string.range)
}

/// Parses one field written as a string in the object form, e.g.
/// `"dport": "[80, 443]"`.
public func parseRuleField(
    _ string: JSONString, kind: RuleFieldKind, diagnostics: inout DiagnosticBag
) -> RuleFieldSyntax? {
    if let plain = plainItemField(string, kind: kind) { return plain }
    guard let scanned = scanWithoutErrors(string, as: [kind], diagnostics: &diagnostics) else { return nil }
    guard let field = scanned.first else {
        diagnostics.error(.ruleEmpty, "empty \(kind.description); write \"-\" for any value", at: string.range)
        return nil
    }
    guard scanned.count == 1 else {
        diagnostics.error(
            .ruleFieldCount,
            "'\(kind.objectKey)' takes one field, found \(scanned.count); write a list as [a, b]",
            at: scanned[1].range.union(scanned[scanned.count - 1].range))
        return nil
    }
    return field
}

/// A field that is one plain item such as `80` or `10.0.0.0/8` — the usual
/// value in the object form — without running the scanner. `nil` for
/// anything the scanner must look at.
private func plainItemField(_ string: JSONString, kind: RuleFieldKind) -> RuleFieldSyntax? {
    let utf8 = string.value.utf8
    guard !utf8.isEmpty, string.value != "-",
        utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F && !RuleTextScanner.isSpecial($0) })
    else { return nil }
    let item = RuleItem(
        text: string.value, range: string.sourceRange(ofUTF8: 0..<utf8.count),
        origin: .string(string, decodedStart: 0))
    return RuleFieldSyntax(kind: kind, value: .single(item), isNegated: false, text: string.value, range: item.range)
}

/// The fields of a string, or `nil` once a syntax error is reported: a
/// field count after an error would only add noise.
private func scanWithoutErrors(
    _ string: JSONString, as kinds: [RuleFieldKind], diagnostics: inout DiagnosticBag
) -> [RuleFieldSyntax]? {
    var scanner = RuleTextScanner(string)
    let scanned = scanner.rejectControlCharacters() ? scanner.scanFields(as: kinds) : []
    diagnostics.append(contentsOf: scanner.diagnostics.all)
    return scanner.hasErrors ? nil : scanned
}
