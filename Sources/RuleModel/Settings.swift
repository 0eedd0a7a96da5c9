/// Everything in a rules file besides RULES, checked and with defaults.
public struct Settings: Sendable, Hashable, Codable {
    /// Which measurements the console shows (the seed's DISPLAY).
    public struct Display: Sendable, Hashable, Codable {
        public var throughput: Bool
        public var goodput: Bool
        public var jitter: Bool
        public var sequenceErrors: Bool

        public init(throughput: Bool = true, goodput: Bool = true, jitter: Bool = true, sequenceErrors: Bool = true) {
            self.throughput = throughput
            self.goodput = goodput
            self.jitter = jitter
            self.sequenceErrors = sequenceErrors
        }
    }

    /// Where UDP and ICMP packets carry their sequence number. TCP always
    /// uses the sequence number of its header.
    public enum SequenceSource: Sendable, Hashable {
        /// PATTERN 0xFFFFFFFF with OFFSET -1, or no PATTERN: no tracking.
        case none
        /// PATTERN 0xFFFFFFFF with OFFSET n: 32-bit big-endian at payload offset n.
        case fixedOffset(Int)
        /// Any other PATTERN: search it in the first `Limits.patternSearchBytes`
        /// payload bytes; the number is at the pattern's start + offset.
        case pattern(UInt32, offset: Int)
    }

    /// Which packets an interface attachment counts.
    public enum Direction: String, Sendable, Hashable, Codable, CaseIterable {
        /// Received packets only (the seed excluded outgoing traffic).
        case ingress = "in"
        case egress = "out"
        case both
    }

    /// The KPIS section: per-connection KPIs read from the kernel's TCP
    /// state, and where they are exported.
    public struct KPIs: Sendable, Hashable, Codable {
        /// How IPFIX messages reach the collector.
        public enum Transport: String, Sendable, Hashable, Codable, CaseIterable {
            case udp, tcp
        }

        /// The IPFIX collector, `host:port` (`[v6]:port` for IPv6); nil:
        /// no export unless `vtap run --ipfix` names one.
        public var collector: String?
        public var transport: Transport
        public var observationDomain: UInt32
        /// Seconds between the records of a connection still open.
        public var exportIntervalSeconds: Int
        /// KPI histograms and counters on vtap's /metrics too.
        public var prometheus: Bool
        /// The KPIs the `KPI` list chose, sorted; nil when it is absent
        /// (every KPI).
        public var selected: [KPI]?

        /// What records carry, export and count.
        public var chosen: Set<KPI> { Set(selected ?? KPI.allCases) }

        public init(
            collector: String? = nil, transport: Transport = .udp, observationDomain: UInt32 = 1,
            exportIntervalSeconds: Int = Limits.defaultKPIExportSeconds, prometheus: Bool = true,
            selected: [KPI]? = nil
        ) {
            self.collector = collector
            self.transport = transport
            self.observationDomain = observationDomain
            self.exportIntervalSeconds = exportIntervalSeconds
            self.prometheus = prometheus
            self.selected = selected
        }
    }

    /// What the EVENTS section asks the kernel to log, and its limits.
    public struct Events: Sendable, Hashable, Codable {
        /// Klogger's levels: where in the stack an event is taken.
        public enum Level: String, Sendable, Hashable, Codable, CaseIterable, Comparable {
            /// Data handed to and taken from sockets (`sock:sock_send_length`, `sock:sock_recv_length`).
            case socket
            /// Connection state changes (`sock:inet_sock_set_state`).
            case connection
            /// Transport events: TCP retransmissions and resets (`tcp:*`).
            case `protocol`
            /// Device receive and transmit.
            case ip

            public static func < (lhs: Level, rhs: Level) -> Bool {
                allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
            }
        }

        /// In the order of `Level.allCases`, each once.
        public var levels: [Level]
        /// One qlog trace per connection.
        public var qlog: Bool
        /// In-stack latency histograms.
        public var latency: Bool
        /// The ring buffer's size in bytes: a power of two of at least a page.
        public var ringBufferBytes: Int
        /// Events over this many in one second (all CPUs) are dropped and
        /// counted; 0 for no cap.
        public var maxEventsPerSecond: Int

        public init(
            levels: [Level] = [], qlog: Bool = false, latency: Bool = false,
            ringBufferBytes: Int = Limits.defaultEventRingBytes,
            maxEventsPerSecond: Int = Limits.defaultMaxEventsPerSecond
        ) {
            self.levels = levels
            self.qlog = qlog
            self.latency = latency
            self.ringBufferBytes = ringBufferBytes
            self.maxEventsPerSecond = maxEventsPerSecond
        }
    }

    public var display: Display
    public var sequence: SequenceSource
    /// Largest forward gap still counted as a small sequence error.
    public var sequenceThreshold: UInt32
    public var monitorServer: Bool
    public var logData: Bool
    public var direction: Direction
    /// Entries of the per-flow sequence state (an LRU hash).
    public var flowTableSize: Int
    /// Nil without an EVENTS section: the object then has no event program.
    public var events: Events?
    /// Nil without a KPIS section: the object then has no KPI program.
    public var kpis: KPIs?

    public init(
        display: Display = Display(), sequence: SequenceSource = .none, sequenceThreshold: UInt32 = 2,
        monitorServer: Bool = false, logData: Bool = false, direction: Direction = .ingress,
        flowTableSize: Int = Limits.defaultFlowTableSize, events: Events? = nil, kpis: KPIs? = nil
    ) {
        self.kpis = kpis
        self.display = display
        self.sequence = sequence
        self.sequenceThreshold = sequenceThreshold
        self.monitorServer = monitorServer
        self.logData = logData
        self.direction = direction
        self.flowTableSize = flowTableSize
        self.events = events
    }
}

extension Settings.SequenceSource: Codable {
    enum CodingKeys: String, CodingKey { case mode, pattern, offset }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        switch try c.decode(String.self, forKey: .mode) {
        case "none": self = .none
        case "fixed_offset": self = .fixedOffset(try c.decode(Int.self, forKey: .offset))
        case "pattern":
            self = .pattern(
                try c.decode(UInt32.self, forKey: .pattern), offset: try c.decode(Int.self, forKey: .offset))
        case let other:
            throw DecodingError.dataCorruptedError(forKey: .mode, in: c, debugDescription: "unknown mode \(other)")
        }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .none:
            try c.encode("none", forKey: .mode)
        case .fixedOffset(let offset):
            try c.encode("fixed_offset", forKey: .mode)
            try c.encode(offset, forKey: .offset)
        case .pattern(let pattern, let offset):
            try c.encode("pattern", forKey: .mode)
            try c.encode(pattern, forKey: .pattern)
            try c.encode(offset, forKey: .offset)
        }
    }
}

/// Bounds the BPF program is built around; sema checks rules against them.
public enum Limits {
    /// PATTERN is searched in this many leading payload bytes.
    public static let patternSearchBytes = 5000
    /// Largest L4 payload of an IPv4 packet (65535 - 20 - 8).
    public static let maxPayloadBytes = 65507
    /// Highest OFFSET at which a 4-byte sequence number still fits a payload.
    public static let maxSequenceOffset = maxPayloadBytes - 4
    /// Lowest OFFSET relative to a pattern found at the end of the search window.
    public static let minPatternRelativeOffset = -(patternSearchBytes - 4)
    public static let defaultFlowTableSize = 65536
    public static let maxFlowTableSize = 1 << 24
    /// The events ring buffer: 256 KiB by default, from a page to 1 GiB.
    public static let defaultEventRingBytes = 1 << 18
    public static let eventRingBytes = 4096...(1 << 30)
    public static let defaultMaxEventsPerSecond = 100_000
    /// KPIS' EXPORT_INTERVAL: Flowcorder's default report period was 5 s
    /// (report_rate 0.2); IPFIX exporters commonly use 30 to 60 s.
    public static let defaultKPIExportSeconds = 30
    public static let kpiExportSeconds = 1...86_400
    public static let maxEventsPerSecond = 100_000_000
    /// Inter-arrival gaps above this restart the jitter series (seed rule).
    public static let jitterRestartGapNanoseconds: UInt64 = 2_000_000_000
    /// `--duration`: ten years, far below where seconds in nanoseconds
    /// overflow 64 bits (584 years).
    public static let maxDurationSeconds: Double = 10 * 365 * 86_400
    /// Rules files, objects and manifests are read whole: a 100,000-rule
    /// ClassBench set is a few MB, its object a few tens.
    public static let maxInputFileBytes = 1 << 28
}

/// The KPIs a KPIS section's `KPI` list chooses from (docs/kpis.md). A
/// record always has the connection's identity: its 5-tuple, rule,
/// start, establishment, end, duration and why it ended.
public enum KPI: String, Sendable, Hashable, Codable, CaseIterable, Comparable {
    /// Bytes sent, acknowledged and received.
    case bytes
    /// Segments in and out, and those carrying data.
    case segments
    case retransmissions
    /// Handshake, minimum, smoothed and maximum RTT.
    case rtt
    /// Reordering the sender saw, and segments received out of order.
    case reordering
    /// Segments the peer received twice (DSACK).
    case duplicates
    /// RTO-driven stalls.
    case stalls
    /// Resets sent and received.
    case resets
    /// The TCP state the connection left.
    case state
    /// The receive buffer at the start and at the record.
    case receiveBuffer = "receive_buffer"
    /// Subflows tied to their MPTCP connection, and the connection's own record.
    case mptcp

    public static func < (left: KPI, right: KPI) -> Bool {
        allCases.firstIndex(of: left) ?? 0 < allCases.firstIndex(of: right) ?? 0
    }
}
