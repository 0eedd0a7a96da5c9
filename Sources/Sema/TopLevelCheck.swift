import VtapDiagnostics
import VtapFrontend

enum TopLevelKey {
    static let rules = "RULES"
    static let all = [
        rules, SettingKey.display, SettingKey.pattern, SettingKey.offset, SettingKey.sequenceThreshold,
        SettingKey.monitorServer, SettingKey.logData, SettingKey.direction, SettingKey.flowTableSize,
        SettingKey.events, SettingKey.kpis,
    ]
}

/// The file is an object whose keys are known, given once, and include a
/// non-empty RULES array. Returns the first occurrence of each known key.
func checkTopLevel(_ syntax: RulesFileSyntax, diagnostics: inout DiagnosticBag) -> [String: JSONMember] {
    guard let root = syntax.root else { return [:] }
    guard case .object = root.kind else {
        if !root.isInvalid {
            diagnostics.error(
                .valueType, "the file must be an object with a RULES array, found \(root.typeDescription)",
                at: root.range)
        }
        return [:]
    }
    let keys = checkedKeys(
        syntax.members, known: TopLevelKey.all, in: "the top-level object", diagnostics: &diagnostics)
    guard let rules = keys[TopLevelKey.rules] else {
        diagnostics.error(
            .rulesMissing, "missing RULES: the file must list its rules in a RULES array",
            at: SourceRange(at: root.range.start))
        return keys
    }
    switch rules.value.kind {
    case .array(let elements) where elements.isEmpty:
        diagnostics.error(
            .rulesEmpty, "RULES is empty; add a rule, e.g. \"- - - - -\" for all traffic", at: rules.value.range)
    case .array, .invalid:
        break
    default:
        diagnostics.error(
            .valueType, "RULES must be an array of rules, found \(rules.value.typeDescription)",
            at: rules.value.range)
    }
    return keys
}
