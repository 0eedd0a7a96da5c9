/// An IPv4 header. Lengths and the checksum are derived when the frame is
/// built; the `...Override` fields write a given value instead, to craft
/// malformed packets.
public struct IPv4Header: Sendable, Hashable {
    public var source: UInt32
    public var destination: UInt32
    public var ttl: UInt8 = 64
    public var typeOfService: UInt8 = 0
    public var identification: UInt16 = 0
    public var dontFragment = false
    public var moreFragments = false
    /// In 8-byte units, as on the wire; non-zero makes a non-first fragment.
    public var fragmentOffset: UInt16 = 0
    /// Raw option bytes; zero-padded (End of Options List) to a multiple of 4.
    public var options: [UInt8] = []
    public var version: UInt8 = 4
    public var ihlOverride: UInt8?
    public var totalLengthOverride: UInt16?
    public var protocolOverride: UInt8?
    public var checksumOverride: UInt16?

    public init(source: UInt32, destination: UInt32) {
        self.source = source
        self.destination = destination
    }

    /// Bytes actually written for the header: 20 plus padded options.
    var encodedLength: Int { 20 + (options.count + 3) / 4 * 4 }

    /// The IHL field as written, in 32-bit words.
    var ihl: UInt8 { ihlOverride ?? UInt8(truncatingIfNeeded: encodedLength / 4) }

    func totalLength(payloadLength: Int) -> UInt16 {
        totalLengthOverride ?? UInt16(truncatingIfNeeded: encodedLength + payloadLength)
    }

    func encode(protocolNumber: UInt8, payloadLength: Int) -> [UInt8] {
        var header: [UInt8] = [version << 4 | (ihl & 0x0F), typeOfService]
        header.appendBigEndian(totalLength(payloadLength: payloadLength))
        header.appendBigEndian(identification)
        let flags: UInt16 = (dontFragment ? 0x4000 : 0) | (moreFragments ? 0x2000 : 0)
        header.appendBigEndian(flags | (fragmentOffset & 0x1FFF))
        header += [ttl, protocolOverride ?? protocolNumber, 0, 0]
        header.appendBigEndian(source)
        header.appendBigEndian(destination)
        header += options
        header.padWithZeros(toMultipleOf: 4)
        header.storeBigEndian(checksumOverride ?? Checksum.internet(header), at: 10)
        return header
    }
}
