/// Byte-level UTF-8 helpers for a lexer that must accept any input.
enum UTF8Bytes {
    /// Length of the well-formed UTF-8 sequence at `index`, or `nil` when the
    /// bytes there are not valid UTF-8 (overlong forms, surrogates, values
    /// above U+10FFFF and truncated sequences included).
    static func sequenceLength(_ bytes: [UInt8], at index: Int) -> Int? {
        guard index < bytes.count else { return nil }
        let lead = bytes[index]
        func continuation(_ offset: Int, _ range: ClosedRange<UInt8> = 0x80...0xBF) -> Bool {
            index + offset < bytes.count && range.contains(bytes[index + offset])
        }
        switch lead {
        case 0x00...0x7F:
            return 1
        case 0xC2...0xDF:
            return continuation(1) ? 2 : nil
        case 0xE0:
            return continuation(1, 0xA0...0xBF) && continuation(2) ? 3 : nil
        case 0xE1...0xEC, 0xEE...0xEF:
            return continuation(1) && continuation(2) ? 3 : nil
        case 0xED:
            return continuation(1, 0x80...0x9F) && continuation(2) ? 3 : nil
        case 0xF0:
            return continuation(1, 0x90...0xBF) && continuation(2) && continuation(3) ? 4 : nil
        case 0xF1...0xF3:
            return continuation(1) && continuation(2) && continuation(3) ? 4 : nil
        case 0xF4:
            return continuation(1, 0x80...0x8F) && continuation(2) && continuation(3) ? 4 : nil
        default:
            return nil
        }
    }

    /// The end of the run of invalid bytes starting at `index`.
    static func endOfInvalidRun(_ bytes: [UInt8], from index: Int) -> Int {
        var end = index + 1
        while end < bytes.count, sequenceLength(bytes, at: end) == nil { end += 1 }
        return end
    }

    static func append(_ scalar: Unicode.Scalar, to out: inout [UInt8]) {
        UTF8.encode(scalar) { out.append($0) }
    }

    static let replacement: Unicode.Scalar = "\u{FFFD}"
}
