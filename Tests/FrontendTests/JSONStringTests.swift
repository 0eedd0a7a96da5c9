import Testing
import VtapDiagnostics
import VtapFrontend
import VtapTestSupport

@Suite struct JSONStringTests {
    private func string(_ literal: String) throws -> JSONString {
        let (root, diagnostics) = parse(literal)
        #expect(diagnostics.isEmpty, "\(diagnostics)")
        return try #require(root?.string)
    }

    @Test func decodesEveryEscape() throws {
        let s = try string(#""q\" b\\ s\/ \b\f\n\r\t u\u00e9 pair\ud83d\ude00""#)
        #expect(s.value == "q\" b\\ s/ \u{08}\u{0C}\n\r\t u\u{E9} pair\u{1F600}")
    }

    @Test func keepsNonASCIITextVerbatim() throws {
        #expect(try string(#""grüße 🚀""#).value == "grüße 🚀")
    }

    @Test func mapsDecodedOffsetsBackThroughEscapes() throws {
        // Decoded: "a\tb" then U+00E9 (2 bytes) then "c".
        let literal = #""a\tb\u00e9c""#
        let s = try string(literal)
        #expect(Array(s.value.utf8).count == 6)
        #expect(s.sourceOffset(ofUTF8: 0) == 1)  // a
        #expect(s.sourceOffset(ofUTF8: 1) == 2)  // \t starts at the backslash
        #expect(s.sourceOffset(ofUTF8: 2) == 4)  // b
        #expect(s.sourceOffset(ofUTF8: 3) == 5)  // first byte of é: the escape
        #expect(s.sourceOffset(ofUTF8: 4) == 5)  // second byte of é: the same escape
        #expect(s.sourceOffset(ofUTF8: 5) == 11)  // c
        #expect(s.sourceOffset(ofUTF8: 6) == 12)  // end: the closing quote
        #expect(slice(literal, s.sourceRange(ofUTF8: 2..<5)) == #"b\u00e9"#)
        #expect(slice(literal, s.sourceRange(ofUTF8: 1..<2)) == #"\t"#)
        #expect(s.range == SourceRange(start: 0, end: literal.utf8.count))
        #expect(s.contentRange == SourceRange(start: 1, end: literal.utf8.count - 1))
    }

    @Test func mapsOffsetsInsideMultiByteText() throws {
        let literal = #""ü\n1.2.3.4""#
        let s = try string(literal)
        let start = try #require(Array(s.value.utf8).firstIndex(of: UInt8(ascii: "1")))
        #expect(slice(literal, s.sourceRange(ofUTF8: start..<(start + 7))) == "1.2.3.4")
    }
}
