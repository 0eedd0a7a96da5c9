/// The payload layout of vtap's traffic generator configs: a prefix, the
/// 32-bit marker pattern, then the big-endian sequence number, repeated
/// prefix bytes after that. vtap finds the pattern at any offset.
///
/// `patternOffset` places the pattern (and the sequence right after it) at
/// any byte offset, aligned or not; the rest is filled by repeating
/// `prefix`. `totalLength` must leave room for pattern and sequence.
public func seqPayload(
    prefix: [UInt8] = [0xA5, 0x30, 0x0F, 0x10], pattern: UInt32 = 0xE7A5_C318, sequence: UInt32,
    patternOffset: Int = 4, totalLength: Int
) -> [UInt8] {
    precondition(patternOffset >= 0 && patternOffset + 8 <= totalLength, "pattern and sequence must fit")
    precondition(!prefix.isEmpty, "the filler repeats the prefix")
    var bytes = (0..<totalLength).map { prefix[$0 % prefix.count] }
    bytes.storeBigEndian(pattern, at: patternOffset)
    bytes.storeBigEndian(sequence, at: patternOffset + 4)
    return bytes
}
