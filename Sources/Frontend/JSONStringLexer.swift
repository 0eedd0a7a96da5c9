import VtapDiagnostics

extension JSONLexer {
    /// Decodes a string literal starting at the opening quote, recording for
    /// every escape where it came from. Problems are reported and decoding
    /// goes on, so one bad escape does not hide the rest of the file.
    mutating func lexString() -> JSONToken {
        if let plain = lexPlainString() { return plain }
        let quote = position
        position += 1
        var decoded: [UInt8] = []
        var pieces = [JSONString.Piece(decodedStart: 0, sourceStart: position, escapeLength: nil)]
        var inVerbatimRun = true

        func beginVerbatim(at source: Int) {
            if !inVerbatimRun {
                pieces.append(JSONString.Piece(decodedStart: decoded.count, sourceStart: source, escapeLength: nil))
                inVerbatimRun = true
            }
        }
        func appendEscape(_ scalar: Unicode.Scalar, from start: Int, to end: Int) {
            pieces.append(JSONString.Piece(decodedStart: decoded.count, sourceStart: start, escapeLength: end - start))
            UTF8Bytes.append(scalar, to: &decoded)
            inVerbatimRun = false
        }
        func finish(contentEnd: Int, end: Int) -> JSONToken {
            let string = JSONString(
                value: String(decoding: decoded, as: UTF8.self),
                range: SourceRange(start: quote, end: end),
                contentRange: SourceRange(start: quote + 1, end: contentEnd),
                pieces: pieces)
            return JSONToken(kind: .string(string), range: string.range)
        }
        func unterminated() -> JSONToken {
            endedInsideToken = position >= bytes.count
            diagnostics.error(
                .syntaxUnterminatedString, "unterminated string; missing closing '\"'",
                at: SourceRange(start: quote, end: position))
            return finish(contentEnd: position, end: position)
        }

        while let byte = byte(at: position) {
            switch byte {
            case UInt8(ascii: "\""):
                position += 1
                return finish(contentEnd: position - 1, end: position)
            case UInt8(ascii: "\n"), UInt8(ascii: "\r"):
                // A raw line break almost always means the closing quote is
                // missing; stop here so the next line is parsed normally.
                return unterminated()
            case UInt8(ascii: "\\"):
                let start = position
                guard let scalar = lexEscape() else {
                    if position >= bytes.count { return unterminated() }
                    appendEscape(UTF8Bytes.replacement, from: start, to: position)
                    continue
                }
                appendEscape(scalar, from: start, to: position)
            case 0x00..<0x20:
                let shown = JSONLexer.describe(String(UnicodeScalar(byte)))
                diagnostics.error(
                    .syntaxControlCharacter, "control character \(shown) in a string; write it as an escape",
                    at: SourceRange(at: position))
                // Dropped from the value, so rule checks do not report it again.
                position += 1
                inVerbatimRun = false
            default:
                if byte < 0x80 {
                    beginVerbatim(at: position)
                    decoded.append(byte)
                    position += 1
                } else if let length = UTF8Bytes.sequenceLength(bytes, at: position) {
                    beginVerbatim(at: position)
                    decoded.append(contentsOf: bytes[position..<(position + length)])
                    position += length
                } else {
                    let start = position
                    position = UTF8Bytes.endOfInvalidRun(bytes, from: start)
                    diagnostics.error(
                        .syntaxInvalidUTF8, "invalid UTF-8 \(JSONLexer.hex(bytes[start..<position])) in a string",
                        at: SourceRange(start: start, end: position))
                    appendEscape(UTF8Bytes.replacement, from: start, to: position)
                }
            }
        }
        return unterminated()
    }

    /// The common case, a string without escapes or problems, taken from
    /// the bytes as they are; `nil` (position unchanged) for anything else.
    private mutating func lexPlainString() -> JSONToken? {
        var end = position + 1
        while end < bytes.count {
            let byte = bytes[end]
            if byte == UInt8(ascii: "\"") {
                let content = SourceRange(start: position + 1, end: end)
                let string = JSONString(
                    value: String(decoding: bytes[content.start..<content.end], as: UTF8.self),
                    range: SourceRange(start: position, end: end + 1), contentRange: content, pieces: [])
                position = end + 1
                return JSONToken(kind: .string(string), range: string.range)
            }
            if byte == UInt8(ascii: "\\") || byte < 0x20 { return nil }
            if byte < 0x80 {
                end += 1
            } else if let length = UTF8Bytes.sequenceLength(bytes, at: end) {
                end += length
            } else {
                return nil
            }
        }
        return nil
    }

    /// Reads one escape at the backslash; `nil` after reporting a bad one.
    private mutating func lexEscape() -> Unicode.Scalar? {
        let start = position
        position += 1
        guard let letter = byte(at: position) else { return nil }
        position += 1
        let simple: Unicode.Scalar? =
            switch letter {
            case UInt8(ascii: "\""): "\""
            case UInt8(ascii: "\\"): "\\"
            case UInt8(ascii: "/"): "/"
            case UInt8(ascii: "b"): "\u{08}"
            case UInt8(ascii: "f"): "\u{0C}"
            case UInt8(ascii: "n"): "\n"
            case UInt8(ascii: "r"): "\r"
            case UInt8(ascii: "t"): "\t"
            default: nil
            }
        if let simple { return simple }
        guard letter == UInt8(ascii: "u") else {
            // Keep a multi-byte character whole so the caret covers it.
            if letter >= 0x80 { position = start + 1 + (UTF8Bytes.sequenceLength(bytes, at: start + 1) ?? 1) }
            let text = String(decoding: bytes[start..<position], as: UTF8.self)
            reportEscape("invalid escape '\(text)'; valid escapes are \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX", start)
            return nil
        }
        guard let unit = hexQuad(at: position) else {
            while let b = byte(at: position), Self.hexValue(b) != nil, position < start + 6 { position += 1 }
            reportEscape("'\\u' must be followed by four hex digits", start)
            return nil
        }
        position += 4
        switch unit {
        case 0xD800...0xDBFF:
            // A high surrogate must pair with a following \uDC00-\uDFFF.
            if byte(at: position) == UInt8(ascii: "\\"), byte(at: position + 1) == UInt8(ascii: "u"),
                let low = hexQuad(at: position + 2), (0xDC00...0xDFFF).contains(low)
            {
                position += 6
                return Unicode.Scalar(0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00))
            }
            reportEscape("unpaired surrogate '\\u\(Self.hex4(unit))'", start)
            return nil
        case 0xDC00...0xDFFF:
            reportEscape("unpaired surrogate '\\u\(Self.hex4(unit))'", start)
            return nil
        default:
            return Unicode.Scalar(unit)
        }
    }

    private mutating func reportEscape(_ message: String, _ start: Int) {
        diagnostics.error(.syntaxInvalidEscape, message, at: SourceRange(start: start, end: position))
    }

    private func hexQuad(at index: Int) -> UInt32? {
        guard index + 4 <= bytes.count else { return nil }
        var value: UInt32 = 0
        for i in index..<(index + 4) {
            guard let digit = Self.hexValue(bytes[i]) else { return nil }
            value = value << 4 | digit
        }
        return value
    }

    static func hexValue(_ byte: UInt8) -> UInt32? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): UInt32(byte - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): UInt32(byte - UInt8(ascii: "a") + 10)
        case UInt8(ascii: "A")...UInt8(ascii: "F"): UInt32(byte - UInt8(ascii: "A") + 10)
        default: nil
        }
    }

    private static func hex4(_ unit: UInt32) -> String {
        String(unit, radix: 16, uppercase: true).zeroPadded(to: 4)
    }
}
