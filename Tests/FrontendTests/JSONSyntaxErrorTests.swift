import Testing
import VtapDiagnostics
import VtapFrontend
import VtapTestSupport

/// Each case marks with ‸ where its one error must start.
@Suite struct JSONSyntaxErrorTests {
    static let cases: [(input: String, id: DiagnosticID)] = [
        (#"{"a": ‸}"#, .syntaxUnexpectedToken),
        (#"{"a" ‸1}"#, .syntaxUnexpectedToken),
        (#"{‸1: 2}"#, .syntaxUnexpectedToken),
        (#"{"a": ‸True}"#, .syntaxUnexpectedToken),
        (#"{"a": [1, 2‸}"#, .syntaxUnexpectedToken),
        (#"[1, ‸,2]"#, .syntaxUnexpectedToken),
        (#"{"a": 1‸ "b": 2}"#, .syntaxMissingComma),
        (#"[1‸ 2]"#, .syntaxMissingComma),
        (#"{"a": [1, 2]‸"#, .syntaxUnexpectedEnd),
        (#"{"a": ‸"abc}"#, .syntaxUnterminatedString),
        ("{\"a\": ‸\"abc\n}", .syntaxUnterminatedString),
        (#"{"a": 1} ‸/* never closed"#, .syntaxUnterminatedComment),
        (#"{"a": "x‸\q"}"#, .syntaxInvalidEscape),
        (#"{"a": "x‸\u12G4"}"#, .syntaxInvalidEscape),
        (#"{"a": "x‸\ud800y"}"#, .syntaxInvalidEscape),
        (#"{"a": "x‸\udc00"}"#, .syntaxInvalidEscape),
        ("{\"a\": \"x‸\ty\"}", .syntaxControlCharacter),
        (#"{"a": ‸01}"#, .syntaxInvalidNumber),
        (#"{"a": ‸0x1F}"#, .syntaxInvalidNumber),
        (#"{"a": ‸+1}"#, .syntaxInvalidNumber),
        (#"{"a": ‸1.}"#, .syntaxInvalidNumber),
        (#"{"a": ‸.5}"#, .syntaxInvalidNumber),
        (#"{"a": ‸1e}"#, .syntaxInvalidNumber),
        (#"{"a": ‸-}"#, .syntaxInvalidNumber),
        (#"{"a": ‸'x'}"#, .syntaxUnexpectedCharacter),
        ("{\"a\": 1, ‸# comment\n}", .syntaxUnexpectedCharacter),
        (#"{"a": 1} ‸{"b": 2}"#, .syntaxTrailingContent),
        (#"{"a": 1}‸]"#, .syntaxTrailingContent),
        ("‸", .syntaxEmptyFile),
        ("‸  // only a comment\n", .syntaxEmptyFile),
    ]

    @Test(arguments: cases)
    func reportsOneErrorAtTheMarker(_ testCase: (input: String, id: DiagnosticID)) throws {
        let input = Marked(testCase.input)
        let (_, diagnostics) = parse(input.text)
        let errors = diagnostics.filter { $0.severity == .error }
        #expect(errors.map(\.id) == [testCase.id], "\(diagnostics)")
        let error = try #require(errors.first)
        #expect(error.range?.start == input.offset)
    }

    @Test func unexpectedEndNotesWhereTheContainerStarts() throws {
        let input = Marked(#"{"a": ‸[1, 2"#)
        let (_, diagnostics) = parse(input.text)
        let error = try #require(diagnostics.first)
        #expect(error.id == .syntaxUnexpectedEnd)
        #expect(error.message == "unexpected end of file; expected ']' to close the array")
        #expect(error.notes.first?.range?.start == input.offset)
    }

    @Test func invalidEscapeRangeCoversTheEscape() throws {
        let input = Marked(#"{"a": "x‸\q‸y"}"#)
        let (_, diagnostics) = parse(input.text)
        #expect(diagnostics.first?.range == input.range)
    }

    @Test func recoversToReportSeveralErrors() throws {
        let input = Marked(
            """
            {
                "a": ‸True,
                "b": [1 ‸2],
                "c": ‸01,
                "d": "‸\\x",
                "e": 5
            }
            """)
        let (root, diagnostics) = parse(input.text)
        #expect(
            diagnostics.map(\.id) == [
                .syntaxUnexpectedToken, .syntaxMissingComma, .syntaxInvalidNumber, .syntaxInvalidEscape,
            ])
        #expect(
            diagnostics.compactMap(\.range?.start) == [
                input.offsets[0], input.offsets[1] - 1, input.offsets[2], input.offsets[3],
            ])
        // The members after the errors are still there.
        #expect(root?.members?.map(\.name) == ["a", "b", "c", "d", "e"])
        #expect(root?.members?.last?.value.number?.integerValue == 5)
    }

    @Test func capsNestingDepthWithoutRecursingFurther() throws {
        let depth = 100_000
        let text = String(repeating: "[", count: depth) + String(repeating: "]", count: depth)
        let (root, diagnostics) = parse(text)
        #expect(diagnostics.map(\.id) == [.syntaxNestingTooDeep])
        #expect(diagnostics.first?.range?.start == maxJSONNestingDepth)
        #expect(root?.elements != nil)
    }

    @Test func acceptsNestingUpToTheCap() {
        let depth = maxJSONNestingDepth
        let (_, diagnostics) = parse(String(repeating: "[", count: depth) + String(repeating: "]", count: depth))
        #expect(diagnostics.isEmpty)
    }

    @Test func unclosedDeepNestingEndsWithOneError() {
        let (_, diagnostics) = parse(String(repeating: "{\"a\":[", count: 50_000))
        #expect(diagnostics.map(\.id) == [.syntaxNestingTooDeep, .syntaxUnexpectedEnd])
    }

    @Test func reportsInvalidUTF8OutsideStrings() throws {
        let bytes = Array(#"{"a": "#.utf8) + [0xFF, 0xFE] + Array("}".utf8)
        let (_, diagnostics) = parse(bytes: bytes)
        let error = try #require(diagnostics.first)
        #expect(error.id == .syntaxInvalidUTF8)
        #expect(error.range == SourceRange(start: 6, end: 8))
        #expect(error.message == "invalid UTF-8 0xFF 0xFE")
    }

    @Test func reportsInvalidUTF8InsideStringsAndKeepsPositions() throws {
        // An overlong encoding of '/', then text after it.
        let bytes = Array(#"{"a": "x"#.utf8) + [0xC0, 0xAF] + Array(#"yz"}"#.utf8)
        let (root, diagnostics) = parse(bytes: bytes)
        #expect(diagnostics.map(\.id) == [.syntaxInvalidUTF8])
        #expect(diagnostics.first?.range == SourceRange(start: 8, end: 10))
        let string = try #require(root?.members?.first?.value.string)
        #expect(string.value == "x\u{FFFD}yz")
        // "y" follows the replacement character (3 bytes) in the value.
        #expect(string.sourceOffset(ofUTF8: 4) == 10)
    }

    @Test func anyBytesTerminateWithoutCrashing() {
        // A fixed pseudo-random sequence keeps the test reproducible.
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        let alphabet = Array(#"{}[]:,"\/*-+.0123456789eEtrufalsn x"#.utf8) + [0x0A, 0xC3, 0xA9, 0xFF, 0xE2, 0x80]
        for _ in 0..<300 {
            var bytes: [UInt8] = []
            for _ in 0..<64 {
                state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                bytes.append(alphabet[Int(state >> 33) % alphabet.count])
            }
            let (_, diagnostics) = parse(bytes: bytes)
            for diagnostic in diagnostics {
                let range = diagnostic.range ?? SourceRange(start: 0, end: 0)
                #expect(range.start >= 0 && range.end <= bytes.count, "\(diagnostic) in \(bytes)")
            }
        }
    }
}
