import VtapRuleModel

/// One TCP connection's KPIs, read from the kernel's own state (KPIS;
/// `struct vtap_kpi`, templates/vtap_kpi.h). docs/kpis.md defines each.
public struct ConnectionKPIs: Sendable, Equatable {
    /// Why the record was written (`enum vtap_kpi_end`).
    public typealias End = KPIEnd

    /// The socket's kernel address: every record of one connection has it.
    public var socket: UInt64
    public var rule: Int
    /// Nanoseconds since the epoch: when the record was written, when
    /// vtap first saw the connection, and when it was established (nil if
    /// never).
    public var nanoseconds: Int64
    public var startNanoseconds: Int64
    public var establishedNanoseconds: Int64?
    public var end: End
    /// The TCP state the connection left at its close (an interim
    /// record's is ESTABLISHED).
    public var state: Int
    public var ipVersion: Int
    public var localAddress: String
    public var localPort: UInt16
    public var remoteAddress: String
    public var remotePort: UInt16
    public var bytesSent: UInt64
    public var bytesAcked: UInt64
    public var bytesReceived: UInt64
    public var segmentsIn: UInt32
    public var segmentsOut: UInt32
    public var dataSegmentsIn: UInt32
    public var dataSegmentsOut: UInt32
    public var retransmissions: UInt32
    public var smoothedRTTMicroseconds: UInt32
    public var minimumRTTMicroseconds: UInt32
    public var maximumRTTMicroseconds: UInt32
    public var handshakeRTTMicroseconds: UInt32
    public var reorderingSeen: UInt32
    public var duplicateSegments: UInt32
    public var outOfOrderReceived: UInt32
    public var stalls: UInt16
    public var resetsSent: UInt16
    public var resetsReceived: UInt16
    public var receiveBufferStart: UInt32
    public var receiveBufferEnd: UInt32
    /// Nil for a plain TCP connection.
    public var mptcp: MPTCP?

    /// An MPTCP subflow's or connection's own values (docs/kpis.md).
    public struct MPTCP: Sendable, Equatable {
        public var scope: KPIScope
        /// The MPTCP connection's local token: a connection and its
        /// subflows share it.
        public var token: UInt32
        /// A subflow's number in its connection (the kernel's
        /// subflow_id, from 1); 0 in the connection's record.
        public var pathIndex: UInt16
        /// The connection's subflows, however many the kernel created; 0
        /// in a subflow's record.
        public var subflows: UInt16
        /// Bytes the connection sent again on another subflow (the
        /// kernel's bytes_retrans); 0 in a subflow's record.
        public var reinjectedBytes: UInt64

        public init(scope: KPIScope, token: UInt32, pathIndex: UInt16, subflows: UInt16, reinjectedBytes: UInt64) {
            self.scope = scope
            self.token = token
            self.pathIndex = pathIndex
            self.subflows = subflows
            self.reinjectedBytes = reinjectedBytes
        }
    }

    /// What the record is of.
    public var scope: KPIScope { mptcp?.scope ?? .tcp }

    public init(
        socket: UInt64, rule: Int, nanoseconds: Int64, startNanoseconds: Int64, establishedNanoseconds: Int64?,
        end: End, state: Int, ipVersion: Int, localAddress: String, localPort: UInt16, remoteAddress: String,
        remotePort: UInt16, bytesSent: UInt64 = 0, bytesAcked: UInt64 = 0, bytesReceived: UInt64 = 0,
        segmentsIn: UInt32 = 0, segmentsOut: UInt32 = 0, dataSegmentsIn: UInt32 = 0, dataSegmentsOut: UInt32 = 0,
        retransmissions: UInt32 = 0, smoothedRTTMicroseconds: UInt32 = 0, minimumRTTMicroseconds: UInt32 = 0,
        maximumRTTMicroseconds: UInt32 = 0, handshakeRTTMicroseconds: UInt32 = 0, reorderingSeen: UInt32 = 0,
        duplicateSegments: UInt32 = 0, outOfOrderReceived: UInt32 = 0, stalls: UInt16 = 0, resetsSent: UInt16 = 0,
        resetsReceived: UInt16 = 0, receiveBufferStart: UInt32 = 0, receiveBufferEnd: UInt32 = 0,
        mptcp: MPTCP? = nil
    ) {
        self.socket = socket
        self.rule = rule
        self.nanoseconds = nanoseconds
        self.startNanoseconds = startNanoseconds
        self.establishedNanoseconds = establishedNanoseconds
        self.end = end
        self.state = state
        self.ipVersion = ipVersion
        self.localAddress = localAddress
        self.localPort = localPort
        self.remoteAddress = remoteAddress
        self.remotePort = remotePort
        self.bytesSent = bytesSent
        self.bytesAcked = bytesAcked
        self.bytesReceived = bytesReceived
        self.segmentsIn = segmentsIn
        self.segmentsOut = segmentsOut
        self.dataSegmentsIn = dataSegmentsIn
        self.dataSegmentsOut = dataSegmentsOut
        self.retransmissions = retransmissions
        self.smoothedRTTMicroseconds = smoothedRTTMicroseconds
        self.minimumRTTMicroseconds = minimumRTTMicroseconds
        self.maximumRTTMicroseconds = maximumRTTMicroseconds
        self.handshakeRTTMicroseconds = handshakeRTTMicroseconds
        self.reorderingSeen = reorderingSeen
        self.duplicateSegments = duplicateSegments
        self.outOfOrderReceived = outOfOrderReceived
        self.stalls = stalls
        self.resetsSent = resetsSent
        self.resetsReceived = resetsReceived
        self.receiveBufferStart = receiveBufferStart
        self.receiveBufferEnd = receiveBufferEnd
        self.mptcp = mptcp
    }

    /// From the first sight of the connection to this record.
    public var durationNanoseconds: Int64 { max(0, nanoseconds - startNanoseconds) }
}

/// The closed connections' KPIs per rule, for Prometheus (KPIS'
/// PROMETHEUS): TCP connections (MPTCP subflows among them) by how they
/// ended, their retransmissions, and histograms of their smoothed RTT
/// and duration; MPTCP connections apart. Interim records are left out,
/// so that no connection counts twice.
public struct KPITally: Sendable, Equatable {
    /// Upper bounds, in seconds.
    public static let rttBounds: [Double] = [0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5]
    public static let durationBounds: [Double] = [0.01, 0.1, 1, 10, 60, 300, 1800, 3600]

    public struct Histogram: Sendable, Equatable {
        /// Per bound, the samples at or below it (not cumulative).
        public var counts: [UInt64]
        public var sum: Double = 0
        public var count: UInt64 = 0

        init(bounds: Int) { counts = Array(repeating: 0, count: bounds) }

        mutating func add(_ value: Double, bounds: [Double]) {
            if let index = bounds.firstIndex(where: { value <= $0 }) { counts[index] += 1 }
            sum += value
            count += 1
        }

        /// Cumulative, as Prometheus' buckets are.
        public func buckets(_ bounds: [Double]) -> [(upperBound: Double, count: UInt64)] {
            var running: UInt64 = 0
            return zip(bounds, counts).map { bound, count in
                running += count
                return (bound, running)
            }
        }
    }

    public struct Rule: Sendable, Equatable {
        public var connections: [ConnectionKPIs.End: UInt64] = [:]
        public var retransmissions: UInt64 = 0
        public var rtt = Histogram(bounds: KPITally.rttBounds.count)
        public var duration = Histogram(bounds: KPITally.durationBounds.count)
        /// Closed MPTCP connections, their subflows and reinjected bytes
        /// (their subflows are counted above, as TCP connections).
        public var mptcpConnections: UInt64 = 0
        public var mptcpSubflows: UInt64 = 0
        public var reinjectedBytes: UInt64 = 0
    }

    public private(set) var rules: [Int: Rule] = [:]
    /// The KPIs the KPIS section chose: Prometheus shows the families of
    /// these (connections and durations always).
    public let chosen: Set<KPI>

    public init(_ chosen: Set<KPI> = Set(KPI.allCases)) { self.chosen = chosen }

    /// Every rule's closed connections, however they ended.
    public var closedConnections: UInt64 {
        rules.values.reduce(0) { $0 + $1.connections.values.reduce(0, +) }
    }

    public mutating func add(_ record: ConnectionKPIs) {
        guard record.end != .open else { return }
        var rule = rules[record.rule] ?? Rule()
        if let mptcp = record.mptcp, mptcp.scope == .mptcp {
            rule.mptcpConnections += 1
            rule.mptcpSubflows += UInt64(mptcp.subflows)
            rule.reinjectedBytes += mptcp.reinjectedBytes
            rules[record.rule] = rule
            return
        }
        rule.connections[record.end, default: 0] += 1
        rule.retransmissions += UInt64(record.retransmissions)
        if record.establishedNanoseconds != nil {
            rule.rtt.add(Double(record.smoothedRTTMicroseconds) / 1e6, bounds: Self.rttBounds)
        }
        rule.duration.add(Double(record.durationNanoseconds) / 1e9, bounds: Self.durationBounds)
        rules[record.rule] = rule
    }
}
