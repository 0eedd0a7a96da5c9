import VtapDiagnostics
import VtapFrontend
import VtapRuleModel

/// Port fields with a protocol field that names protocols without ports
/// can only be a mistake. With PROTO `-` they are fine: the rule then
/// matches only packets that carry ports.
func checkPortsHaveProtocol(_ match: RuleMatch, _ syntax: RuleSyntax, diagnostics: inout DiagnosticBag) -> Bool {
    guard !match.protocols.isAny else { return true }
    let portField: RuleFieldSyntax
    if !match.sourcePort.isAny {
        portField = syntax[.sourcePort]
    } else if !match.destinationPort.isAny {
        portField = syntax[.destinationPort]
    } else {
        return true
    }
    let intervals = match.protocols.numbers.intervals
    guard intervals.contains(where: { !($0.lower...$0.upper).allSatisfy(IPProtocol.carriesPorts) }) else {
        return true
    }
    let portless = intervals.flatMap { $0.lower...$0.upper }.filter { !IPProtocol.carriesPorts($0) }
    let shown = portless.prefix(3).map(protocolName)
    let listed =
        portless.count > 3
        ? shown.joined(separator: ", ") + " and \(portless.count - 3) more"
        : ListFormat.and(shown)
    diagnostics.error(
        .portsWithoutProtocolPorts,
        "ports given for \(listed), which \(portless.count == 1 ? "carries" : "carry") no ports",
        at: portField.range, notes: [.init("protocols are given here", at: syntax[.protocol].range)])
    return false
}

/// A packet has one address family: a rule whose source and destination
/// share none never matches.
func checkAddressFamilies(_ match: RuleMatch, _ syntax: RuleSyntax, diagnostics: inout DiagnosticBag) -> Bool {
    let v4 = !match.source.v4.isEmpty && !match.destination.v4.isEmpty
    let v6 = !match.source.v6.isEmpty && !match.destination.v6.isEmpty
    guard !v4, !v6 else { return true }
    let source = syntax[.sourceAddress]
    let destination = syntax[.destinationAddress]
    diagnostics.error(
        .addressFamilyMismatch,
        "source '\(source.text)' is \(family(match.source)) only and destination '\(destination.text)' is "
            + "\(family(match.destination)) only; the rule can never match",
        at: destination.range, notes: [.init("the source is given here", at: source.range)])
    return false
}

private func family(_ match: AddressMatch) -> String { match.v4.isEmpty ? "IPv6" : "IPv4" }

private func protocolName(_ number: UInt8) -> String {
    IPProtocol.names.contains { $0.number == number } ? IPProtocol.name(of: number) : "protocol \(number)"
}

private enum ListFormat {
    /// "a", "a and b", "a, b and c".
    static func and(_ items: [String]) -> String {
        guard items.count > 1, let last = items.last else { return items.first ?? "" }
        return items.dropLast().joined(separator: ", ") + " and " + last
    }
}
