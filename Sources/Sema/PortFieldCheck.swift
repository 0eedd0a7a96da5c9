import VtapDiagnostics
import VtapFrontend
import VtapRuleModel

/// SPORT and DPORT: ports `n` and ranges `a-b` in 0–65535. A list is a
/// union; `!` complements within 0–65535. Any constrained port field only
/// matches packets that carry ports, so `-` stays `.any`, distinct from
/// `0-65535`.
func checkPortField(_ field: RuleFieldSyntax, diagnostics: inout DiagnosticBag) -> PortMatch? {
    if field.isAny { return .any }
    var pieces: [IntervalSet<UInt16>.Interval] = []
    var failed = false
    for item in field.items {
        if let piece = checkPortItem(item, diagnostics: &diagnostics) { pieces.append(piece) } else { failed = true }
    }
    guard !failed else { return nil }
    var ports = IntervalSet.of(pieces)
    if field.isNegated { ports = ports.complement() }
    guard !ports.isEmpty else {
        diagnostics.error(.fieldEmpty, "\(field.kind.description) '\(field.text)' matches no port", at: field.range)
        return nil
    }
    return .ports(ports)
}

/// `n` or `a-b`.
private func checkPortItem(_ item: RuleItem, diagnostics: inout DiagnosticBag) -> IntervalSet<UInt16>.Interval? {
    let text = item.text[...]
    let dash = text.utf8.firstIndex(of: UInt8(ascii: "-"))
    let lowText = text[..<(dash ?? text.endIndex)]
    let highText = dash.map { text[text.utf8.index(after: $0)...] } ?? lowText
    let limit = Int(UInt16.max)
    guard let low = DecimalText.value(lowText.utf8, limit: limit),
        let high = DecimalText.value(highText.utf8, limit: limit)
    else {
        diagnostics.error(
            .portInvalid, "'\(item.text)' is not a port or a port range such as 80 or 8000-8080", at: item.range)
        return nil
    }
    guard low <= limit else {
        reportOutOfRange(lowText, item, offset: 0, diagnostics: &diagnostics)
        return nil
    }
    guard high <= limit else {
        reportOutOfRange(highText, item, offset: text.utf8.count - highText.utf8.count, diagnostics: &diagnostics)
        return nil
    }
    guard low <= high else {
        diagnostics.error(
            .portRangeInverted, "port range '\(item.text)' is inverted; write \(high)-\(low)", at: item.range)
        return nil
    }
    return IntervalSet.Interval(UInt16(low), UInt16(high))
}

private func reportOutOfRange(_ part: Substring, _ item: RuleItem, offset: Int, diagnostics: inout DiagnosticBag) {
    diagnostics.error(
        .portOutOfRange, "port \(part) is out of range; ports are 0 to 65535",
        at: item.sourceRange(ofUTF8: offset..<(offset + part.utf8.count)))
}
