import VtapDiagnostics
import VtapFrontend
import VtapRuleModel

/// Turns every element of RULES into a checked `Rule`. Elements with
/// errors are reported and left out; the caller discards the ruleset then.
func checkRuleElements(
    _ elements: [RuleElementSyntax], in file: SourceFile, diagnostics: inout DiagnosticBag
) -> [Rule] {
    var rules: [Rule] = []
    rules.reserveCapacity(elements.count)
    var names: [String: SourceRange] = [:]
    var cache = FieldCache()
    var locations = LocationCursor(file)
    for (index, element) in elements.enumerated() {
        let range = element.range
        let syntax: RuleSyntax?
        let source: String
        var name: String?
        switch element {
        case .string(let string):
            syntax = string.rule
            source = string.string.value
        case .object(let object):
            name = checkRuleName(object, names: &names, diagnostics: &diagnostics)
            syntax = checkRuleObject(object, number: index + 1, diagnostics: &diagnostics)
            // The rule as the five-field text it stands for, which outputs show.
            source = syntax.map { $0.fields.map(\.text).joined(separator: " ") } ?? ""
        case .other(let value):
            if !value.isInvalid {
                diagnostics.error(
                    .valueType, "a rule must be a string or an object, found \(value.typeDescription)",
                    at: value.range)
            }
            continue
        }
        guard let syntax, let fields = checkFields(syntax, cache: &cache, diagnostics: &diagnostics) else { continue }
        rules.append(
            Rule(
                index: index, name: name, source: source, location: locations.location(of: range.start), range: range,
                sourceAddress: fields.source, destinationAddress: fields.destination,
                sourcePort: fields.sourcePort, destinationPort: fields.destinationPort, protocols: fields.protocols))
    }
    return rules
}

/// The five normalised fields of one rule.
struct RuleMatch: Hashable {
    var source: AddressMatch
    var destination: AddressMatch
    var sourcePort: PortMatch
    var destinationPort: PortMatch
    var protocols: ProtocolMatch
}

extension RuleMatch {
    init(_ rule: Rule) {
        self.init(
            source: rule.sourceAddress, destination: rule.destinationAddress, sourcePort: rule.sourcePort,
            destinationPort: rule.destinationPort, protocols: rule.protocols)
    }
}

/// Each field on its own, then the checks across fields. Every field is
/// checked even after one fails, so all problems show at once.
private func checkFields(_ syntax: RuleSyntax, cache: inout FieldCache, diagnostics: inout DiagnosticBag)
    -> RuleMatch?
{
    let source = cache.address(syntax[.sourceAddress], diagnostics: &diagnostics)
    let destination = cache.address(syntax[.destinationAddress], diagnostics: &diagnostics)
    let sourcePort = cache.port(syntax[.sourcePort], diagnostics: &diagnostics)
    let destinationPort = cache.port(syntax[.destinationPort], diagnostics: &diagnostics)
    let protocols = cache.protocol(syntax[.protocol], diagnostics: &diagnostics)
    guard let source, let destination, let sourcePort, let destinationPort, let protocols else { return nil }
    let match = RuleMatch(
        source: source, destination: destination, sourcePort: sourcePort, destinationPort: destinationPort,
        protocols: protocols)
    let portsOK = checkPortsHaveProtocol(match, syntax, diagnostics: &diagnostics)
    let familiesOK = checkAddressFamilies(match, syntax, diagnostics: &diagnostics)
    return portsOK && familiesOK ? match : nil
}
