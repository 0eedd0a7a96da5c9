/// RFC 8259 number grammar, checked on the text the lexer collected:
/// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`
enum JSONNumberGrammar {
    enum Verdict: Equatable {
        case valid(isInteger: Bool)
        case invalid(String)
    }

    static func check(_ text: String) -> Verdict {
        let bytes = Array(text.utf8)
        var i = 0
        func isDigit(_ index: Int) -> Bool {
            index < bytes.count && bytes[index] >= UInt8(ascii: "0") && bytes[index] <= UInt8(ascii: "9")
        }
        func skipDigits() { while isDigit(i) { i += 1 } }

        if bytes.first == UInt8(ascii: "+") { return .invalid("a number cannot start with '+'") }
        if bytes.first == UInt8(ascii: ".") { return .invalid("write a digit before '.'") }
        if i < bytes.count, bytes[i] == UInt8(ascii: "-") { i += 1 }
        guard isDigit(i) else { return .invalid("expected a digit") }
        if bytes[i] == UInt8(ascii: "0") {
            i += 1
            if i < bytes.count, bytes[i] == UInt8(ascii: "x") || bytes[i] == UInt8(ascii: "X") {
                return .invalid("hexadecimal is not JSON; write it as a string, e.g. \"\(text)\"")
            }
            if isDigit(i) { return .invalid("leading zeros are not allowed") }
        } else {
            skipDigits()
        }
        var isInteger = true
        if i < bytes.count, bytes[i] == UInt8(ascii: ".") {
            i += 1
            guard isDigit(i) else { return .invalid("expected a digit after '.'") }
            skipDigits()
            isInteger = false
        }
        if i < bytes.count, bytes[i] == UInt8(ascii: "e") || bytes[i] == UInt8(ascii: "E") {
            i += 1
            if i < bytes.count, bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-") { i += 1 }
            guard isDigit(i) else { return .invalid("expected a digit in the exponent") }
            skipDigits()
            isInteger = false
        }
        guard i == bytes.count else {
            return .invalid("unexpected '\(String(decoding: bytes[i..<(i + 1)], as: UTF8.self))'")
        }
        return .valid(isInteger: isInteger)
    }
}
