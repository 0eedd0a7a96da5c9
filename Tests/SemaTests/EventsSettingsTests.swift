import Testing
import VtapDiagnostics
import VtapRuleModel
import VtapSema
import VtapTestSupport

@Suite struct EventsSettingsTests {
    private func events(_ settings: String, sourceLocation: Testing.SourceLocation = #_sourceLocation)
        -> Settings.Events?
    {
        let result = check(file(rules: #""- - - - -""#, settings: settings))
        #expect(result.errors.isEmpty, "\(result.diagnostics.map(\.message))", sourceLocation: sourceLocation)
        return result.ruleset?.settings.events
    }

    @Test func noSectionMeansNoEvents() {
        #expect(events("") == nil)
    }

    @Test func levelsAreSortedOnceInAnyCase() {
        let parsed = events(#""EVENTS": {"LEVELS": ["IP", "Connection", "socket", "SOCKET", "protocol"]}"#)
        #expect(parsed?.levels == [.socket, .connection, .protocol, .ip])
        #expect(parsed?.ringBufferBytes == Limits.defaultEventRingBytes)
        #expect(parsed?.maxEventsPerSecond == Limits.defaultMaxEventsPerSecond)
    }

    @Test func limitsAreRead() {
        let parsed = events(
            #""EVENTS": {"LEVELS": ["socket"], "RING_BUFFER_SIZE": 4096, "MAX_EVENTS_PER_SECOND": 0, "QLOG": "False"}"#)
        #expect(parsed == Settings.Events(levels: [.socket], ringBufferBytes: 4096, maxEventsPerSecond: 0))
    }

    @Test func latencyAloneIsARequest() {
        #expect(events(#""EVENTS": {"LATENCY": true}"#) == Settings.Events(latency: true))
    }

    @Test func qlogAloneIsARequest() {
        #expect(events(#""EVENTS": {"QLOG": true}"#) == Settings.Events(qlog: true))
        #expect(events(#""EVENTS": {"QLOG": "True", "LEVELS": ["ip"]}"#) == Settings.Events(levels: [.ip], qlog: true))
    }

    static let errorCases: [(settings: String, id: DiagnosticID)] = [
        (#""EVENTS": ‸[]"#, .valueType),
        (#""EVENTS": {"LEVELS": ‸"socket"}"#, .valueType),
        (#""EVENTS": {"LEVELS": [‸"sockets"]}"#, .eventLevelInvalid),
        (#""EVENTS": {"LEVELS": [‸7]}"#, .valueType),
        (#""EVENTS": {"LEVELS": ["socket"], "RING_BUFFER_SIZE": ‸5000}"#, .valueOutOfRange),
        (#""EVENTS": {"LEVELS": ["socket"], "RING_BUFFER_SIZE": ‸1024}"#, .valueOutOfRange),
        (#""EVENTS": {"LEVELS": ["socket"], "MAX_EVENTS_PER_SECOND": ‸-1}"#, .valueOutOfRange),
        (#""EVENTS": {"LEVELS": ["socket"], "QLOG": ‸"maybe"}"#, .boolInvalid),
    ]

    @Test(arguments: errorCases) func errorsPointAtTheValue(_ settings: String, _ id: DiagnosticID) {
        _ = expectOnly(id, in: #""- - - - -""#, settings: settings)
    }

    @Test func aPowerOfTwoIsSuggested() throws {
        let diagnostic = expectOnly(
            .valueOutOfRange, in: #""- - - - -""#,
            settings: #""EVENTS": {"LEVELS": ["socket"], "RING_BUFFER_SIZE": ‸5000}"#)
        #expect(diagnostic?.notes.first?.message == "did you mean 8192 or 4096?")
    }

    @Test func aLevelNameIsSuggested() {
        let diagnostic = expectOnly(
            .eventLevelInvalid, in: #""- - - - -""#, settings: #""EVENTS": {"LEVELS": [‸"conection"]}"#)
        #expect(diagnostic?.notes.first?.message == "did you mean \"connection\"?")
    }

    @Test func anUnknownKeyInsideIsAWarning() {
        _ = expectOnly(.unknownKey, in: #""- - - - -""#, settings: #""EVENTS": {"LEVELS": ["socket"], ‸"LEVEL": 1}"#)
    }

    @Test func askingForNothingIsAWarningAndNoEvents() {
        _ = expectOnly(.eventsEmpty, in: #""- - - - -""#, settings: #"‸"EVENTS": {"QLOG": false}"#)
        let result = check(file(rules: #""- - - - -""#, settings: #""EVENTS": {}"#))
        #expect(result.ruleset?.settings.events == nil)
    }
}
