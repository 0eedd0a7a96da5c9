/// The events' side of the object contract (templates/vtap_events.h):
/// what each `struct vtap_event` kind means and the slots of
/// `vtap_event_stats`. `ObjectContractTests` checks both against the
/// template's enums.
public enum EventKind: UInt32, CaseIterable, Sendable {
    case send = 1
    case receive = 2
    case state = 3
    case retransmit = 4
    case resetSent = 5
    case resetReceived = 6
    case ipReceive = 7
    case ipTransmit = 8
    /// A TCP segment the packet program matched, for qlog (`struct
    /// vtap_segment`, decoded as a `TCPSegment`).
    case segment = 9
    /// UDP and ICMP at the device (protocol level).
    case udpSend = 10
    case udpReceive = 11
    case icmpSend = 12
    case icmpReceive = 13
    /// TCP at the device (protocol level): the SYN, the SYN-ACK and the
    /// ACK that acknowledges it, each sent or received, and every other
    /// segment as a send or receive.
    case tcpSynSend = 14
    case tcpSynReceive = 15
    case tcpSynAckSend = 16
    case tcpSynAckReceive = 17
    case tcpAckSend = 18
    case tcpAckReceive = 19
    case tcpSend = 20
    case tcpReceive = 21
    /// A connection's KPIs (KPIS; `struct vtap_kpi`, decoded as a
    /// `ConnectionKPIs`).
    case kpi = 22

    /// The name in the events file and the template's constant less
    /// `VTAP_EVENT_`, in lower case.
    public var name: String {
        switch self {
        case .send: "send"
        case .receive: "receive"
        case .state: "state"
        case .retransmit: "retransmit"
        case .resetSent: "reset_sent"
        case .resetReceived: "reset_received"
        case .ipReceive: "ip_receive"
        case .ipTransmit: "ip_transmit"
        case .segment: "segment"
        case .udpSend: "udp_send"
        case .udpReceive: "udp_receive"
        case .icmpSend: "icmp_send"
        case .icmpReceive: "icmp_receive"
        case .tcpSynSend: "tcp_syn_send"
        case .tcpSynReceive: "tcp_syn_receive"
        case .tcpSynAckSend: "tcp_syn_ack_send"
        case .tcpSynAckReceive: "tcp_syn_ack_receive"
        case .tcpAckSend: "tcp_ack_send"
        case .tcpAckReceive: "tcp_ack_receive"
        case .tcpSend: "tcp_send"
        case .tcpReceive: "tcp_receive"
        case .kpi: "kpi"
        }
    }

    /// The LEVELS entry that asks for it; nil for qlog's segments.
    public var level: Settings.Events.Level? {
        switch self {
        case .send, .receive: .socket
        case .state: .connection
        case .retransmit, .resetSent, .resetReceived, .udpSend, .udpReceive, .icmpSend, .icmpReceive, .tcpSynSend,
            .tcpSynReceive, .tcpSynAckSend, .tcpSynAckReceive, .tcpAckSend, .tcpAckReceive, .tcpSend, .tcpReceive:
            .protocol
        case .ipReceive, .ipTransmit: .ip
        case .segment, .kpi: nil
        }
    }

    /// The `level` label of its exported count and events-file line.
    public var levelName: String { level?.rawValue ?? (self == .kpi ? "kpis" : "qlog") }
}

/// The slots of `vtap_event_stats` (`enum vtap_event_stat`).
public enum EventStatSlot: Int, CaseIterable, Sendable {
    /// Submitted to the ring buffer.
    case written = 0
    /// Not written: the ring buffer was full.
    case lost
    /// Not written: over MAX_EVENTS_PER_SECOND.
    case capped

    public var name: String {
        switch self {
        case .written: "written"
        case .lost: "lost"
        case .capped: "capped"
        }
    }
}

/// TCP states as the kernel numbers them (`include/net/tcp_states.h`), for
/// the connection level's state changes.
public enum TCPState: Int32, CaseIterable, Sendable {
    case established = 1
    case synSent, synReceived, finWait1, finWait2, timeWait, close, closeWait, lastAck, listen, closing
    case newSynReceived

    /// The name `ss` prints for a state as the kernel numbers it; the
    /// number itself for one this list does not know.
    public static func name(of value: Int32) -> String {
        TCPState(rawValue: value)?.name ?? String(value)
    }

    /// The name `ss` prints.
    public var name: String {
        switch self {
        case .established: "ESTABLISHED"
        case .synSent: "SYN_SENT"
        case .synReceived: "SYN_RECV"
        case .finWait1: "FIN_WAIT1"
        case .finWait2: "FIN_WAIT2"
        case .timeWait: "TIME_WAIT"
        case .close: "CLOSE"
        case .closeWait: "CLOSE_WAIT"
        case .lastAck: "LAST_ACK"
        case .listen: "LISTEN"
        case .closing: "CLOSING"
        case .newSynReceived: "NEW_SYN_RECV"
        }
    }
}

/// The stages of LATENCY (`enum vtap_latency_stage`, templates/vtap_latency.h).
public enum LatencyStage: Int, CaseIterable, Sendable {
    case deviceToTransport = 0
    case transportToCopy
    case queueToTransmit

    /// The template's constant less `VTAP_LATENCY_`, in lower case.
    public var name: String {
        switch self {
        case .deviceToTransport: "device_to_transport"
        case .transportToCopy: "transport_to_copy"
        case .queueToTransmit: "queue_to_transmit"
        }
    }

    /// log2 buckets per rule and stage (`VTAP_LATENCY_BUCKETS`).
    public static let buckets = 64
}

/// Why a KPI record was written (`enum vtap_kpi_end`, templates/vtap_kpi.h).
public enum KPIEnd: UInt16, CaseIterable, Sendable, Equatable {
    /// An interim record of a connection still open.
    case open = 0
    /// Closed without a reset.
    case fin = 1
    /// A reset was sent or received.
    case reset = 2
    /// Closed before its handshake completed.
    case notEstablished = 3

    public var name: String {
        switch self {
        case .open: "open"
        case .fin: "fin"
        case .reset: "reset"
        case .notEstablished: "not_established"
        }
    }
}

/// What a KPI record is of (`enum vtap_kpi_scope`, templates/vtap_kpi.h).
public enum KPIScope: UInt16, CaseIterable, Sendable, Equatable {
    /// A TCP connection.
    case tcp = 0
    /// An MPTCP subflow: a TCP connection of its own, under its MPTCP connection.
    case subflow = 1
    /// An MPTCP connection, written when its last followed subflow closes.
    case mptcp = 2

    public var name: String {
        switch self {
        case .tcp: "tcp"
        case .subflow: "subflow"
        case .mptcp: "mptcp"
        }
    }
}
