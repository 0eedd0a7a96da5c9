/// Big-endian (network order) writing and reading of packet fields.
extension Array where Element == UInt8 {
    mutating func appendBigEndian(_ value: UInt16) {
        append(UInt8(truncatingIfNeeded: value >> 8))
        append(UInt8(truncatingIfNeeded: value))
    }

    mutating func appendBigEndian(_ value: UInt32) {
        for shift in stride(from: 24, through: 0, by: -8) {
            append(UInt8(truncatingIfNeeded: value >> UInt32(shift)))
        }
    }

    mutating func appendBigEndian(_ value: UInt128) {
        for shift in stride(from: 120, through: 0, by: -8) {
            append(UInt8(truncatingIfNeeded: value >> UInt128(shift)))
        }
    }

    mutating func storeBigEndian(_ value: UInt16, at offset: Int) {
        self[offset] = UInt8(truncatingIfNeeded: value >> 8)
        self[offset + 1] = UInt8(truncatingIfNeeded: value)
    }

    mutating func storeBigEndian(_ value: UInt32, at offset: Int) {
        for index in 0..<4 {
            self[offset + index] = UInt8(truncatingIfNeeded: value >> UInt32(24 - 8 * index))
        }
    }

    func bigEndianUInt16(at offset: Int) -> UInt16 {
        UInt16(self[offset]) << 8 | UInt16(self[offset + 1])
    }

    func bigEndianUInt32(at offset: Int) -> UInt32 {
        (0..<4).reduce(0) { $0 << 8 | UInt32(self[offset + $1]) }
    }

    func bigEndianUInt128(at offset: Int) -> UInt128 {
        (0..<16).reduce(0) { $0 << 8 | UInt128(self[offset + $1]) }
    }

    /// Zero bytes up to the next multiple of `alignment`.
    mutating func padWithZeros(toMultipleOf alignment: Int) {
        while count % alignment != 0 { append(0) }
    }
}
