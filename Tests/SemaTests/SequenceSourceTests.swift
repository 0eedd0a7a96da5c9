import Testing
import VtapDiagnostics
import VtapRuleModel
import VtapSema
import VtapTestSupport

@Suite struct SequenceSourceTests {
    private func sequence(_ settings: String, sourceLocation: Testing.SourceLocation = #_sourceLocation) -> Settings
        .SequenceSource?
    {
        let result = check(file(rules: #""- - - - -""#, settings: settings))
        #expect(result.errors.isEmpty, "\(result.diagnostics.map(\.message))", sourceLocation: sourceLocation)
        return result.ruleset?.settings.sequence
    }

    @Test func resolvesPatternAndOffset() {
        #expect(sequence("") == Settings.SequenceSource.none)
        #expect(sequence(#""PATTERN": "0xE7A5C318", "OFFSET": 4"#) == .pattern(0xE7A5_C318, offset: 4))
        #expect(sequence(#""PATTERN": "0Xe7a5c318", "OFFSET": -8"#) == .pattern(0xE7A5_C318, offset: -8))
        #expect(sequence(#""PATTERN": "12345", "OFFSET": 0"#) == .pattern(12345, offset: 0))
        #expect(sequence(#""PATTERN": 305419896, "OFFSET": 2"#) == .pattern(0x1234_5678, offset: 2))
        #expect(sequence(#""PATTERN": "0", "OFFSET": 2"#) == .pattern(0, offset: 2))
    }

    /// A bad PATTERN and a bad OFFSET are both reported (OFFSET's went
    /// unreported while PATTERN was wrong).
    @Test func aBadPatternDoesNotHideABadOffset() {
        let result = check(file(rules: #""- - - - -""#, settings: #""PATTERN": "0xZZ", "OFFSET": "4""#))
        #expect(result.errors.map(\.id) == [.patternInvalid, .valueType], "\(result.diagnostics.map(\.message))")
    }

    @Test func allOnesPatternMeansAFixedOffsetOrNothing() {
        #expect(sequence(#""PATTERN": "0xFFFFFFFF", "OFFSET": -1"#) == Settings.SequenceSource.none)
        #expect(sequence(#""PATTERN": "0xFFFFFFFF", "OFFSET": 0"#) == .fixedOffset(0))
        #expect(sequence(#""PATTERN": 4294967295, "OFFSET": 12"#) == .fixedOffset(12))
        #expect(
            sequence(#""PATTERN": "0xFFFFFFFF", "OFFSET": \#(Limits.maxSequenceOffset)"#)
                == .fixedOffset(Limits.maxSequenceOffset))
    }

    @Test func offsetWithoutPatternIsAFixedOffset() {
        #expect(sequence(#""OFFSET": 8"#) == .fixedOffset(8))
        #expect(sequence(#""OFFSET": -1"#) == Settings.SequenceSource.none)
    }

    @Test func patternOffsetBoundsAreInclusive() {
        let low = Limits.minPatternRelativeOffset
        let high = Limits.maxSequenceOffset
        #expect(sequence(#""PATTERN": "0x1", "OFFSET": \#(low)"#) == .pattern(1, offset: low))
        #expect(sequence(#""PATTERN": "0x1", "OFFSET": \#(high)"#) == .pattern(1, offset: high))
    }

    static let errorCases: [(settings: String, id: DiagnosticID)] = [
        (#"‸"PATTERN": "0x1""#, .patternWithoutOffset),
        (#""PATTERN": ‸"0x1FFFFFFFF", "OFFSET": 0"#, .patternInvalid),
        (#""PATTERN": ‸"-1", "OFFSET": 0"#, .patternInvalid),
        (#""PATTERN": ‸"+5", "OFFSET": 0"#, .patternInvalid),
        (#""PATTERN": ‸"0x", "OFFSET": 0"#, .patternInvalid),
        (#""PATTERN": ‸"0x+5", "OFFSET": 0"#, .patternInvalid),
        (#""PATTERN": ‸"E7A5C318", "OFFSET": 0"#, .patternInvalid),
        (#""PATTERN": ‸4294967296, "OFFSET": 0"#, .patternInvalid),
        (#""PATTERN": ‸-3, "OFFSET": 0"#, .patternInvalid),
        (#""PATTERN": ‸true, "OFFSET": 0"#, .valueType),
        (#""PATTERN": "0x1", "OFFSET": ‸2.5"#, .valueType),
        (#""PATTERN": "0xFFFFFFFF", "OFFSET": ‸-2"#, .offsetUnreachable),
        (#""OFFSET": ‸65504"#, .offsetUnreachable),
        (#""OFFSET": ‸99999999999999999999"#, .offsetUnreachable),
        (#""PATTERN": "0x1", "OFFSET": ‸-4997"#, .offsetUnreachable),
        (#""PATTERN": "0x1", "OFFSET": ‸65504"#, .offsetUnreachable),
    ]

    @Test(arguments: errorCases)
    func reportsBadSequenceSettings(_ testCase: (settings: String, id: DiagnosticID)) {
        _ = expectOnly(testCase.id, in: #""- - - - -""#, settings: testCase.settings)
    }

    @Test func unreachableOffsetExplainsTheRange() {
        let diagnostic = expectOnly(
            .offsetUnreachable, in: #""- - - - -""#, settings: #""PATTERN": "0x1", "OFFSET": ‸-5000"#)
        #expect(
            diagnostic?.message
                == "OFFSET -5000 is unreachable: PATTERN is searched in the first 5000 payload bytes, so the sequence number must start -4996 to 65503 bytes from it"
        )
    }

    @Test func thresholdWithoutSequenceTrackingIsANote() throws {
        let diagnostic = expectOnly(.thresholdTCPOnly, in: #""- - - - -""#, settings: #"‸"SEQUENCE_THRESHOLD": 5"#)
        #expect(diagnostic?.severity == .note)
        #expect(
            check(file(rules: #""- - - - -""#, settings: #""SEQUENCE_THRESHOLD": 5"#)).ruleset?.settings
                .sequenceThreshold == 5)
    }

    @Test func thresholdWithSequenceTrackingIsQuiet() {
        #expect(
            check(file(rules: #""- - - - -""#, settings: #""SEQUENCE_THRESHOLD": 5, "OFFSET": 0"#)).diagnostics.isEmpty)
    }
}
