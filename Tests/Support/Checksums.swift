import VtapRuleModel

/// The checksums packet headers carry.
enum Checksum {
    /// RFC 1071 one's-complement sum of 16-bit words, folded and inverted.
    static func internet(_ chunks: [UInt8]...) -> UInt16 {
        var sum: UInt32 = 0
        for chunk in chunks {
            // Callers pass the pseudo-header first and keep it even-sized,
            // so an odd length only ever ends the last chunk.
            var index = 0
            while index + 1 < chunk.count {
                sum += UInt32(chunk[index]) << 8 | UInt32(chunk[index + 1])
                index += 2
            }
            if index < chunk.count { sum += UInt32(chunk[index]) << 8 }
        }
        while sum > 0xFFFF { sum = (sum & 0xFFFF) + (sum >> 16) }
        return ~UInt16(sum)
    }

    /// The TCP/UDP/ICMPv6 pseudo-header over IPv4 or IPv6 addresses.
    static func pseudoHeader(
        source: PacketFields.Address, destination: PacketFields.Address,
        protocolNumber: UInt8, length: Int
    ) -> [UInt8] {
        var bytes: [UInt8] = []
        switch (source, destination) {
        case (.v4(let s), .v4(let d)):
            bytes.appendBigEndian(s)
            bytes.appendBigEndian(d)
            bytes += [0, protocolNumber]
            bytes.appendBigEndian(UInt16(truncatingIfNeeded: length))
        case (.v6(let s), .v6(let d)):
            bytes.appendBigEndian(s)
            bytes.appendBigEndian(d)
            bytes.appendBigEndian(UInt32(truncatingIfNeeded: length))
            bytes += [0, 0, 0, protocolNumber]
        default:
            preconditionFailure("pseudo-header needs addresses of one family")
        }
        return bytes
    }

    /// CRC-32C (Castagnoli), the SCTP checksum (RFC 9260 appendix A).
    static func crc32c(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc = crc32cTable[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8)
        }
        return ~crc
    }

    private static let crc32cTable: [UInt32] = (0..<256).map { index in
        var value = UInt32(index)
        for _ in 0..<8 {
            value = value & 1 == 1 ? (value >> 1) ^ 0x82F6_3B78 : value >> 1
        }
        return value
    }
}
