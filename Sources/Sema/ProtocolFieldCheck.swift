import VtapDiagnostics
import VtapFrontend
import VtapRuleModel

/// PROTO: names (case-insensitive) or numbers 0–255. A list is a union;
/// `!` complements within 0–255.
func checkProtocolField(_ field: RuleFieldSyntax, diagnostics: inout DiagnosticBag) -> ProtocolMatch? {
    if field.isAny { return .any }
    var pieces: [IntervalSet<UInt8>.Interval] = []
    var failed = false
    for item in field.items {
        if let number = checkProtocolItem(item, diagnostics: &diagnostics) {
            pieces.append(IntervalSet.Interval(number, number))
        } else {
            failed = true
        }
    }
    guard !failed else { return nil }
    var numbers = IntervalSet.of(pieces)
    if field.isNegated { numbers = numbers.complement() }
    guard !numbers.isEmpty else {
        diagnostics.error(.fieldEmpty, "protocol '\(field.text)' matches no protocol", at: field.range)
        return nil
    }
    return ProtocolMatch(numbers: numbers)
}

private let protocolNames = IPProtocol.names.map(\.name) + ["ipv6-icmp"]

private func checkProtocolItem(_ item: RuleItem, diagnostics: inout DiagnosticBag) -> UInt8? {
    let text = item.text
    if let number = DecimalText.value(text.utf8, limit: 255) {
        if number <= 255 { return UInt8(number) }
        diagnostics.error(
            .protocolOutOfRange, "protocol number \(text) is out of range; protocol numbers are 0 to 255",
            at: item.range)
        return nil
    }
    if let number = IPProtocol.number(named: text) { return number }
    let note: Diagnostic.Note =
        if let suggestion = NameSuggestion.closest(to: text, among: protocolNames) {
            .init("did you mean '\(suggestion)'?")
        } else {
            .init("known names are \(protocolNames.joined(separator: ", ")); any protocol can be given by number")
        }
    diagnostics.error(.protocolUnknown, "unknown protocol '\(text)'", at: item.range, notes: [note])
    return nil
}
