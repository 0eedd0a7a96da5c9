import VtapDiagnostics

struct JSONToken: Sendable {
    enum Kind: Sendable {
        case leftBrace, rightBrace, leftBracket, rightBracket, colon, comma
        case string(JSONString)
        case number(JSONNumber)
        case bool(Bool)
        case null
        /// A bare word that is not `true`, `false` or `null`, e.g. `True`.
        case word(String)
        /// Bytes the lexer already reported (a bad number, a stray character).
        case invalid
        case end
    }

    var kind: Kind
    var range: SourceRange

    var canStartValue: Bool {
        switch kind {
        case .leftBrace, .leftBracket, .string, .number, .bool, .null, .word: true
        default: false
        }
    }

    /// How messages name the token: `'}'`, `string "abc"`, `end of file`.
    var description: String {
        switch kind {
        case .leftBrace: "'{'"
        case .rightBrace: "'}'"
        case .leftBracket: "'['"
        case .rightBracket: "']'"
        case .colon: "':'"
        case .comma: "','"
        case .string(let s): "string \"\(Self.abbreviate(s.value))\""
        case .number(let n): "number \(Self.abbreviate(n.text))"
        case .bool(let b): "'\(b)'"
        case .null: "'null'"
        case .word(let w): "'\(Self.abbreviate(w))'"
        case .invalid: "invalid input"
        case .end: "end of file"
        }
    }

    private static func abbreviate(_ text: String) -> String {
        text.count <= 24 ? text : String(text.prefix(21)) + "..."
    }
}
