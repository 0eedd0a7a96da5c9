import VtapRuleModel

/// A TCP option, decoded from a segment's option bytes by kind (IANA's
/// TCP option kind numbers; MPTCP's subtypes from RFC 8684).
public enum TCPOption: Sendable, Equatable {
    case endOfList
    case noOperation
    case maximumSegmentSize(UInt16)
    case windowScale(UInt8)
    case sackPermitted
    /// Left and right edges of each block.
    case sack([(UInt32, UInt32)])
    case timestamp(value: UInt32, echo: UInt32)
    case mptcp(MPTCPSubtype, version: UInt8?)
    /// MPTCP's data sequence signal (DSS), decoded.
    case dataSequence(DataSequenceSignal)
    case fastOpen(cookieLength: Int)
    /// Any other kind, with its data length.
    case other(kind: UInt8, length: Int)
    /// A length that runs past the header: the rest is not read.
    case malformed(kind: UInt8)

    public static func == (lhs: TCPOption, rhs: TCPOption) -> Bool {
        switch (lhs, rhs) {
        case (.sack(let a), .sack(let b)): a.map { [$0.0, $0.1] } == b.map { [$0.0, $0.1] }
        case (.endOfList, .endOfList), (.noOperation, .noOperation), (.sackPermitted, .sackPermitted): true
        case (.maximumSegmentSize(let a), .maximumSegmentSize(let b)): a == b
        case (.windowScale(let a), .windowScale(let b)): a == b
        case (.timestamp(let a, let b), .timestamp(let c, let d)): a == c && b == d
        case (.mptcp(let a, let b), .mptcp(let c, let d)): a == c && b == d
        case (.dataSequence(let a), .dataSequence(let b)): a == b
        case (.fastOpen(let a), .fastOpen(let b)): a == b
        case (.other(let a, let b), .other(let c, let d)): a == c && b == d
        case (.malformed(let a), .malformed(let b)): a == b
        default: false
        }
    }

    /// The name a trace gives it (tcpdump's words where it has one).
    public var name: String {
        switch self {
        case .endOfList: "eol"
        case .noOperation: "nop"
        case .maximumSegmentSize: "mss"
        case .windowScale: "wscale"
        case .sackPermitted: "sackOK"
        case .sack: "sack"
        case .timestamp: "TS"
        case .mptcp, .dataSequence: "mptcp"
        case .fastOpen: "tfo"
        case .other(let kind, _): "unknown-\(kind)"
        case .malformed(let kind): "malformed-\(kind)"
        }
    }

    /// Every option in `bytes`, in order; stops at end-of-list (kept) or at
    /// a length that cannot be right.
    public static func parse(_ bytes: [UInt8]) -> [TCPOption] {
        var options: [TCPOption] = []
        func u16(_ i: Int) -> UInt16 { UInt16(bytes[i]) << 8 | UInt16(bytes[i + 1]) }
        func u32(_ i: Int) -> UInt32 { UInt32(u16(i)) << 16 | UInt32(u16(i + 2)) }
        for element in TCPOptionLayout.elements(bytes) {
            switch element {
            case .endOfList: options.append(.endOfList)
            case .noOperation: options.append(.noOperation)
            case .malformed(let kind): options.append(.malformed(kind: kind))
            case .option(let kind, let at, let length):
                let data = at + 2
                switch (kind, length) {
                case (2, 4): options.append(.maximumSegmentSize(u16(data)))
                case (3, 3): options.append(.windowScale(bytes[data]))
                case (4, 2): options.append(.sackPermitted)
                case (5, _) where (length - 2) % 8 == 0 && length > 2:
                    options.append(.sack(stride(from: data, to: at + length, by: 8).map { (u32($0), u32($0 + 4)) }))
                case (8, 10): options.append(.timestamp(value: u32(data), echo: u32(data + 4)))
                case (30, _) where length >= 3:
                    let subtype = MPTCPSubtype(rawValue: bytes[data] >> 4) ?? .unknown
                    if subtype == .dss, let signal = DataSequenceSignal(Array(bytes[at..<at + length])) {
                        options.append(.dataSequence(signal))
                    } else {
                        options.append(.mptcp(subtype, version: subtype == .capable ? bytes[data] & 0x0f : nil))
                    }
                case (34, _): options.append(.fastOpen(cookieLength: length - 2))
                default: options.append(.other(kind: kind, length: length - 2))
                }
            }
        }
        return options
    }
}

/// MPTCP option subtypes (RFC 8684, section 3).
public enum MPTCPSubtype: UInt8, Sendable {
    case capable = 0
    case join, dss, addAddress, removeAddress, priority, fail, fastClose, reset
    case unknown = 0xff

    public var name: String {
        switch self {
        case .capable: "mp_capable"
        case .join: "mp_join"
        case .dss: "dss"
        case .addAddress: "add_addr"
        case .removeAddress: "remove_addr"
        case .priority: "mp_prio"
        case .fail: "mp_fail"
        case .fastClose: "mp_fastclose"
        case .reset: "mp_tcprst"
        case .unknown: "unknown"
        }
    }
}

/// What a segment's MPTCP options say about which MPTCP connection it
/// belongs to (RFC 8684, sections 3.1 and 3.2): the keys of MP_CAPABLE
/// (the SYN-ACK carries the server's, the third ACK both), and the token
/// of the connection a subflow joins (MP_JOIN on a SYN).
public struct MPTCPIdentity: Sendable, Equatable {
    public var keys: [UInt64] = []
    public var joinToken: UInt32?

    public init(options bytes: [UInt8]) {
        func u32(_ i: Int) -> UInt32 { (0..<4).reduce(0) { $0 << 8 | UInt32(bytes[i + $1]) } }
        func u64(_ i: Int) -> UInt64 { (0..<8).reduce(0) { $0 << 8 | UInt64(bytes[i + $1]) } }
        for case .option(30, let at, let length) in TCPOptionLayout.elements(bytes) where length >= 3 {
            switch MPTCPSubtype(rawValue: bytes[at + 2] >> 4) {
            case .capable:
                // Kind, length, subtype and version, flags, then the
                // sender's key, then (third ACK) the receiver's.
                if length >= 12 { keys.append(u64(at + 4)) }
                if length >= 20 { keys.append(u64(at + 12)) }
            case .join where length == 12:
                // On a SYN: subtype and B, address id, the receiver's token, a nonce.
                joinToken = u32(at + 4)
            default: break
            }
        }
    }

    /// A connection's token: the most significant 32 bits of the SHA-256
    /// of its key (RFC 8684, section 3.2).
    public static func token(ofKey key: UInt64) -> UInt32 {
        let digest = ObjectDigest.sha256(withUnsafeBytes(of: key.bigEndian) { Array($0) })
        return digest.prefix(4).reduce(0) { $0 << 8 | UInt32($1) }
    }
}

/// An MPTCP DSS option (RFC 8684, section 3.3): the data-level ACK, and
/// the mapping of subflow sequence space onto the connection's data
/// sequence space, each when its flag says it is there.
public struct DataSequenceSignal: Sendable, Equatable {
    public var dataAcknowledgement: UInt64?
    public var dataSequence: UInt64?
    /// Relative to the subflow's initial sequence number.
    public var subflowSequence: UInt32?
    public var dataLevelLength: UInt16?
    public var dataFin: Bool

    public init(
        dataAcknowledgement: UInt64?, dataSequence: UInt64?, subflowSequence: UInt32?, dataLevelLength: UInt16?,
        dataFin: Bool
    ) {
        self.dataAcknowledgement = dataAcknowledgement
        self.dataSequence = dataSequence
        self.subflowSequence = subflowSequence
        self.dataLevelLength = dataLevelLength
        self.dataFin = dataFin
    }

    /// `option` from its kind byte on; nil when its flags ask for more
    /// bytes than it has.
    init?(_ option: [UInt8]) {
        guard option.count >= 4 else { return nil }
        let flags = option[3]
        let ackPresent = flags & 0x01 != 0
        let ackWide = flags & 0x02 != 0
        let mapPresent = flags & 0x04 != 0
        let mapWide = flags & 0x08 != 0
        dataFin = flags & 0x10 != 0
        var at = 4
        func read(_ count: Int) -> UInt64? {
            guard at + count <= option.count else { return nil }
            defer { at += count }
            return option[at..<at + count].reduce(0) { $0 << 8 | UInt64($1) }
        }
        if ackPresent {
            guard let ack = read(ackWide ? 8 : 4) else { return nil }
            dataAcknowledgement = ack
        }
        if mapPresent {
            guard let sequence = read(mapWide ? 8 : 4), let subflow = read(4), let length = read(2) else { return nil }
            dataSequence = sequence
            subflowSequence = UInt32(subflow)
            dataLevelLength = UInt16(length)
        }
    }
}

/// The walk over a header's option bytes that every reader shares: kind,
/// then length for all but end-of-list and no-operation; a length that
/// cannot be right ends it.
enum TCPOptionLayout {
    enum Element: Equatable {
        case endOfList
        case noOperation
        /// An option whose bytes are `at..<at + length`, kind and length included.
        case option(kind: UInt8, at: Int, length: Int)
        case malformed(kind: UInt8)
    }

    static func elements(_ bytes: [UInt8]) -> [Element] {
        var elements: [Element] = []
        var at = 0
        while at < bytes.count {
            let kind = bytes[at]
            if kind == 0 {
                elements.append(.endOfList)
                break
            }
            if kind == 1 {
                elements.append(.noOperation)
                at += 1
                continue
            }
            guard at + 1 < bytes.count, bytes[at + 1] >= 2, at + Int(bytes[at + 1]) <= bytes.count else {
                elements.append(.malformed(kind: kind))
                break
            }
            let length = Int(bytes[at + 1])
            elements.append(.option(kind: kind, at: at, length: length))
            at += length
        }
        return elements
    }
}
