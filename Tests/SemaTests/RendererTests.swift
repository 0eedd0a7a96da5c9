import Testing
import VtapDiagnostics
import VtapSema

/// A few exact renderings; everything else asserts structure.
@Suite struct RendererTests {
    private func render(_ text: String) -> String {
        let file = SourceFile(path: "rules.json", text: text)
        return DiagnosticRenderer().render(checkRules(file).diagnostics, in: file)
    }

    @Test func rendersAnAddressErrorWithCaretUnderTheItem() {
        let text = """
            {
                "RULES": ["1.2.3 - - - -"]
            }
            """
        #expect(
            render(text) == """
                rules.json:2:16: error: '1.2.3' is not a valid address: an IPv4 address has 4 parts, found 3 [address-invalid]
                        "RULES": ["1.2.3 - - - -"]
                                   ^~~~~
                """)
    }

    @Test func rendersANoteAtTheFirstKey() {
        let text = """
            {"RULES": ["- - - - -"],
             "LOG_DATA": true,
             "LOG_DATA": false}
            """
        #expect(
            render(text) == """
                rules.json:3:2: error: duplicate key 'LOG_DATA' in the top-level object; each key may appear once [key-duplicate]
                     "LOG_DATA": false}
                     ^~~~~~~~~~
                rules.json:2:2: note: 'LOG_DATA' is first given here
                     "LOG_DATA": true,
                     ^~~~~~~~~~
                """)
    }

    @Test func columnsCountCharactersNotBytes() {
        let text = #"{"RULES": [{"name": "café", "dport": "http"}]}"#
        #expect(
            render(text) == """
                rules.json:1:39: error: 'http' is not a port or a port range such as 80 or 8000-8080 [port-invalid]
                    {"RULES": [{"name": "café", "dport": "http"}]}
                                                          ^~~~
                """)
    }
}

/// Machine-generated rules files are often one line of megabytes with
/// thousands of diagnostics: each shows a window of its line, and the
/// count shown is capped with a line per id for the rest.
@Suite struct LongLineRendererTests {
    /// A one-line file of `count` rules, every one after the first a
    /// duplicate of it.
    static func oneLineFile(rules count: Int) -> SourceFile {
        let rules = (0..<count).map { _ in #""10.0.0.1 - - 80 TCP""# }
        return SourceFile(path: "gen.json", text: #"{"RULES": ["# + rules.joined(separator: ", ") + "]}")
    }

    @Test func longLinesShowAWindowAroundTheCaret() throws {
        let file = Self.oneLineFile(rules: 2_000)
        let diagnostics = checkRules(file).diagnostics
        #expect(diagnostics.count == 1_999)
        let text = DiagnosticRenderer().render(diagnostics[1_000], in: file)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        // header, source window, caret, note header, window, caret
        #expect(lines.count == 6)
        #expect(lines[1].hasPrefix("    …") && lines[1].hasSuffix("…"))
        #expect(lines[1].count <= DiagnosticRenderer.snippetWidth + 6)
        // The caret sits under the start of the rule the header names.
        let column = try #require(lines[0].split(separator: ":").dropFirst(2).first.flatMap { Int($0) })
        let caret = lines[2].distance(from: lines[2].startIndex, to: try #require(lines[2].firstIndex(of: "^")))
        let underCaret = lines[1].dropFirst(caret)
        #expect(underCaret.hasPrefix(#""10.0.0.1 - - 80 TCP""#), "\(lines)")
        let location = file.location(of: try #require(diagnostics[1_000].range).start)
        #expect(location.column == column)
    }

    @Test func shortLinesAreShownWhole() {
        let file = SourceFile(path: "r.json", text: #"{"RULES": ["1.2.3 - - - -"]}"#)
        let text = DiagnosticRenderer().render(checkRules(file).diagnostics, in: file)
        #expect(!text.contains("…"))
    }

    @Test func theCountShownIsCappedWithALinePerId() {
        let file = Self.oneLineFile(rules: 300)
        var diagnostics = checkRules(file).diagnostics
        diagnostics.append(.error("ruleset-capacity", "too big"))
        let text = DiagnosticRenderer().render(diagnostics, in: file, limit: 10)
        let headers = text.split(separator: "\n").filter { $0.contains(": warning: ") || $0.contains(": error: ") }
        #expect(headers.count == 10)
        // Errors first: the error, the last diagnostic, is among the ten.
        #expect(headers.last == "gen.json: error: too big [ruleset-capacity]")
        #expect(
            text.contains(
                "gen.json: note: 290 more warnings [rule-duplicate] not shown (--max-diagnostics 0 shows all)"))
        // 0 and nil mean all.
        #expect(
            DiagnosticRenderer().render(diagnostics, in: file, limit: 0)
                == DiagnosticRenderer().render(diagnostics, in: file))
    }

    /// Columns from the fast path agree with decoding the line, across
    /// multi-byte characters and long lines.
    @Test func columnsAgreeWithDecoding() {
        let text = "{\"a\": \"é€😀\"," + String(repeating: " \"x\": \"ÿ\",", count: 300) + "\n\"b\": 1}"
        let file = SourceFile(path: "c.json", text: text)
        let bytes = Array(text.utf8)
        for offset in stride(from: 0, through: bytes.count, by: 7) {
            let location = file.location(of: offset)
            let lineStart = bytes[..<offset].lastIndex(of: UInt8(ascii: "\n")).map { $0 + 1 } ?? 0
            let column = String(decoding: bytes[lineStart..<offset], as: UTF8.self).unicodeScalars.count + 1
            #expect(location.column == column, "offset \(offset)")
        }
    }
}
