import VtapMetrics
import VtapRuleModel

/// The layer-4 header of a crafted packet; checksums are computed when the
/// frame is built unless an override is given.
public enum TransportHeader: Sendable, Hashable {
    case tcp(TCPHeader)
    case udp(UDPHeader)
    /// ICMP echo over IPv4 (types 8/0) or ICMPv6 echo over IPv6 (128/129).
    case icmpEcho(ICMPEcho)
    case sctp(SCTPHeader)
    /// Any other protocol (GRE, ESP, ...), or the data of a non-first
    /// fragment: `header` is written as is, no checksum.
    case raw(protocolNumber: UInt8, header: [UInt8])
}

/// The flag bits are the ones vtap decodes segments with.
public typealias TCPFlags = VtapMetrics.TCPFlags

public struct TCPHeader: Sendable, Hashable {
    public var sourcePort: UInt16
    public var destinationPort: UInt16
    public var sequence: UInt32 = 0
    public var acknowledgment: UInt32 = 0
    public var flags: TCPFlags
    public var window: UInt16 = 65535
    public var urgentPointer: UInt16 = 0
    /// Raw option bytes; zero-padded (End of Option List) to a multiple of 4.
    public var options: [UInt8] = []
    /// Written instead of the true data offset (in 32-bit words).
    public var dataOffsetOverride: UInt8?
    public var checksumOverride: UInt16?

    public init(sourcePort: UInt16, destinationPort: UInt16, flags: TCPFlags = [.ack]) {
        self.sourcePort = sourcePort
        self.destinationPort = destinationPort
        self.flags = flags
    }

    var dataOffset: UInt8 { dataOffsetOverride ?? UInt8(truncatingIfNeeded: (20 + (options.count + 3) / 4 * 4) / 4) }
}

public struct UDPHeader: Sendable, Hashable {
    public var sourcePort: UInt16
    public var destinationPort: UInt16
    /// UDP-Lite (protocol 136): the length field holds the checksum coverage.
    public var isLite = false
    /// The length field (UDP) or checksum coverage (UDP-Lite, 0 = everything).
    public var lengthOverride: UInt16?
    public var checksumOverride: UInt16?

    public init(sourcePort: UInt16, destinationPort: UInt16, isLite: Bool = false) {
        self.sourcePort = sourcePort
        self.destinationPort = destinationPort
        self.isLite = isLite
    }
}

public struct ICMPEcho: Sendable, Hashable {
    public enum Kind: Sendable, Hashable { case request, reply }
    public var kind: Kind
    public var identifier: UInt16
    public var sequence: UInt16
    public var checksumOverride: UInt16?

    public init(_ kind: Kind = .request, identifier: UInt16 = 0, sequence: UInt16 = 0) {
        self.kind = kind
        self.identifier = identifier
        self.sequence = sequence
    }
}

/// The SCTP common header; chunks, if any, are the packet's payload.
public struct SCTPHeader: Sendable, Hashable {
    public var sourcePort: UInt16
    public var destinationPort: UInt16
    public var verificationTag: UInt32
    public var checksumOverride: UInt32?

    public init(sourcePort: UInt16, destinationPort: UInt16, verificationTag: UInt32 = 0) {
        self.sourcePort = sourcePort
        self.destinationPort = destinationPort
        self.verificationTag = verificationTag
    }
}

extension TransportHeader {
    /// The protocol number this header is carried under; ICMP depends on
    /// the IP version.
    func protocolNumber(overIPv6: Bool) -> UInt8 {
        switch self {
        case .tcp: IPProtocol.tcp
        case .udp(let udp): udp.isLite ? IPProtocol.udplite : IPProtocol.udp
        case .icmpEcho: overIPv6 ? IPProtocol.icmpv6 : IPProtocol.icmp
        case .sctp: IPProtocol.sctp
        case .raw(let number, _): number
        }
    }

    /// Header followed by `payload`, checksummed. `pseudoHeader` makes the
    /// pseudo-header for a given protocol and length (`nil` without IP).
    func encode(
        payload: [UInt8], overIPv6: Bool, pseudoHeader: ((UInt8, Int) -> [UInt8])?
    ) -> (segment: [UInt8], headerLength: Int) {
        let number = protocolNumber(overIPv6: overIPv6)
        let pseudo = { (length: Int) in pseudoHeader?(number, length) ?? [] }
        switch self {
        case .tcp(let tcp):
            var header: [UInt8] = []
            header.appendBigEndian(tcp.sourcePort)
            header.appendBigEndian(tcp.destinationPort)
            header.appendBigEndian(tcp.sequence)
            header.appendBigEndian(tcp.acknowledgment)
            header += [tcp.dataOffset << 4, tcp.flags.rawValue]
            header.appendBigEndian(tcp.window)
            header += [0, 0]
            header.appendBigEndian(tcp.urgentPointer)
            header += tcp.options
            header.padWithZeros(toMultipleOf: 4)
            var segment = header + payload
            let sum = tcp.checksumOverride ?? Checksum.internet(pseudo(segment.count), segment)
            segment.storeBigEndian(sum, at: 16)
            return (segment, header.count)
        case .udp(let udp):
            var segment: [UInt8] = []
            segment.appendBigEndian(udp.sourcePort)
            segment.appendBigEndian(udp.destinationPort)
            // UDP-Lite's coverage 0 means the whole datagram.
            let length = udp.isLite ? 0 : UInt16(truncatingIfNeeded: 8 + payload.count)
            segment.appendBigEndian(udp.lengthOverride ?? length)
            segment += [0, 0] + payload
            var sum = Checksum.internet(pseudo(segment.count), segment)
            if sum == 0 { sum = 0xFFFF }  // 0 would mean "no checksum"
            segment.storeBigEndian(udp.checksumOverride ?? sum, at: 6)
            return (segment, 8)
        case .icmpEcho(let echo):
            let type: UInt8 =
                switch (overIPv6, echo.kind) {
                case (false, .request): 8
                case (false, .reply): 0
                case (true, .request): 128
                case (true, .reply): 129
                }
            var segment: [UInt8] = [type, 0, 0, 0]
            segment.appendBigEndian(echo.identifier)
            segment.appendBigEndian(echo.sequence)
            segment += payload
            // ICMPv6 includes the pseudo-header, ICMP for IPv4 does not.
            let sum =
                echo.checksumOverride
                ?? (overIPv6 ? Checksum.internet(pseudo(segment.count), segment) : Checksum.internet(segment))
            segment.storeBigEndian(sum, at: 2)
            return (segment, 8)
        case .sctp(let sctp):
            var segment: [UInt8] = []
            segment.appendBigEndian(sctp.sourcePort)
            segment.appendBigEndian(sctp.destinationPort)
            segment.appendBigEndian(sctp.verificationTag)
            segment += [0, 0, 0, 0] + payload
            // The CRC goes on the wire least significant byte first (RFC 9260 B).
            let crc = sctp.checksumOverride ?? Checksum.crc32c(segment)
            for index in 0..<4 { segment[8 + index] = UInt8(truncatingIfNeeded: crc >> UInt32(8 * index)) }
            return (segment, 12)
        case .raw(_, let header):
            return (header + payload, header.count)
        }
    }
}
