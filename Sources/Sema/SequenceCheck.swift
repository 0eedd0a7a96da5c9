import VtapDiagnostics
import VtapFrontend
import VtapRuleModel

/// The "no pattern" value: with it, OFFSET is a fixed payload offset.
private let noPattern: UInt32 = 0xFFFF_FFFF

/// Resolves PATTERN and OFFSET into where UDP and ICMP packets carry their
/// sequence number. `nil` when a value is wrong (reported).
func checkSequence(pattern: JSONMember?, offset: JSONMember?, diagnostics: inout DiagnosticBag)
    -> Settings.SequenceSource?
{
    if pattern == nil, offset == nil { return Settings.SequenceSource.none }
    var patternValue = noPattern
    if let pattern {
        guard let value = readPattern(pattern, diagnostics: &diagnostics) else {
            // OFFSET's own type error too: every error at once.
            if let offset { _ = readInteger(offset, in: Int.min...Int.max, diagnostics: &diagnostics) }
            return nil
        }
        patternValue = value
    }
    guard let offset else {
        diagnostics.error(
            .patternWithoutOffset,
            "PATTERN needs an OFFSET: where the sequence number starts, relative to the pattern",
            at: pattern?.keyRange)
        return nil
    }
    let maxOffset = Limits.maxSequenceOffset
    let lowest = Limits.minPatternRelativeOffset
    func reportUnreachable(_ text: String) {
        let reason =
            patternValue == noPattern
            ? "without a pattern the sequence number is read at payload offset 0 to \(maxOffset), "
                + "or -1 turns tracking off"
            : "PATTERN is searched in the first \(Limits.patternSearchBytes) payload bytes, "
                + "so the sequence number must start \(lowest) to \(maxOffset) bytes from it"
        diagnostics.error(.offsetUnreachable, "OFFSET \(text) is unreachable: \(reason)", at: offset.value.range)
    }
    // An integer too large for Int is just as unreachable.
    if case .number(let number) = offset.value.kind, number.isInteger, number.integerValue == nil {
        reportUnreachable(number.text)
        return nil
    }
    guard let k = readInteger(offset, in: Int.min...Int.max, diagnostics: &diagnostics) else { return nil }
    if patternValue == noPattern {
        if k == -1 { return Settings.SequenceSource.none }
        if (0...maxOffset).contains(k) { return .fixedOffset(k) }
    } else if (lowest...maxOffset).contains(k) {
        return .pattern(patternValue, offset: k)
    }
    reportUnreachable(String(k))
    return nil
}

/// A 32-bit pattern: "0x…" hex or decimal in a string, or a JSON integer.
private func readPattern(_ member: JSONMember, diagnostics: inout DiagnosticBag) -> UInt32? {
    let text: String
    switch member.value.kind {
    case .string(let string):
        text = string.value
        if let value = parseUInt32(text) { return value }
    case .number(let number):
        text = number.text
        if let value = number.integerValue.flatMap(UInt32.init(exactly:)) { return value }
    case .invalid:
        return nil
    default:
        diagnostics.error(
            .valueType,
            "PATTERN must be a string such as \"0xE7A5C318\" or an integer, found \(member.value.typeDescription)",
            at: member.value.range)
        return nil
    }
    diagnostics.error(
        .patternInvalid, "PATTERN must be a 32-bit unsigned number, \"0x…\" hex or decimal, found \(text)",
        at: member.value.range)
    return nil
}

/// Digits only: Swift's integer parsing would also take a sign.
private func parseUInt32(_ text: String) -> UInt32? {
    if text.hasPrefix("0x") || text.hasPrefix("0X") {
        let digits = text.dropFirst(2)
        guard digits.allSatisfy(\.isHexDigit) else { return nil }
        return UInt32(digits, radix: 16)
    }
    guard let value = DecimalText.value(text.utf8, limit: Int(UInt32.max)), value <= UInt32.max else { return nil }
    return UInt32(value)
}
