import VtapDiagnostics
import VtapFrontend
import VtapRuleModel

/// SRC and DST: addresses and CIDR prefixes of either family. A list is a
/// union; `!` complements over every address of both families.
func checkAddressField(_ field: RuleFieldSyntax, diagnostics: inout DiagnosticBag) -> AddressMatch? {
    if field.isAny { return .any }
    var v4: [IntervalSet<UInt32>.Interval] = []
    var v6: [IntervalSet<UInt128>.Interval] = []
    var failed = false
    for item in field.items {
        switch checkAddressItem(item, diagnostics: &diagnostics) {
        case .v4(let interval): v4.append(interval)
        case .v6(let interval): v6.append(interval)
        case nil: failed = true
        }
    }
    guard !failed else { return nil }
    // Start from the shared empty sets; most fields name one family only.
    var match = AddressMatch.none
    if !v4.isEmpty { match.v4 = .of(v4) }
    if !v6.isEmpty { match.v6 = .of(v6) }
    if field.isNegated { match = match.complement }
    guard !match.isEmpty else {
        diagnostics.error(
            .fieldEmpty, "\(field.kind.description) '\(field.text)' matches no address", at: field.range)
        return nil
    }
    return match
}

private enum AddressBlock {
    case v4(IntervalSet<UInt32>.Interval)
    case v6(IntervalSet<UInt128>.Interval)
}

/// `address` or `address/length`.
private func checkAddressItem(_ item: RuleItem, diagnostics: inout DiagnosticBag) -> AddressBlock? {
    let text = item.text[...]
    let slash = text.utf8.firstIndex(of: UInt8(ascii: "/"))
    let addressText = text[..<(slash ?? text.endIndex)]
    let address: IPAddress
    switch AddressText.parse(addressText) {
    case .success(let parsed):
        address = parsed
    case .failure(let error):
        diagnostics.error(
            .addressInvalid, "'\(addressText)' is not a valid address: \(error.reason)",
            at: item.sourceRange(ofUTF8: 0..<addressText.utf8.count))
        return nil
    }
    let width: Int
    switch address {
    case .v4: width = 32
    case .v6: width = 128
    }
    var length = width
    if let slash {
        let prefixText = text[text.utf8.index(after: slash)...]
        let prefixStart = addressText.utf8.count + 1
        // The digits after '/', or the '/' itself when nothing follows it.
        let prefixRange =
            prefixText.isEmpty
            ? item.sourceRange(ofUTF8: (prefixStart - 1)..<prefixStart)
            : item.sourceRange(ofUTF8: prefixStart..<(prefixStart + prefixText.utf8.count))
        let family = width == 32 ? "IPv4" : "IPv6"
        guard let parsed = prefixLength(prefixText), parsed <= width else {
            diagnostics.error(
                .prefixInvalid,
                "'/\(prefixText)' is not a valid \(family) prefix length; use /0 to /\(width)",
                at: prefixRange)
            return nil
        }
        length = parsed
    }
    // A prefix is never empty, so `first` always exists.
    switch address {
    case .v4(let value):
        guard let block = IntervalSet<UInt32>.prefix(value, length: length).intervals.first else { return nil }
        if block.lower != value { warnHostBits(item, network: .v4(block.lower), length, diagnostics: &diagnostics) }
        return .v4(block)
    case .v6(let value):
        guard let block = IntervalSet<UInt128>.prefix(value, length: length).intervals.first else { return nil }
        if block.lower != value { warnHostBits(item, network: .v6(block.lower), length, diagnostics: &diagnostics) }
        return .v6(block)
    }
}

/// Decimal digits without sign or leading zeros.
private func prefixLength(_ text: Substring) -> Int? {
    guard text.utf8.count == 1 || text.utf8.first != UInt8(ascii: "0") else { return nil }
    return DecimalText.value(text.utf8, limit: 128)
}

/// `10.0.0.1/8` most likely means the network, but it may be a typo for
/// a longer prefix: use the network and say so.
private func warnHostBits(_ item: RuleItem, network: IPAddress, _ length: Int, diagnostics: inout DiagnosticBag) {
    diagnostics.warning(
        .addressHostBits,
        "'\(item.text)' has host bits set; it is read as \(AddressText.format(network))/\(length)",
        at: item.range)
}
