/// A TCP segment the packet program matched (`struct vtap_segment`,
/// templates/vtap_qlog.h), decoded: qlog's input, live and in replay.
public struct TCPSegment: Sendable, Equatable {
    /// Which way the segment went at the interface it was seen on.
    public enum Direction: Sendable, Equatable {
        case received, sent
        /// A capture says nothing about it: the trace's vantage decides.
        case unknown
    }

    /// One side of a connection.
    public struct Endpoint: Sendable, Hashable, Comparable {
        public var address: String
        public var port: UInt16

        public init(_ address: String, _ port: UInt16) {
            self.address = address
            self.port = port
        }

        public static func < (lhs: Endpoint, rhs: Endpoint) -> Bool {
            (lhs.address, lhs.port) < (rhs.address, rhs.port)
        }
    }

    /// Nanoseconds since the epoch.
    public var nanoseconds: Int64
    public var rule: Int
    public var direction: Direction
    /// The interface's index; 0 in replay.
    public var interfaceIndex: UInt32
    /// 4 or 6.
    public var ipVersion: Int
    public var source: Endpoint
    public var destination: Endpoint
    public var sequence: UInt32
    public var acknowledgement: UInt32
    public var flags: TCPFlags
    /// As sent: not scaled by the window-scale option.
    public var window: UInt16
    /// Header bytes, options included.
    public var headerLength: Int
    public var payloadLength: Int
    /// The option bytes as they were on the wire (at most 40).
    public var options: [UInt8]

    public init(
        nanoseconds: Int64, rule: Int, direction: Direction, interfaceIndex: UInt32 = 0, ipVersion: Int,
        source: Endpoint, destination: Endpoint, sequence: UInt32, acknowledgement: UInt32, flags: TCPFlags,
        window: UInt16, headerLength: Int, payloadLength: Int, options: [UInt8] = []
    ) {
        self.nanoseconds = nanoseconds
        self.rule = rule
        self.direction = direction
        self.interfaceIndex = interfaceIndex
        self.ipVersion = ipVersion
        self.source = source
        self.destination = destination
        self.sequence = sequence
        self.acknowledgement = acknowledgement
        self.flags = flags
        self.window = window
        self.headerLength = headerLength
        self.payloadLength = payloadLength
        self.options = options
    }

    /// Sequence space the segment takes: its payload, plus one each for
    /// SYN and FIN.
    public var sequenceLength: UInt32 {
        UInt32(truncatingIfNeeded: payloadLength) &+ (flags.contains(.syn) ? 1 : 0) &+ (flags.contains(.fin) ? 1 : 0)
    }
}

/// The TCP header's flag bits.
public struct TCPFlags: OptionSet, Sendable, Hashable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let fin = TCPFlags(rawValue: 0x01)
    public static let syn = TCPFlags(rawValue: 0x02)
    public static let rst = TCPFlags(rawValue: 0x04)
    public static let psh = TCPFlags(rawValue: 0x08)
    public static let ack = TCPFlags(rawValue: 0x10)
    public static let urg = TCPFlags(rawValue: 0x20)
    public static let ece = TCPFlags(rawValue: 0x40)
    public static let cwr = TCPFlags(rawValue: 0x80)

    /// Names in the order the qlog prototype listed them ("SYN", "ACK";
    /// "PSH", "ACK"; "FIN", "ACK"): the flag that says what the segment is
    /// first, ACK after it.
    public static let named: [(flag: TCPFlags, name: String)] = [
        (.syn, "SYN"), (.fin, "FIN"), (.rst, "RST"), (.psh, "PSH"), (.ack, "ACK"), (.urg, "URG"), (.ece, "ECE"),
        (.cwr, "CWR"),
    ]

    public var names: [String] { Self.named.filter { contains($0.flag) }.map(\.name) }
}
