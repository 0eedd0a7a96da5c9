import Testing
import VtapDiagnostics
import VtapFrontend
import VtapTestSupport

@Suite struct JSONParserTests {
    @Test func parsesEveryKindOfValue() throws {
        let (root, diagnostics) = parse(
            #"{"s": "x", "n": -1.5e3, "i": 42, "t": true, "f": false, "z": null, "a": [1, {}], "o": {"k": []}}"#)
        #expect(diagnostics.isEmpty)
        let members = try #require(root?.members)
        #expect(members.map(\.name) == ["s", "n", "i", "t", "f", "z", "a", "o"])
        #expect(members[0].value.string?.value == "x")
        #expect(members[1].value.number == JSONNumber(text: "-1.5e3", isInteger: false))
        #expect(members[2].value.number?.integerValue == 42)
        if case .bool(true) = members[3].value.kind {} else { Issue.record("expected true") }
        if case .bool(false) = members[4].value.kind {} else { Issue.record("expected false") }
        if case .null = members[5].value.kind {} else { Issue.record("expected null") }
        #expect(members[6].value.elements?.count == 2)
        #expect(members[7].value.members?.first?.value.elements?.isEmpty == true)
    }

    @Test func acceptsCommentsAndTrailingCommas() throws {
        let text = """
            // leading comment
            {
                /* block
                   comment */ "a": [1, 2, /* inline */ 3,], // trailing
                "b": {"c": 1,},
            }
            // done
            """
        let (root, diagnostics) = parse(text)
        #expect(diagnostics.isEmpty)
        let members = try #require(root?.members)
        #expect(members.map(\.name) == ["a", "b"])
        #expect(members[0].value.elements?.compactMap(\.number?.integerValue) == [1, 2, 3])
    }

    @Test func keepsDuplicateKeysInSourceOrder() throws {
        let (root, diagnostics) = parse(#"{"k": 1, "j": 2, "k": 3}"#)
        #expect(diagnostics.isEmpty)
        let members = try #require(root?.members)
        #expect(members.map(\.name) == ["k", "j", "k"])
        #expect(members.map { $0.value.number?.integerValue } == [1, 2, 3])
    }

    @Test func recordsExactRangesOfKeysAndValues() throws {
        let input = Marked(#"{ ‸"key"‸ : ‸[ 1 , "v" ]‸ }"#)
        let (root, _) = parse(input.text)
        let member = try #require(root?.members?.first)
        #expect(member.keyRange == SourceRange(start: input.offsets[0], end: input.offsets[1]))
        #expect(member.value.range == SourceRange(start: input.offsets[2], end: input.offsets[3]))
        #expect(root?.range == SourceRange(start: 0, end: input.text.utf8.count))
        let number = try #require(member.value.elements?.first)
        #expect(slice(input.text, number.range) == "1")
    }

    @Test func skipsAByteOrderMark() throws {
        let (root, diagnostics) = parse(bytes: [0xEF, 0xBB, 0xBF] + Array(#"{"a": 1}"#.utf8))
        #expect(diagnostics.isEmpty)
        #expect(root?.members?.first?.name == "a")
        #expect(root?.range.start == 3)
    }

    @Test(arguments: ["0", "-0", "12", "-3.25", "1e9", "2E-3", "6.02e+23"])
    func acceptsValidNumbers(_ text: String) throws {
        let (root, diagnostics) = parse(text)
        #expect(diagnostics.isEmpty)
        #expect(root?.number?.text == text)
    }

    @Test func integersBeyondIntHaveNoIntegerValue() {
        let (root, _) = parse("123456789012345678901234567890")
        #expect(root?.number?.isInteger == true)
        #expect(root?.number?.integerValue == nil)
    }
}
