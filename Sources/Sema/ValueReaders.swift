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

/// An array of names from `Name`'s cases (any case, duplicates ignored),
/// sorted: a name that is none of them is an error with `unknown`, a
/// note suggesting the closest. Messages name the setting by its key.
func readNames<Name: RawRepresentable<String> & CaseIterable & Comparable & Hashable>(
    _ member: JSONMember, noun: String, unknown: DiagnosticID, diagnostics: inout DiagnosticBag
) -> [Name] {
    let names = Name.allCases.map(\.rawValue)
    guard case .array(let elements) = member.value.kind else {
        if !member.value.isInvalid {
            diagnostics.error(
                .valueType,
                "\(member.name) must be an array of \(noun) names (\(names.joined(separator: ", "))), "
                    + "found \(member.value.typeDescription)",
                at: member.value.range)
        }
        return []
    }
    var chosen = Set<Name>()
    for element in elements {
        guard case .string(let string) = element.kind else {
            if !element.isInvalid {
                diagnostics.error(
                    .valueType, "a \(noun) must be a string, found \(element.typeDescription)", at: element.range)
            }
            continue
        }
        guard let name = Name(rawValue: string.value.lowercased()) else {
            let suggestion = NameSuggestion.closest(to: string.value.lowercased(), among: names)
            diagnostics.error(
                unknown, "unknown \(noun) \"\(string.value)\"; \(noun)s are \(names.joined(separator: ", "))",
                at: element.range, notes: suggestion.map { [.init("did you mean \"\($0)\"?")] } ?? [])
            continue
        }
        chosen.insert(name)
    }
    return chosen.sorted()
}
