import VtapRuleModel

/// Ethernet frames for the benchmark: the headers vtap parses, built from
/// the fields a rule looks at. Checksums are left zero (the program reads
/// none); lengths are consistent, so no frame is malformed.
public enum BenchFrame {
    /// Frame with `payload` after the transport header.
    public static func frame(_ fields: PacketFields, payload: [UInt8] = []) -> [UInt8] {
        let transport = transportHeader(fields) + payload
        var frame: [UInt8] = [0x02, 0, 0, 0, 0, 2, 0x02, 0, 0, 0, 0, 1]
        switch (fields.source, fields.destination) {
        case (.v4(let source), .v4(let destination)):
            frame += [0x08, 0x00]
            let total = 20 + transport.count
            frame += [0x45, 0, UInt8(total >> 8), UInt8(total & 0xff), 0, 1, 0x40, 0, 64, fields.protocolNumber, 0, 0]
            frame += bytes(source) + bytes(destination)
        case (.v6(let source), .v6(let destination)):
            frame += [0x86, 0xdd]
            frame += [
                0x60, 0, 0, 0, UInt8(transport.count >> 8), UInt8(transport.count & 0xff), fields.protocolNumber, 64,
            ]
            frame += bytes(source) + bytes(destination)
        default:
            preconditionFailure("mixed address families")
        }
        return frame + transport
    }

    static func transportHeader(_ fields: PacketFields) -> [UInt8] {
        var ports: [UInt8] = [0, 0, 0, 0]
        if let p = fields.ports {
            ports = [
                UInt8(p.source >> 8), UInt8(p.source & 0xff), UInt8(p.destination >> 8), UInt8(p.destination & 0xff),
            ]
        }
        switch fields.protocolNumber {
        case 6:  // TCP: seq 1, data offset 5, ACK
            return ports + [0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x10, 0xff, 0xff, 0, 0, 0, 0]
        case 17, 136:
            return ports + [0, 0, 0, 0]
        case 132:
            return ports + [0, 0, 0, 0, 0, 0, 0, 0]
        case 1:
            return [8, 0, 0, 0, 0, 7, 0, 1]
        case 58:
            return [128, 0, 0, 0, 0, 7, 0, 1]
        default:
            return []
        }
    }

    /// Protocols whose packets carry ports (the parser reads them).
    public static let portProtocols: Set<UInt8> = [6, 17, 132, 136]

    private static func bytes(_ value: UInt32) -> [UInt8] {
        [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: value >> UInt32($0)) }
    }

    private static func bytes(_ value: UInt128) -> [UInt8] {
        stride(from: 120, through: 0, by: -8).map { UInt8(truncatingIfNeeded: value >> UInt128($0)) }
    }
}
