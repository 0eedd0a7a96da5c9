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
