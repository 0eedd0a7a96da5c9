import VtapDiagnostics

/// Splits the text of a rule string into fields. Works on the decoded
/// UTF-8 bytes (all structure is ASCII) and maps every position back to
/// the file through the string literal, escapes included.
struct RuleTextScanner {
    private let string: JSONString
    private let bytes: [UInt8]
    private var position = 0
    private(set) var diagnostics = DiagnosticBag()

    init(_ string: JSONString) {
        self.string = string
        self.bytes = Array(string.value.utf8)
    }

    var hasErrors: Bool { diagnostics.hasErrors }

    func sourceRange(_ offsets: Range<Int>) -> SourceRange { string.sourceRange(ofUTF8: offsets) }

    func text(_ offsets: Range<Int>) -> String { String(decoding: bytes[offsets], as: UTF8.self) }

    func item(_ offsets: Range<Int>) -> RuleItem {
        RuleItem(
            text: text(offsets), range: sourceRange(offsets),
            origin: .string(string, decodedStart: offsets.lowerBound))
    }

    /// Rejects control characters first: nothing else in a string that
    /// carries them is worth reading.
    mutating func rejectControlCharacters() -> Bool {
        guard let (scalar, offset) = TextSafety.firstDisallowed(in: string.value, allowing: { $0 == "\t" })
        else { return true }
        error(
            .ruleControlCharacter, "control character \(TextSafety.codePoint(scalar)) in a rule",
            offset..<(offset + UTF8.width(scalar)))
        return false
    }

    /// The fields of the text; the n-th gets `kinds[n]`, any beyond the
    /// last kind get the last one (they are an error anyway).
    mutating func scanFields(as kinds: [RuleFieldKind]) -> [RuleFieldSyntax] {
        guard let lastKind = kinds.last else { return [] }
        var fields: [RuleFieldSyntax] = []
        fields.reserveCapacity(kinds.count)
        while true {
            skipSpace()
            guard position < bytes.count else { return fields }
            let start = position
            let (value, isNegated) = scanField()
            fields.append(
                RuleFieldSyntax(
                    kind: fields.count < kinds.count ? kinds[fields.count] : lastKind, value: value,
                    isNegated: isNegated, text: text(start..<position), range: sourceRange(start..<position)))
        }
    }

    // MARK: Characters

    private static func isSpace(_ byte: UInt8) -> Bool { byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") }

    /// Characters with a meaning of their own, which end an item.
    static func isSpecial(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: ",") || byte == UInt8(ascii: "[") || byte == UInt8(ascii: "]")
            || byte == UInt8(ascii: "!")
    }

    private var current: UInt8? { position < bytes.count ? bytes[position] : nil }

    private mutating func skipSpace() {
        while let byte = current, Self.isSpace(byte) { position += 1 }
    }

    /// Skips the rest of a malformed field up to the next separator.
    private mutating func skipToSpace() {
        while let byte = current, !Self.isSpace(byte) { position += 1 }
    }

    private mutating func scanItemText() -> Range<Int> {
        let start = position
        while let byte = current, !Self.isSpace(byte), !Self.isSpecial(byte) { position += 1 }
        return start..<position
    }

    /// Whether the text at `offsets` is `-`.
    private func isDash(_ offsets: Range<Int>) -> Bool {
        offsets.count == 1 && bytes[offsets.lowerBound] == UInt8(ascii: "-")
    }

    /// The whole character starting at `offset`, for messages about it.
    private func character(at offset: Int) -> Range<Int> {
        var end = offset + 1
        while end < bytes.count, bytes[end] & 0xC0 == 0x80 { end += 1 }
        return offset..<end
    }

    private mutating func error(_ id: DiagnosticID, _ message: String, _ offsets: Range<Int>) {
        diagnostics.error(id, message, at: sourceRange(offsets))
    }

    // MARK: Fields

    private mutating func scanField() -> (RuleFieldSyntax.Value, isNegated: Bool) {
        let start = position
        let errorsBefore = diagnostics.errorCount
        var isNegated = false
        if current == UInt8(ascii: "!") {
            isNegated = true
            position += 1
            if current == UInt8(ascii: "!") {
                error(.ruleUnexpectedCharacter, "'!!': a field can be negated only once", start..<(start + 2))
                skipToSpace()
                return (.any, true)
            }
            if current == nil || current.map(Self.isSpace) == true {
                error(.ruleUnexpectedCharacter, "'!' must be followed by a value or a [list]", start..<(start + 1))
                return (.any, true)
            }
        }
        let value: RuleFieldSyntax.Value
        switch current {
        case UInt8(ascii: "["):
            value = scanList()
        case UInt8(ascii: "]"):
            error(.ruleUnbalancedBracket, "']' without a matching '['", position..<(position + 1))
            skipToSpace()
            value = .any
        case UInt8(ascii: ","):
            error(.ruleUnexpectedCharacter, "',' outside a list; write a list as [a, b]", position..<(position + 1))
            skipToSpace()
            value = .any
        default:
            value = scanSingle()
        }
        if isNegated, case .any = value, diagnostics.errorCount == errorsBefore {
            error(.ruleNegatedAny, "'!-' matches nothing; write '-' for any value", start..<position)
        }
        return (value, isNegated)
    }

    private mutating func scanSingle() -> RuleFieldSyntax.Value {
        let offsets = scanItemText()
        if let byte = current, Self.isSpecial(byte) {
            let message =
                byte == UInt8(ascii: ",")
                ? "',' outside a list; write a list as [a, b]"
                : "unexpected '\(text(position..<(position + 1)))' after '\(text(offsets))'"
            error(.ruleUnexpectedCharacter, message, position..<(position + 1))
            skipToSpace()
        }
        return isDash(offsets) ? .any : .single(item(offsets))
    }

    private mutating func scanList() -> RuleFieldSyntax.Value {
        let open = position
        position += 1
        var items: [RuleItem] = []
        var expectsItem = true
        var lastComma: Int?
        while true {
            skipSpace()
            guard let byte = current else {
                error(.ruleUnbalancedBracket, "'[' is never closed; add ']'", open..<(open + 1))
                return .list(items)
            }
            switch byte {
            case UInt8(ascii: "]"):
                if items.isEmpty, lastComma == nil {
                    error(
                        .ruleEmptyList, "empty list '[]' matches nothing; write '-' for any value",
                        open..<(position + 1))
                } else if !items.isEmpty, expectsItem, let comma = lastComma {
                    error(.ruleEmptyItem, "trailing ',' in a list", comma..<(comma + 1))
                }
                position += 1
                if let next = current, !Self.isSpace(next) {
                    let stray = character(at: position)
                    error(.ruleUnexpectedCharacter, "unexpected '\(text(stray))' after ']'", stray)
                    skipToSpace()
                }
                return .list(items)
            case UInt8(ascii: ","):
                if expectsItem { error(.ruleEmptyItem, "empty list item before ','", position..<(position + 1)) }
                lastComma = position
                expectsItem = true
                position += 1
            case UInt8(ascii: "["):
                error(.ruleUnexpectedCharacter, "lists cannot be nested", position..<(position + 1))
                position += 1
            case UInt8(ascii: "!"):
                error(
                    .ruleUnexpectedCharacter, "'!' applies to a whole field; write ![a, b]", position..<(position + 1))
                position += 1
            default:
                let offsets = scanItemText()
                if !expectsItem {
                    error(.ruleMissingComma, "missing ',' before '\(text(offsets))'", offsets)
                }
                if isDash(offsets) {
                    error(.ruleAnyInList, "'-' cannot be a list item; '-' alone means any value", offsets)
                }
                items.append(item(offsets))
                expectsItem = false
            }
        }
    }
}
