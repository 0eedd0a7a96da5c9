import VtapDiagnostics
import VtapFrontend

// Readers for setting values. Each reports what is wrong at the value and
// returns `nil`; an `.invalid` node was reported by the parser already.

/// `true`/`false`, or the seed's strings "True"/"False" in any case.
func readBool(_ member: JSONMember, diagnostics: inout DiagnosticBag) -> Bool? {
    switch member.value.kind {
    case .bool(let value):
        return value
    case .string(let string):
        switch string.value.lowercased() {
        case "true": return true
        case "false": return false
        default:
            diagnostics.error(
                .boolInvalid, "\(member.name) must be true or false, found \"\(string.value)\"",
                at: member.value.range)
            return nil
        }
    case .invalid:
        return nil
    default:
        diagnostics.error(
            .valueType, "\(member.name) must be true or false, found \(member.value.typeDescription)",
            at: member.value.range)
        return nil
    }
}

/// The members of a setting that must be an object (DISPLAY, EVENTS, KPIS).
func readObject(_ member: JSONMember, diagnostics: inout DiagnosticBag) -> [JSONMember]? {
    guard case .object(let members) = member.value.kind else {
        if !member.value.isInvalid {
            diagnostics.error(
                .valueType, "\(member.name) must be an object, found \(member.value.typeDescription)",
                at: member.value.range)
        }
        return nil
    }
    return members
}

/// A JSON integer within `bounds`.
func readInteger(_ member: JSONMember, in bounds: ClosedRange<Int>, diagnostics: inout DiagnosticBag) -> Int? {
    switch member.value.kind {
    case .number(let number):
        guard number.isInteger else {
            diagnostics.error(
                .valueType, "\(member.name) must be an integer, found \(number.text)", at: member.value.range)
            return nil
        }
        guard let value = number.integerValue, bounds.contains(value) else {
            diagnostics.error(
                .valueOutOfRange,
                "\(member.name) must be from \(bounds.lowerBound) to \(bounds.upperBound), found \(number.text)",
                at: member.value.range)
            return nil
        }
        return value
    case .invalid:
        return nil
    case .string(let string) where Int(string.value) != nil:
        diagnostics.error(
            .valueType, "\(member.name) must be a number, found a string; write \(string.value) without quotes",
            at: member.value.range)
        return nil
    default:
        diagnostics.error(
            .valueType, "\(member.name) must be an integer, found \(member.value.typeDescription)",
            at: member.value.range)
        return nil
    }
}
