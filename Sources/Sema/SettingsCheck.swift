import VtapDiagnostics
import VtapFrontend
import VtapRuleModel

/// The top-level keys besides RULES, in the order docs/rules.md lists them.
enum SettingKey {
    static let display = "DISPLAY"
    static let pattern = "PATTERN"
    static let offset = "OFFSET"
    static let sequenceThreshold = "SEQUENCE_THRESHOLD"
    static let monitorServer = "MONITOR_SERVER"
    static let logData = "LOG_DATA"
    static let direction = "DIRECTION"
    static let flowTableSize = "FLOW_TABLE_SIZE"
    static let events = "EVENTS"
    static let kpis = "KPIS"
}

/// Checks every setting present and fills in defaults for the rest.
func checkSettings(_ keys: [String: JSONMember], diagnostics: inout DiagnosticBag) -> Settings {
    var settings = Settings()
    if let member = keys[SettingKey.display] {
        settings.display = checkDisplay(member, diagnostics: &diagnostics)
    }
    if let member = keys[SettingKey.monitorServer], let value = readBool(member, diagnostics: &diagnostics) {
        settings.monitorServer = value
    }
    if let member = keys[SettingKey.logData], let value = readBool(member, diagnostics: &diagnostics) {
        settings.logData = value
    }
    if let member = keys[SettingKey.direction], let value = readDirection(member, diagnostics: &diagnostics) {
        settings.direction = value
    }
    if let member = keys[SettingKey.flowTableSize],
        let value = readInteger(member, in: 1...Limits.maxFlowTableSize, diagnostics: &diagnostics)
    {
        settings.flowTableSize = value
    }
    if let member = keys[SettingKey.events] { settings.events = checkEvents(member, diagnostics: &diagnostics) }
    if let member = keys[SettingKey.kpis] { settings.kpis = checkKPIs(member, diagnostics: &diagnostics) }
    var threshold: JSONMember?
    if let member = keys[SettingKey.sequenceThreshold],
        let value = readInteger(member, in: 0...Int(Int32.max), diagnostics: &diagnostics)
    {
        settings.sequenceThreshold = UInt32(value)
        threshold = member
    }
    if let sequence = checkSequence(
        pattern: keys[SettingKey.pattern], offset: keys[SettingKey.offset], diagnostics: &diagnostics)
    {
        settings.sequence = sequence
        if sequence == .none, let threshold {
            // Not a warning: TCP still uses the threshold.
            diagnostics.add(
                Diagnostic(
                    .note, .thresholdTCPOnly,
                    "SEQUENCE_THRESHOLD applies to TCP only: without PATTERN and OFFSET, "
                        + "UDP and ICMP sequence numbers are not tracked",
                    at: threshold.keyRange))
        }
    }
    return settings
}

private enum DisplayKey {
    static let throughput = "Throughput"
    static let goodput = "Goodput"
    static let jitter = "Jitter"
    static let sequenceErrors = "SEQ_ERRORS"
    static let all = [throughput, goodput, jitter, sequenceErrors]
}

private func checkDisplay(_ member: JSONMember, diagnostics: inout DiagnosticBag) -> Settings.Display {
    var display = Settings.Display()
    guard let members = readObject(member, diagnostics: &diagnostics) else { return display }
    let keys = checkedKeys(members, known: DisplayKey.all, in: "DISPLAY", diagnostics: &diagnostics)
    func flag(_ key: String) -> Bool? { keys[key].flatMap { readBool($0, diagnostics: &diagnostics) } }
    if let value = flag(DisplayKey.throughput) { display.throughput = value }
    if let value = flag(DisplayKey.goodput) { display.goodput = value }
    if let value = flag(DisplayKey.jitter) { display.jitter = value }
    if let value = flag(DisplayKey.sequenceErrors) { display.sequenceErrors = value }
    return display
}

private func readDirection(_ member: JSONMember, diagnostics: inout DiagnosticBag) -> Settings.Direction? {
    guard case .string(let string) = member.value.kind else {
        if !member.value.isInvalid {
            diagnostics.error(
                .valueType, "DIRECTION must be \"in\", \"out\" or \"both\", found \(member.value.typeDescription)",
                at: member.value.range)
        }
        return nil
    }
    if let direction = Settings.Direction(rawValue: string.value.lowercased()) { return direction }
    let names = Settings.Direction.allCases.map(\.rawValue)
    let aliases = ["ingress": "in", "egress": "out", "inout": "both", "input": "in", "output": "out"]
    let suggestion = aliases[string.value.lowercased()] ?? NameSuggestion.closest(to: string.value, among: names)
    diagnostics.error(
        .directionInvalid, "DIRECTION must be \"in\", \"out\" or \"both\", found \"\(string.value)\"",
        at: member.value.range, notes: suggestion.map { [.init("did you mean \"\($0)\"?")] } ?? [])
    return nil
}
