import VtapDiagnostics

/// Containers nested deeper than this are reported and skipped without
/// recursion, so hostile input cannot exhaust the stack.
public let maxJSONNestingDepth = 256

/// Parses JSON with `//` and `/* */` comments and trailing commas. Returns
/// `nil` only for a file without any value; otherwise a tree in which the
/// parts that could not be parsed are `.invalid` nodes.
public func parseJSON(_ bytes: [UInt8], diagnostics: inout DiagnosticBag) -> JSONValue? {
    var parser = JSONParser(bytes: bytes)
    let root = parser.parseDocument()
    diagnostics.append(contentsOf: parser.lexer.diagnostics.all)
    diagnostics.append(contentsOf: parser.diagnostics.all)
    return root
}

/// Recursive descent over tokens. Recovery is local: a missing comma is
/// assumed, a bad member is skipped up to the next comma or closer, and at
/// most one error is reported per source position so one slip does not
/// cascade. Every loop consumes a token or leaves its container.
struct JSONParser {
    private(set) var lexer: JSONLexer
    private(set) var diagnostics = DiagnosticBag()
    private var token: JSONToken
    private var depth = 0
    /// End of the last consumed token: where a missing comma belongs.
    private var previousEnd = 0
    private var lastErrorStart = -1

    init(bytes: [UInt8]) {
        var lexer = JSONLexer(bytes: bytes)
        token = lexer.next()
        self.lexer = lexer
    }

    mutating func parseDocument() -> JSONValue? {
        if isAtEnd {
            if lexer.diagnostics.hasErrors { return nil }
            error(
                .syntaxEmptyFile, "the file is empty; expected an object with a RULES array",
                at: SourceRange(start: 0, end: 0))
            return nil
        }
        let root = parseValue()
        if !isAtEnd {
            error(
                .syntaxTrailingContent, "unexpected \(token.description) after the end of the top-level value",
                at: token.range)
        }
        return root
    }

    // MARK: Tokens and errors

    private var isAtEnd: Bool { if case .end = token.kind { true } else { false } }

    private mutating func advance() {
        previousEnd = token.range.end
        token = lexer.next()
    }

    private mutating func error(
        _ id: DiagnosticID, _ message: String, at range: SourceRange, notes: [Diagnostic.Note] = []
    ) {
        guard range.start != lastErrorStart else { return }
        lastErrorStart = range.start
        diagnostics.error(id, message, at: range, notes: notes)
    }

    // MARK: Values

    private mutating func parseValue() -> JSONValue {
        let range = token.range
        switch token.kind {
        case .leftBrace, .leftBracket:
            guard depth < maxJSONNestingDepth else {
                error(.syntaxNestingTooDeep, "nesting is deeper than \(maxJSONNestingDepth) levels", at: range)
                skipContainer()
                return JSONValue(.invalid, range: SourceRange(start: range.start, end: previousEnd))
            }
            if case .leftBrace = token.kind { return parseObject() }
            return parseArray()
        case .string(let string):
            advance()
            return JSONValue(.string(string), range: range)
        case .number(let number):
            advance()
            return JSONValue(.number(number), range: range)
        case .bool(let bool):
            advance()
            return JSONValue(.bool(bool), range: range)
        case .null:
            advance()
            return JSONValue(.null, range: range)
        case .invalid:
            advance()
            return JSONValue(.invalid, range: range)
        case .word(let word):
            error(.syntaxUnexpectedToken, Self.wordMessage(word), at: range)
            advance()
            return JSONValue(.invalid, range: range)
        default:
            // Not consumed: the enclosing container decides what it means.
            error(.syntaxUnexpectedToken, "expected a value, found \(token.description)", at: range)
            return JSONValue(.invalid, range: SourceRange(start: range.start, end: range.start))
        }
    }

    private static func wordMessage(_ word: String) -> String {
        switch word.lowercased() {
        case "true", "false":
            "unexpected '\(word)'; write \(word.lowercased()) or the string \"\(word)\""
        case "null":
            "unexpected '\(word)'; write null"
        default:
            "unexpected '\(word)'; strings need double quotes"
        }
    }

    private mutating func parseArray() -> JSONValue {
        let open = token.range
        advance()
        depth += 1
        defer { depth -= 1 }
        var elements: [JSONValue] = []
        while true {
            if let closed = closeContainer(open, closer: .rightBracket, name: "array") {
                return JSONValue(.array(elements), range: closed)
            }
            let element = parseValue()
            // An element that consumed nothing was already reported.
            if !(element.isInvalid && element.range.start == element.range.end) { elements.append(element) }
            if !separator(open, closer: .rightBracket, name: "array") {
                return JSONValue(.array(elements), range: SourceRange(start: open.start, end: previousEnd))
            }
        }
    }

    private mutating func parseObject() -> JSONValue {
        let open = token.range
        advance()
        depth += 1
        defer { depth -= 1 }
        var members: [JSONMember] = []
        while true {
            if let closed = closeContainer(open, closer: .rightBrace, name: "object") {
                return JSONValue(.object(members), range: closed)
            }
            switch token.kind {
            case .string(let key):
                advance()
                if case .colon = token.kind {
                    advance()
                } else {
                    error(
                        .syntaxUnexpectedToken, "expected ':' after key \"\(key.value)\", found \(token.description)",
                        at: token.range)
                }
                members.append(JSONMember(key: key, value: parseValue()))
            case .invalid:
                advance()
                continue
            case .rightBracket:
                error(
                    .syntaxUnexpectedToken, "expected '}' to close the object, found ']'", at: token.range,
                    notes: [.init("the object starts here", at: open)])
                return JSONValue(.object(members), range: SourceRange(start: open.start, end: previousEnd))
            default:
                let found =
                    if case .word(let w) = token.kind { "'\(w)'; keys need double quotes" } else { token.description }
                error(.syntaxUnexpectedToken, "expected a string key or '}', found \(found)", at: token.range)
                skipToSeparator()
            }
            if !separator(open, closer: .rightBrace, name: "object") {
                return JSONValue(.object(members), range: SourceRange(start: open.start, end: previousEnd))
            }
        }
    }

    // MARK: Container helpers

    private enum Closer { case rightBrace, rightBracket }

    private func isCloser(_ closer: Closer) -> Bool {
        switch (token.kind, closer) {
        case (.rightBrace, .rightBrace), (.rightBracket, .rightBracket): true
        default: false
        }
    }

    /// At a closer or the end of file: the container's full range, else `nil`.
    private mutating func closeContainer(_ open: SourceRange, closer: Closer, name: String) -> SourceRange? {
        if isCloser(closer) {
            let end = token.range.end
            advance()
            return SourceRange(start: open.start, end: end)
        }
        if case .end = token.kind {
            if lexer.endedInsideToken { return SourceRange(start: open.start, end: previousEnd) }
            let expected = closer == .rightBrace ? "'}'" : "']'"
            error(
                .syntaxUnexpectedEnd, "unexpected end of file; expected \(expected) to close the \(name)",
                at: token.range, notes: [.init("the \(name) starts here", at: open)])
            return SourceRange(start: open.start, end: previousEnd)
        }
        return nil
    }

    /// After an element: consumes a comma, or stops at the closer. Returns
    /// `false` when the container must end here without its closer.
    private mutating func separator(_ open: SourceRange, closer: Closer, name: String) -> Bool {
        while true {
            switch token.kind {
            case .comma:
                advance()
                return true
            case .end:
                return true
            case .invalid:
                advance()
            case .rightBrace, .rightBracket:
                if isCloser(closer) { return true }
                let expected = closer == .rightBrace ? "'}'" : "']'"
                error(
                    .syntaxUnexpectedToken, "expected ',' or \(expected), found \(token.description)",
                    at: token.range, notes: [.init("the \(name) starts here", at: open)])
                return false
            default:
                if token.canStartValue {
                    error(
                        .syntaxMissingComma, "missing ',' before \(token.description)",
                        at: SourceRange(start: previousEnd, end: previousEnd))
                    return true
                }
                let expected = closer == .rightBrace ? "'}'" : "']'"
                error(
                    .syntaxUnexpectedToken, "expected ',' or \(expected), found \(token.description)", at: token.range)
                advance()
            }
        }
    }

    /// Skips a bad object member up to the next comma or closer of this level.
    private mutating func skipToSeparator() {
        var nested = 0
        while true {
            switch token.kind {
            case .end: return
            case .leftBrace, .leftBracket: nested += 1
            case .rightBrace, .rightBracket:
                if nested == 0 { return }
                nested -= 1
            case .comma where nested == 0: return
            default: break
            }
            advance()
        }
    }

    /// Skips a whole container without recursing, at any depth.
    private mutating func skipContainer() {
        var nested = 0
        repeat {
            switch token.kind {
            case .end: return
            case .leftBrace, .leftBracket: nested += 1
            case .rightBrace, .rightBracket: nested -= 1
            default: break
            }
            advance()
        } while nested > 0
    }
}
