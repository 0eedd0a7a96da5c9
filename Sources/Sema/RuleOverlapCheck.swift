import VtapDiagnostics
import VtapRuleModel

/// Warns about rules that never match under first-match semantics: exact
/// duplicates of an earlier rule (found by hashing), and rules an earlier
/// single rule covers field by field (found through `CoverIndex`, which
/// only compares against earlier rules that could cover). Coverage by a
/// union of several earlier rules is left to the decision-plan builder.
func checkRuleOverlap(_ rules: [Rule], diagnostics: inout DiagnosticBag) {
    var firstWithMatch: [RuleMatch: Int] = [:]
    firstWithMatch.reserveCapacity(rules.count)
    var index = CoverIndex(capacity: rules.count)
    for (position, rule) in rules.enumerated() {
        let match = RuleMatch(rule)
        // One hash in the common case; a duplicate puts the first back.
        if let earlier = firstWithMatch.updateValue(position, forKey: match) {
            firstWithMatch[match] = earlier
            let first = rules[earlier]
            diagnostics.warning(
                .ruleDuplicate, "\(rule.displayName) is a duplicate of \(first.displayName) and never matches",
                at: rule.range, notes: [.init("\(first.displayName) is here", at: first.range)])
            continue
        }
        if let earlier = index.coveringOrInsert(match, position: position) {
            let first = rules[earlier]
            diagnostics.warning(
                .ruleShadowed,
                "\(rule.displayName) never matches: \(first.displayName) comes first and matches every packet it would",
                at: rule.range, notes: [.init("\(first.displayName) is here", at: first.range)])
        }
    }
}

extension RuleMatch {
    /// Every packet `other` matches, this matches too. Cheap fields first.
    func covers(_ other: RuleMatch) -> Bool {
        contains(protocols.numbers, other.protocols.numbers)
            && contains(destinationPort, other.destinationPort) && contains(sourcePort, other.sourcePort)
            && contains(destination, other.destination) && contains(source, other.source)
    }
}

// Subset tests without building an intersection: this runs for every
// candidate of every rule.

private func contains(_ outer: AddressMatch, _ inner: AddressMatch) -> Bool {
    contains(outer.v4, inner.v4) && contains(outer.v6, inner.v6)
}

private func contains(_ outer: PortMatch, _ inner: PortMatch) -> Bool {
    switch (outer, inner) {
    case (.any, _): true
    case (.ports, .any): false
    case (.ports(let outer), .ports(let inner)): contains(outer, inner)
    }
}

/// Whether every interval of `inner` lies within one interval of `outer`
/// (intervals are sorted and never touch, so one walk suffices).
private func contains<T>(_ outer: IntervalSet<T>, _ inner: IntervalSet<T>) -> Bool {
    let outerPieces = outer.intervals
    var index = 0
    for piece in inner.intervals {
        while index < outerPieces.count, outerPieces[index].upper < piece.lower { index += 1 }
        guard index < outerPieces.count, outerPieces[index].lower <= piece.lower,
            piece.upper <= outerPieces[index].upper
        else { return false }
    }
    return true
}
