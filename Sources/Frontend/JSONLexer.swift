import VtapDiagnostics

/// Splits the bytes of a rules file into JSON tokens, skipping whitespace
/// and comments. Any byte sequence is accepted: what is not JSON becomes a
/// diagnostic and an `.invalid` token, never a crash.
struct JSONLexer {
    let bytes: [UInt8]
    var position: Int
    var diagnostics = DiagnosticBag()
    /// The file ended inside a string or comment, which was reported; the
    /// parser then stays quiet about the containers left open.
    var endedInsideToken = false

    init(bytes: [UInt8]) {
        self.bytes = bytes
        // A UTF-8 byte order mark is harmless; editors on Windows add one.
        position = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
    }

    mutating func next() -> JSONToken {
        skipTrivia()
        let start = position
        guard start < bytes.count else {
            return JSONToken(kind: .end, range: SourceRange(start: start, end: start))
        }
        let byte = bytes[start]
        if let punctuation = Self.punctuation(byte) {
            position += 1
            return JSONToken(kind: punctuation, range: SourceRange(at: start))
        }
        switch byte {
        case UInt8(ascii: "\""):
            return lexString()
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "+"), UInt8(ascii: "."):
            return lexNumber()
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "_"):
            return lexWord()
        default:
            return lexStrayCharacter()
        }
    }

    private static func punctuation(_ byte: UInt8) -> JSONToken.Kind? {
        switch byte {
        case UInt8(ascii: "{"): .leftBrace
        case UInt8(ascii: "}"): .rightBrace
        case UInt8(ascii: "["): .leftBracket
        case UInt8(ascii: "]"): .rightBracket
        case UInt8(ascii: ":"): .colon
        case UInt8(ascii: ","): .comma
        default: nil
        }
    }

    func byte(at index: Int) -> UInt8? { index < bytes.count ? bytes[index] : nil }

    // MARK: Whitespace and comments

    private mutating func skipTrivia() {
        while let byte = byte(at: position) {
            switch byte {
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\n"), UInt8(ascii: "\r"):
                position += 1
            case UInt8(ascii: "/") where self.byte(at: position + 1) == UInt8(ascii: "/"):
                while let b = self.byte(at: position), b != UInt8(ascii: "\n") { position += 1 }
            case UInt8(ascii: "/") where self.byte(at: position + 1) == UInt8(ascii: "*"):
                skipBlockComment()
            default:
                return
            }
        }
    }

    private mutating func skipBlockComment() {
        let start = position
        position += 2
        while position < bytes.count {
            if bytes[position] == UInt8(ascii: "*"), byte(at: position + 1) == UInt8(ascii: "/") {
                position += 2
                return
            }
            position += 1
        }
        endedInsideToken = true
        diagnostics.error(
            .syntaxUnterminatedComment, "unterminated block comment; missing '*/'",
            at: SourceRange(start: start, end: start + 2))
    }

    // MARK: Numbers and words

    private static func isWordByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"):
            true
        default: false
        }
    }

    /// Takes the longest run that could belong to a number, so `0x1F` or
    /// `1.2.3` is one bad number instead of a cascade of tokens.
    private mutating func lexNumber() -> JSONToken {
        let start = position
        while let b = byte(at: position),
            Self.isWordByte(b) || b == UInt8(ascii: ".") || b == UInt8(ascii: "+") || b == UInt8(ascii: "-")
        {
            position += 1
        }
        let range = SourceRange(start: start, end: position)
        let text = String(decoding: bytes[start..<position], as: UTF8.self)
        switch JSONNumberGrammar.check(text) {
        case .valid(let isInteger):
            return JSONToken(kind: .number(JSONNumber(text: text, isInteger: isInteger)), range: range)
        case .invalid(let reason):
            diagnostics.error(.syntaxInvalidNumber, "invalid number '\(text)': \(reason)", at: range)
            return JSONToken(kind: .invalid, range: range)
        }
    }

    private mutating func lexWord() -> JSONToken {
        let start = position
        while let b = byte(at: position), Self.isWordByte(b) { position += 1 }
        let range = SourceRange(start: start, end: position)
        let word = String(decoding: bytes[start..<position], as: UTF8.self)
        switch word {
        case "true": return JSONToken(kind: .bool(true), range: range)
        case "false": return JSONToken(kind: .bool(false), range: range)
        case "null": return JSONToken(kind: .null, range: range)
        default: return JSONToken(kind: .word(word), range: range)
        }
    }

    // MARK: Anything else

    private mutating func lexStrayCharacter() -> JSONToken {
        let start = position
        guard let length = UTF8Bytes.sequenceLength(bytes, at: start) else {
            position = UTF8Bytes.endOfInvalidRun(bytes, from: start)
            let range = SourceRange(start: start, end: position)
            diagnostics.error(.syntaxInvalidUTF8, "invalid UTF-8 \(Self.hex(bytes[start..<position]))", at: range)
            return JSONToken(kind: .invalid, range: range)
        }
        position += length
        let character = String(decoding: bytes[start..<position], as: UTF8.self)
        let message: String
        switch character {
        case "'":
            // Take the whole single-quoted text so its content is not
            // reported again as stray words.
            skipLine(until: UInt8(ascii: "'"))
            message = "single quotes are not JSON; strings use double quotes"
        case "#":
            skipLine(until: nil)
            message = "unexpected '#'; comments start with // or /*"
        default:
            message = "unexpected character \(Self.describe(character))"
        }
        let range = SourceRange(start: start, end: position)
        diagnostics.error(.syntaxUnexpectedCharacter, message, at: range)
        return JSONToken(kind: .invalid, range: range)
    }

    /// Moves to the end of the line, or just past `terminator` if it comes first.
    private mutating func skipLine(until terminator: UInt8?) {
        while let b = byte(at: position), b != UInt8(ascii: "\n") {
            position += 1
            if b == terminator { return }
        }
    }

    /// Printable characters in quotes, others as U+XXXX.
    static func describe(_ character: String) -> String {
        guard let scalar = character.unicodeScalars.first else { return "''" }
        if TextSafety.isDisallowed(scalar) || scalar.properties.isWhitespace {
            return TextSafety.codePoint(scalar)
        }
        return "'\(character)'"
    }

    static func hex<C: Collection>(_ bytes: C) -> String where C.Element == UInt8 {
        let shown = bytes.prefix(8).map { "0x" + String($0, radix: 16, uppercase: true).zeroPadded(to: 2) }
        return (bytes.count > 8 ? shown + ["..."] : shown).joined(separator: " ")
    }
}
