/// An IPv6 header with its chain of extension headers. The payload length
/// and the next-header chain are derived when the frame is built.
public struct IPv6Header: Sendable, Hashable {
    public var source: UInt128
    public var destination: UInt128
    public var hopLimit: UInt8 = 64
    public var trafficClass: UInt8 = 0
    public var flowLabel: UInt32 = 0
    public var extensionHeaders: [IPv6ExtensionHeader] = []
    public var version: UInt8 = 6
    public var payloadLengthOverride: UInt16?
    /// Replaces the transport's protocol number at the end of the chain.
    public var finalNextHeaderOverride: UInt8?

    public init(source: UInt128, destination: UInt128, extensionHeaders: [IPv6ExtensionHeader] = []) {
        self.source = source
        self.destination = destination
        self.extensionHeaders = extensionHeaders
    }

    /// The fixed header and every extension header, each with its next header.
    func encode(protocolNumber: UInt8, payloadLength: Int) -> (fixed: [UInt8], extensions: [[UInt8]]) {
        let finalProtocol = finalNextHeaderOverride ?? protocolNumber
        let numbers = extensionHeaders.map(\.number) + [finalProtocol]
        let extensions = extensionHeaders.enumerated().map { index, header in
            header.encode(nextHeader: numbers[index + 1])
        }
        let extensionLength = extensions.reduce(0) { $0 + $1.count }
        var fixed: [UInt8] = []
        fixed.appendBigEndian(UInt32(version) << 28 | UInt32(trafficClass) << 20 | (flowLabel & 0xF_FFFF))
        fixed.appendBigEndian(payloadLengthOverride ?? UInt16(truncatingIfNeeded: extensionLength + payloadLength))
        fixed += [numbers[0], hopLimit]
        fixed.appendBigEndian(source)
        fixed.appendBigEndian(destination)
        return (fixed, extensions)
    }
}

/// The IPv6 extension headers vtap's parser walks.
public enum IPv6ExtensionHeader: Sendable, Hashable {
    /// Options are TLV bytes; PadN fills the header to a multiple of 8.
    case hopByHop(options: [UInt8] = [])
    /// Type 0 with segments left 0 is inert; `data` follows the 4 fixed bytes.
    case routing(type: UInt8 = 0, segmentsLeft: UInt8 = 0, data: [UInt8] = [0, 0, 0, 0])
    /// `offset` in 8-byte units; non-zero makes a non-first fragment.
    case fragment(offset: UInt16 = 0, moreFragments: Bool = false, identification: UInt32 = 0)
    case destinationOptions(options: [UInt8] = [])
    /// Authentication Header with a 12-byte (HMAC-96 sized) ICV by default.
    case authentication(spi: UInt32 = 0x100, sequence: UInt32 = 1, icv: [UInt8] = Array(repeating: 0, count: 12))

    public static let hopByHopNumber: UInt8 = 0
    public static let routingNumber: UInt8 = 43
    public static let fragmentNumber: UInt8 = 44
    public static let destinationOptionsNumber: UInt8 = 60
    public static let authenticationNumber: UInt8 = 51
    /// Next-header values that start an extension header, not a transport.
    public static let numbers: Set<UInt8> = [0, 43, 44, 60, 51]

    public var number: UInt8 {
        switch self {
        case .hopByHop: Self.hopByHopNumber
        case .routing: Self.routingNumber
        case .fragment: Self.fragmentNumber
        case .destinationOptions: Self.destinationOptionsNumber
        case .authentication: Self.authenticationNumber
        }
    }

    public var name: String {
        switch self {
        case .hopByHop: "hop-by-hop"
        case .routing: "routing"
        case .fragment: "fragment"
        case .destinationOptions: "destination options"
        case .authentication: "authentication"
        }
    }

    /// Non-zero fragment offset: what follows is not a transport header.
    var isNonFirstFragment: Bool {
        if case .fragment(let offset, _, _) = self { return offset != 0 }
        return false
    }

    func encode(nextHeader: UInt8) -> [UInt8] {
        switch self {
        case .hopByHop(let options), .destinationOptions(let options):
            return Self.optionsHeader(nextHeader: nextHeader, options: options)
        case .routing(let type, let segmentsLeft, let data):
            var body: [UInt8] = [type, segmentsLeft] + data
            while (body.count + 2) % 8 != 0 { body.append(0) }
            return [nextHeader, UInt8((body.count + 2) / 8 - 1)] + body
        case .fragment(let offset, let moreFragments, let identification):
            var bytes: [UInt8] = [nextHeader, 0]
            bytes.appendBigEndian((offset & 0x1FFF) << 3 | (moreFragments ? 1 : 0))
            bytes.appendBigEndian(identification)
            return bytes
        case .authentication(let spi, let sequence, let icv):
            var bytes: [UInt8] = [nextHeader, 0, 0, 0]
            bytes.appendBigEndian(spi)
            bytes.appendBigEndian(sequence)
            bytes += icv
            bytes.padWithZeros(toMultipleOf: 8)
            // AH counts 32-bit words minus 2 (RFC 4302), unlike the others.
            bytes[1] = UInt8(bytes.count / 4 - 2)
            return bytes
        }
    }

    private static func optionsHeader(nextHeader: UInt8, options: [UInt8]) -> [UInt8] {
        var bytes: [UInt8] = [nextHeader, 0] + options
        let gap = (8 - bytes.count % 8) % 8
        if gap == 1 {
            bytes.append(0)  // Pad1
        } else if gap > 1 {
            bytes += [1, UInt8(gap - 2)] + Array(repeating: 0, count: gap - 2)  // PadN
        }
        bytes[1] = UInt8(bytes.count / 8 - 1)
        return bytes
    }
}
