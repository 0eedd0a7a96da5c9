/// The contract between the BPF template and every runtime: names, slots
/// and configuration values that both sides spell. Each is typed here once;
/// `ObjectContractTests` checks them against the template's own enums.
public enum ObjectContract {
    public static let programName = "vtap_measure"
    /// The TC programs (`vtap run --attach tc`, through TCX links): the same
    /// code, one per direction. Not in objects built before them.
    public static let tcIngressProgramName = "vtap_measure_tc_ingress"
    public static let tcEgressProgramName = "vtap_measure_tc_egress"
    /// The XDP program (`vtap run --attach xdp`): the same code again,
    /// loaded with ``xdpConfig`` set, since an XDP context is not an skb.
    public static let xdpProgramName = "vtap_measure_xdp"
    /// Every packet program of an object, in the template's order, with
    /// where it attaches as the manifest names it.
    public static let packetPrograms: [(name: String, attach: String)] = [
        (programName, "af_packet_socket"), (tcIngressProgramName, "tcx_ingress"),
        (tcEgressProgramName, "tcx_egress"), (xdpProgramName, "xdp"),
    ]
    public static let packetProgramNames = packetPrograms.map(\.name)
    public static let ruleStatsMap = "vtap_rule_stats"
    public static let protocolStatsMap = "vtap_protocol_stats"
    public static let totalsMap = "vtap_totals"
    public static let arrivalsMap = "vtap_arrivals"
    public static let flowsMap = "vtap_flows"
    /// Per rule and flow (vtap run --flows); not in objects of vtapc 0.1.0
    /// before it, whose totals also lack the flows-started slots.
    public static let flowViewMap = "vtap_flow_view"
    public static let flowViewKeyStruct = "vtap_flow_view_key"
    public static let flowCountersStruct = "vtap_flow_counters"
    public static let flowKeyStruct = "vtap_flow_key"
    public static let scratchMap = "vtap_scratch"
    /// Only in objects that match with the decision table.
    public static let walkMap = "vtap_walk"
    /// Only in objects built with EVENTS (templates/vtap_events.h).
    public static let eventsMap = "vtap_events"
    public static let eventStatsMap = "vtap_event_stats"
    public static let eventRateMap = "vtap_event_rate"
    public static let eventStruct = "vtap_event"
    /// Only with QLOG: the packet program's TCP segments (templates/vtap_qlog.h).
    public static let segmentStruct = "vtap_segment"
    /// Only with KPIS: a connection's KPIs (templates/vtap_kpi.h).
    public static let kpiStruct = "vtap_kpi"
    public static let kpiSocketsMap = "vtap_kpi_sockets"
    /// Only with the protocol level: SYN-ACKs waiting for their ACK.
    public static let handshakesMap = "vtap_handshakes"
    /// Only with LATENCY (templates/vtap_latency.h).
    public static let latencyMap = "vtap_latency"
    public static let latencyZeroMap = "vtap_latency_zero"
    public static let latencyMarksMap = "vtap_latency_marks"
    public static let latencyDropsMap = "vtap_latency_drops"
    public static let latencyDropKeyStruct = "vtap_latency_drop_key"
    /// The section prefix of the event programs (raw tracepoints, attached
    /// by name); the rest names the tracepoint.
    public static let tracepointSectionPrefix = "raw_tracepoint/"
    public static let countersStruct = "vtap_counters"
    public static let tallyStruct = "vtap_tally"
    public static let replayGlobal = "vtap_replay"
    public static let replayConfig = "vtap_cfg_replay"
    public static let linkConfig = "vtap_cfg_link"
    public static let directionConfig = "vtap_cfg_direction"
    public static let verdictConfig = "vtap_cfg_verdict"
    public static let flowViewConfig = "vtap_cfg_flow_view"
    /// 1 when the XDP program is the one loaded: frames are read with the
    /// XDP helpers, and skb fields are not touched.
    public static let xdpConfig = "vtap_cfg_xdp"
    /// The read-only globals a packet program needs set to measure, which
    /// the object's other programs cannot load with: whoever loads it (vtap
    /// run, vtapc's verifier dry-run) loads it apart, with these.
    public static let programGlobals: [String: [String: UInt32]] = [xdpProgramName: [xdpConfig: 1]]
    /// Set in a verdict: the rest is the vtap_totals slot of the reason.
    public static let malformedVerdictBit: UInt32 = 0x8000_0000

    /// Slot names of vtap_totals, in the template's order, as the manifest lists them.
    public static let totals = TotalSlot.allCases.map(\.name)

    /// The maps every vtap object has, with what they hold.
    public static let mapRoles: [String: (role: String, key: String, value: String?)] = [
        ruleStatsMap: ("rule_counters", "rule index × 4 + protocol class (see slots.protocols)", countersStruct),
        protocolStatsMap: ("protocol_counters", "protocol class (see slots.protocols)", countersStruct),
        totalsMap: ("totals", "slot (see slots.totals)", tallyStruct),
        arrivalsMap: ("last_arrival_ns", "rule index, then rule count + protocol class", nil),
        flowsMap: ("flow_sequence_state", "vtap_flow_key", "vtap_flow_state"),
        flowViewMap: ("flow_counters", "vtap_flow_view_key (flow, rule index)", "vtap_flow_counters"),
        scratchMap: ("pattern_scan_window", "0", nil),
        walkMap: ("decision_table_walk", "0", nil),
        eventsMap: ("events", "ring buffer of struct vtap_event", eventStruct),
        eventStatsMap: ("event_counters", "slot (see slots.events)", nil),
        eventRateMap: ("event_rate_window", "0", nil),
        latencyMap: ("stack_latency_histogram", "vtap_latency_key (rule, stage)", "vtap_latency_histogram"),
        latencyZeroMap: ("stack_latency_empty_histogram", "0", "vtap_latency_histogram"),
        latencyMarksMap: ("stack_latency_marks", "skb address", "vtap_latency_mark"),
        kpiSocketsMap: ("kpi_connections", "socket address", "vtap_kpi_state"),
        handshakesMap: ("tcp_handshakes_waiting", "vtap_handshake_key", "vtap_handshake_wait"),
        latencyDropsMap: ("stack_drops", "vtap_latency_drop_key (rule, stage, kernel drop reason)", nil),
    ]
}

/// The slots of `vtap_totals` (`enum vtap_total_slot` in templates/vtap_maps.h).
public enum TotalSlot: Int, CaseIterable, Sendable {
    /// Parsed, no rule matched (non-IP included).
    case unmatched = 0
    /// Of the unmatched, not IPv4 or IPv6.
    case nonIP
    /// Any of the malformed reasons below.
    case malformed
    /// Seen, but not in the counted direction.
    case otherDirection
    case malformedL2
    case malformedVLANDepth
    case malformedIPHeader
    case malformedIPLength
    case malformedIPv6Extension
    case malformedL4
    /// Entries vtap_flows gained (in `packets`); less what it holds, what it evicted.
    case flowsStarted
    /// The same for vtap_flow_view.
    case flowViewStarted

    /// The manifest's and the exporter's name: the template's constant in lower case.
    public var name: String {
        switch self {
        case .unmatched: "unmatched"
        case .nonIP: "non_ip"
        case .malformed: "malformed"
        case .otherDirection: "other_direction"
        case .malformedL2: "malformed_l2"
        case .malformedVLANDepth: "malformed_vlan_depth"
        case .malformedIPHeader: "malformed_ip_header"
        case .malformedIPLength: "malformed_ip_length"
        case .malformedIPv6Extension: "malformed_ipv6_ext"
        case .malformedL4: "malformed_l4"
        case .flowsStarted: "flows_started"
        case .flowViewStarted: "flow_view_started"
        }
    }
}

extension Settings.Direction {
    /// The value of `vtap_cfg_direction` (`VTAP_DIRECTION_*` in the template).
    public var contractValue: UInt32 {
        switch self {
        case .ingress: 0
        case .egress: 1
        case .both: 2
        }
    }
}
