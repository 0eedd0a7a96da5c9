import VtapDiagnostics
import VtapFrontend
import VtapRuleModel

/// The keys of the EVENTS object, in the order docs/rules.md lists them.
enum EventsKey {
    static let levels = "LEVELS"
    static let qlog = "QLOG"
    static let latency = "LATENCY"
    static let ringBufferSize = "RING_BUFFER_SIZE"
    static let maxEventsPerSecond = "MAX_EVENTS_PER_SECOND"
    static let all = [levels, qlog, latency, ringBufferSize, maxEventsPerSecond]
}

/// The EVENTS object: every key checked, defaults for the rest. An object
/// asking for nothing (no level, no qlog, no latency) is a warning: it
/// would compile in a ring buffer that never fills (unless it already
/// has errors, which say more).
func checkEvents(_ member: JSONMember, diagnostics: inout DiagnosticBag) -> Settings.Events? {
    guard let members = readObject(member, diagnostics: &diagnostics) else { return nil }
    let errorsBefore = diagnostics.all.filter { $0.severity == .error }.count
    let keys = checkedKeys(members, known: EventsKey.all, in: "EVENTS", diagnostics: &diagnostics)
    var events = Settings.Events()
    if let levels = keys[EventsKey.levels] { events.levels = readLevels(levels, diagnostics: &diagnostics) }
    if let qlog = keys[EventsKey.qlog], let value = readBool(qlog, diagnostics: &diagnostics) {
        events.qlog = value
    }
    if let latency = keys[EventsKey.latency], let value = readBool(latency, diagnostics: &diagnostics) {
        events.latency = value
    }
    if let size = keys[EventsKey.ringBufferSize],
        let value = readInteger(size, in: Limits.eventRingBytes, diagnostics: &diagnostics)
    {
        if value & (value - 1) != 0 {
            let below = 1 << (Int.bitWidth - 1 - value.leadingZeroBitCount)
            diagnostics.error(
                .valueOutOfRange, "RING_BUFFER_SIZE must be a power of two, found \(value)",
                at: size.value.range, notes: [.init("did you mean \(below * 2) or \(below)?")])
        } else {
            events.ringBufferBytes = value
        }
    }
    if let cap = keys[EventsKey.maxEventsPerSecond],
        let value = readInteger(cap, in: 0...Limits.maxEventsPerSecond, diagnostics: &diagnostics)
    {
        events.maxEventsPerSecond = value
    }
    let reportedErrors = diagnostics.all.filter { $0.severity == .error }.count > errorsBefore
    if events.levels.isEmpty && !events.qlog && !events.latency && !reportedErrors {
        diagnostics.add(
            Diagnostic(
                .warning, .eventsEmpty,
                "EVENTS asks for no LEVELS, QLOG or LATENCY: no event is logged and no event program is compiled",
                at: member.keyRange))
        return nil
    }
    return events
}

private func readLevels(_ member: JSONMember, diagnostics: inout DiagnosticBag) -> [Settings.Events.Level] {
    readNames(member, noun: "level", unknown: .eventLevelInvalid, diagnostics: &diagnostics)
}
