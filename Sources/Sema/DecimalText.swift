/// Number parsing on UTF-8 bytes: items are ASCII in the common case, and
/// working on bytes keeps checking 100,000 rules fast.
enum DecimalText {
    static func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }

    /// The value of one or more ASCII digits, or `nil` for anything else.
    /// Values above `limit` come back as `limit + 1`, so a caller can say
    /// "out of range" without overflowing on a 30-digit number.
    static func value<C: Collection>(_ digits: C, limit: Int) -> Int? where C.Element == UInt8 {
        guard !digits.isEmpty else { return nil }
        var value = 0
        for byte in digits {
            guard isDigit(byte) else { return nil }
            value = min(value * 10 + Int(byte - UInt8(ascii: "0")), limit + 1)
        }
        return value
    }
}
