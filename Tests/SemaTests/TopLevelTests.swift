import Testing
import VtapDiagnostics
import VtapFrontend
import VtapRuleModel
import VtapSema
import VtapTestSupport

@Suite struct TopLevelTests {
    @Test func unknownKeyWarnsWithSuggestion() throws {
        let input = Marked(#"{"RULES": ["- - - - -"], ‸"MONITOR_SERVR": true}"#)
        let result = check(input)
        let warning = try #require(result.with(.unknownKey).first)
        #expect(result.ids == [.unknownKey])
        #expect(warning.severity == .warning)
        #expect(warning.range?.start == input.offset)
        #expect(warning.message == "unknown key 'MONITOR_SERVR' in the top-level object is ignored")
        #expect(warning.notes.map(\.message) == ["did you mean 'MONITOR_SERVER'?"])
        #expect(result.ruleset?.settings.monitorServer == false)
    }

    @Test func keysAreCaseSensitiveButSuggestedIgnoringCase() throws {
        let input = Marked(#"‸{‸"rules": ["- - - - -"]}"#)
        let result = check(input)
        #expect(result.ids == [.rulesMissing, .unknownKey])
        #expect(result.with(.rulesMissing).first?.range?.start == input.offsets[0])
        #expect(result.with(.unknownKey).first?.notes.first?.message == "did you mean 'RULES'?")
        #expect(result.ruleset == nil)
    }

    @Test func unknownKeyFarFromAnyHasNoSuggestion() throws {
        let result = check(file(rules: #""- - - - -""#, settings: #""COLOUR": 1"#))
        #expect(result.with(.unknownKey).first?.notes.isEmpty == true)
    }

    @Test func duplicateKeyIsAnErrorWithANoteAtTheFirst() throws {
        let input = Marked(#"{"RULES": ["- - - - -"], ‸"OFFSET": 4, "PATTERN": "0x1", ‸"OFFSET": 5}"#)
        let result = check(input)
        #expect(result.ids == [.keyDuplicate])
        let error = try #require(result.errors.first)
        #expect(error.range?.start == input.offsets[1])
        #expect(error.notes.first?.range?.start == input.offsets[0])
        #expect(result.ruleset == nil)
    }

    @Test func duplicatesAreFoundInLargeObjectsToo() throws {
        let input = Marked(
            #"{"RULES": ["- - - - -"], ‸"LOG_DATA": true, "A": 1, "B": 2, "C": 3, "D": 4, "E": 5, "F": 6, "G": 7, ‸"LOG_DATA": false}"#
        )
        let result = check(input)
        #expect(result.with(.unknownKey).count == 7)
        let error = try #require(result.with(.keyDuplicate).first)
        #expect(error.range?.start == input.offsets[1])
        #expect(error.notes.first?.range?.start == input.offsets[0])
        #expect(result.errors.count == 1)
    }

    @Test func duplicateRulesKeyIsReported() {
        let result = check(#"{"RULES": ["- - - - -"], "RULES": ["- - - - TCP"]}"#)
        #expect(result.ids == [.keyDuplicate])
    }

    @Test func emptyRulesIsAnError() {
        let input = Marked(#"{"RULES": ‸[]}"#)
        let result = check(input)
        #expect(result.ids == [.rulesEmpty])
        #expect(result.errors.first?.range?.start == input.offset)
    }

    @Test(arguments: [#"{"RULES": ‸"- - - - -"}"#, #"{"RULES": ‸{}}"#, #"‸["- - - - -"]"#, #"{"RULES": [‸42]}"#])
    func wrongTypesAreReportedAtTheValue(_ text: String) {
        let input = Marked(text)
        let result = check(input)
        #expect(result.ids == [.valueType], "\(result.diagnostics.map(\.message))")
        #expect(result.errors.first?.range?.start == input.offset)
    }

    @Test func defaultsApplyWhenSettingsAreAbsent() throws {
        let settings = try #require(check(file(rules: #""- - - - -""#)).ruleset?.settings)
        #expect(settings == Settings())
        #expect(settings.sequence == .none && settings.sequenceThreshold == 2 && settings.direction == .ingress)
        #expect(settings.flowTableSize == 65536 && !settings.monitorServer && !settings.logData)
    }

    @Test func readsEverySetting() throws {
        let text = file(
            rules: #""- - - - -""#,
            settings: #""DISPLAY": {"Throughput": false, "Goodput": "TRUE", "Jitter": "false", "SEQ_ERRORS": true}, "#
                + #""SEQUENCE_THRESHOLD": 7, "MONITOR_SERVER": "true", "LOG_DATA": true, "#
                + #""DIRECTION": "Both", "FLOW_TABLE_SIZE": 1024, "PATTERN": "0xE7A5C318", "OFFSET": 4"#)
        let result = check(text)
        #expect(result.diagnostics.isEmpty, "\(result.diagnostics.map(\.message))")
        let settings = try #require(result.ruleset?.settings)
        #expect(
            settings.display == Settings.Display(throughput: false, goodput: true, jitter: false, sequenceErrors: true))
        #expect(settings.sequenceThreshold == 7)
        #expect(settings.monitorServer && settings.logData)
        #expect(settings.direction == .both)
        #expect(settings.flowTableSize == 1024)
        #expect(settings.sequence == .pattern(0xE7A5_C318, offset: 4))
    }

    @Test(arguments: [("in", Settings.Direction.ingress), ("OUT", .egress), ("both", .both)])
    func readsDirections(_ text: String, _ direction: Settings.Direction) {
        #expect(
            check(file(rules: #""- - - - -""#, settings: #""DIRECTION": "\#(text)""#)).ruleset?.settings.direction
                == direction)
    }

    @Test func unknownDirectionSuggestsTheName() throws {
        let diagnostic = expectOnly(.directionInvalid, in: #""- - - - -""#, settings: #""DIRECTION": ‸"ingress""#)
        #expect(diagnostic?.notes.first?.message == #"did you mean "in"?"#)
    }

    static let valueCases: [(settings: String, id: DiagnosticID)] = [
        (#""MONITOR_SERVER": ‸"yes""#, .boolInvalid),
        (#""LOG_DATA": ‸1"#, .valueType),
        (#""DISPLAY": ‸true"#, .valueType),
        (#""DISPLAY": {"Jitter": ‸"maybe"}"#, .boolInvalid),
        (#""DISPLAY": {‸"jitter": true}"#, .unknownKey),
        (#""DISPLAY": {"Jitter": true, ‸"Jitter": false}"#, .keyDuplicate),
        (#""DIRECTION": ‸5"#, .valueType),
        (#""FLOW_TABLE_SIZE": ‸0"#, .valueOutOfRange),
        (#""FLOW_TABLE_SIZE": ‸16777217"#, .valueOutOfRange),
        (#""FLOW_TABLE_SIZE": ‸1.5"#, .valueType),
        (#""FLOW_TABLE_SIZE": ‸"1024""#, .valueType),
        (#""SEQUENCE_THRESHOLD": ‸-1"#, .valueOutOfRange),
        (#""SEQUENCE_THRESHOLD": ‸2147483648"#, .valueOutOfRange),
        (#""SEQUENCE_THRESHOLD": ‸99999999999999999999"#, .valueOutOfRange),
        (#""SEQUENCE_THRESHOLD": ‸null"#, .valueType),
    ]

    @Test(arguments: valueCases)
    func reportsBadSettingValues(_ testCase: (settings: String, id: DiagnosticID)) {
        _ = expectOnly(testCase.id, in: #""- - - - -""#, settings: testCase.settings)
    }

    @Test func integerInQuotesGetsAHint() {
        let diagnostic = expectOnly(.valueType, in: #""- - - - -""#, settings: #""FLOW_TABLE_SIZE": ‸"1024""#)
        #expect(diagnostic?.message == "FLOW_TABLE_SIZE must be a number, found a string; write 1024 without quotes")
    }

    @Test func reportsProblemsOfTheWholeFileAtOnce() {
        let result = check(
            #"{"RULES": ["1.2.3 - - - -", "- - 70000 - -", "- - - - TPC"], "LOG_DATA": "maybe", "OFFSET": 99999999}"#)
        #expect(
            result.ids == [.addressInvalid, .portOutOfRange, .protocolUnknown, .boolInvalid, .offsetUnreachable])
        #expect(result.ruleset == nil)
    }

    @Test func diagnosticsAreSortedByPosition() {
        let result = check(#"{"LOG_DATA": 3, "RULES": ["- - - - TPC"], "DIRECTION": "up"}"#)
        let starts = result.diagnostics.compactMap(\.range?.start)
        #expect(starts == starts.sorted())
        #expect(starts.count == 3)
    }
}
