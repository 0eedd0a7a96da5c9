import VtapMetrics
import VtapRuleModel

/// The Prometheus type of a metric family.
public enum MetricType: String, Sendable {
    case counter, gauge, histogram
}

/// One metric family of the exporter's contract: its name, type, labels and
/// HELP text. Dashboards and alerts depend on these; change them as an API.
public struct MetricFamily: Sendable, Equatable {
    public var name: String
    public var type: MetricType
    /// Label names, in the order the series carry them.
    public var labels: [String]
    public var help: String
}

/// Every family the exporter serves, as one list: the stable contract.
///
/// Measurement series exist only at the finest grain (interface, protocol
/// class, rule), so `sum()` over any labels never counts a packet twice.
/// Unmatched and malformed traffic has its own names because it has no rule.
public enum MetricFamilies {
    static let series = ["interface", "protocol", "rule"]
    static let perInterface = ["interface"]

    private static func counter(_ name: String, _ labels: [String], _ help: String) -> MetricFamily {
        MetricFamily(name: name, type: .counter, labels: labels, help: help)
    }

    private static func gauge(_ name: String, _ labels: [String], _ help: String) -> MetricFamily {
        MetricFamily(name: name, type: .gauge, labels: labels, help: help)
    }

    // Per interface, protocol class and rule: one counter family per
    // exported family of the counter table, in its order, with a `kind`
    // label where several fields share one.
    public static let counters: [MetricFamily] = CounterLayout.families.map { family, fields in
        counter(family.name, fields.contains { $0.metric?.kind != nil } ? series + ["kind"] : series, family.help)
    }

    /// The family that exports a counter field's total.
    public static func family(of field: CounterField) -> MetricFamily? {
        guard let name = field.metric?.family.name else { return nil }
        return counters.first { $0.name == name }
    }

    public static let jitterMean = gauge(
        "vtap_jitter_mean_seconds", series, "Mean inter-arrival gap of the rule's packets in the last jitter window.")
    public static let jitterStddev = gauge(
        "vtap_jitter_stddev_seconds", series,
        "Population standard deviation of the inter-arrival gaps of the rule's packets in the last jitter window.")
    public static let sequenceLast = gauge(
        "vtap_sequence_last", series, "The last sequence number checked.")

    // Per interface and protocol class: gaps between consecutive packets of
    // the class, whatever rule they matched, which no per-rule series gives.
    public static let protocolJitterMean = gauge(
        "vtap_protocol_jitter_mean_seconds", ["interface", "protocol"],
        "Mean inter-arrival gap of the protocol class's matched packets in the last jitter window.")
    public static let protocolJitterStddev = gauge(
        "vtap_protocol_jitter_stddev_seconds", ["interface", "protocol"],
        "Population standard deviation of the inter-arrival gaps of the protocol class's matched packets "
            + "in the last jitter window.")

    // Per interface: traffic that no rule counted.
    public static let unmatchedPackets = counter(
        "vtap_unmatched_packets_total", perInterface, "Parsed frames no rule matched, non-IP frames included.")
    public static let unmatchedBytes = counter(
        "vtap_unmatched_bytes_total", perInterface, "Frame bytes of the frames no rule matched, non-IP frames included."
    )
    public static let nonIPPackets = counter(
        "vtap_non_ip_packets_total", perInterface,
        "Frames that were neither IPv4 nor IPv6 (also counted in vtap_unmatched_packets_total).")
    public static let nonIPBytes = counter(
        "vtap_non_ip_bytes_total", perInterface,
        "Frame bytes of the non-IP frames (also counted in vtap_unmatched_bytes_total).")
    public static let otherDirectionPackets = counter(
        "vtap_other_direction_packets_total", perInterface, "Frames seen in the direction that is not counted.")
    public static let malformedPackets = counter(
        "vtap_malformed_packets_total", ["interface", "reason"],
        "Frames that could not be parsed, by reason: l2, vlan_depth, ip_header, ip_length, ipv6_ext, l4.")

    // Per interface: the LRU flow tables, which the kernel evicts from silently.
    public static let flowsHeld = gauge(
        "vtap_flows", ["interface", "table"],
        "Flows a table holds: sequence (per-flow sequence state, FLOW_TABLE_SIZE) or view (vtap run --flows).")
    public static let flowsEvicted = counter(
        "vtap_flows_evicted_total", ["interface", "table"],
        "Flows evicted from a full table to make room (the flows it gained less those it holds); an evicted "
            + "flow's sequence tracking starts afresh, the rules' counts stay whole.")

    // Events (the rules file's EVENTS), present only for an object with them.
    public static let events = counter(
        "vtap_events_total", ["level", "event"], "Kernel events read from the ring buffer, by level and event.")
    public static let eventsDropped = counter(
        "vtap_events_dropped_total", ["reason"],
        "Events the programs did not write: ring_full (the ring buffer was full), cap (over MAX_EVENTS_PER_SECOND).")

    public static let stackLatency = MetricFamily(
        name: "vtap_stack_latency_seconds", type: .histogram, labels: ["rule", "stage"],
        help: "Time a packet the rule selects spent between two points of the kernel's stack (LATENCY), by stage.")
    public static let stackDrops = counter(
        "vtap_stack_drops_total", ["rule", "stage", "reason"],
        "Packets the rule selects that the kernel dropped (LATENCY), by the stage they were in and the kernel's "
            + "drop reason (as the kfree_skb tracepoint names it).")

    // KPIS: the connections that closed, per rule.
    public static let kpiConnections = counter(
        "vtap_kpi_connections_total", ["rule", "end"],
        "TCP connections the rule selects that closed, by how: fin, reset or not_established (KPIS).")
    public static let kpiRetransmissions = counter(
        "vtap_kpi_retransmissions_total", ["rule"],
        "Segments the closed connections retransmitted (the kernel's total_retrans of each).")
    public static let kpiRTT = MetricFamily(
        name: "vtap_kpi_rtt_seconds", type: .histogram, labels: ["rule"],
        help: "The closed connections' smoothed RTT at their close (the kernel's srtt).")
    public static let kpiDuration = MetricFamily(
        name: "vtap_kpi_duration_seconds", type: .histogram, labels: ["rule"],
        help: "The closed connections' durations, from vtap's first sight of each to its close.")
    public static let kpiMPTCPConnections = counter(
        "vtap_kpi_mptcp_connections_total", ["rule"],
        "MPTCP connections whose subflows the rule selects that closed (their subflows count as TCP connections).")
    public static let kpiMPTCPSubflows = counter(
        "vtap_kpi_mptcp_subflows_total", ["rule"], "Subflows of the closed MPTCP connections (the kernel's count).")
    public static let kpiMPTCPReinjected = counter(
        "vtap_kpi_mptcp_reinjected_bytes_total", ["rule"],
        "Bytes the closed MPTCP connections sent again on another subflow (the kernel's bytes_retrans).")

    // The programs themselves, from the kernel's run-time statistics.
    public static let programRuns = counter(
        "vtap_program_runs_total", ["program", "interface"],
        "Times the program ran (the packet program once per frame the interface saw), while statistics were on.")
    public static let programRunSeconds = counter(
        "vtap_program_run_seconds_total", ["program", "interface"],
        "Time spent in the program, in all; divided by vtap_program_runs_total, the cost of one run.")

    // The exporter itself.
    public static let buildInfo = gauge(
        "vtap_build_info", ["version"], "Always 1; the version label names the vtap build.")
    public static let mapReadErrors = counter(
        "vtap_map_read_errors_total", [],
        "Reads of the BPF maps that failed; the scrapes sharing such a read served no measurements.")
    public static let scrapeDuration = MetricFamily(
        name: "vtap_scrape_duration_seconds", type: .histogram, labels: [],
        help: "Time taken to read the maps and produce a /metrics response.")
    public static let rules = gauge("vtap_rules", [], "Rules in the loaded ruleset.")
    public static let interfaces = gauge("vtap_interfaces", [], "Interfaces measured, in the last successful read.")

    /// Every family, measurement families first.
    public static let all: [MetricFamily] =
        counters + [
            jitterMean, jitterStddev, sequenceLast,
            protocolJitterMean, protocolJitterStddev,
            unmatchedPackets, unmatchedBytes, nonIPPackets, nonIPBytes, otherDirectionPackets, malformedPackets,
            flowsHeld, flowsEvicted, events, eventsDropped, stackLatency, stackDrops, kpiConnections,
            kpiRetransmissions, kpiRTT, kpiDuration,
            kpiMPTCPConnections, kpiMPTCPSubflows, kpiMPTCPReinjected,
            programRuns, programRunSeconds,
            buildInfo, mapReadErrors, scrapeDuration, rules, interfaces,
        ]

    /// `vtap_totals` slots exported as malformed reasons, with the reason
    /// label (the slot name without "malformed_"). The plain "malformed"
    /// slot is their sum and is left out.
    static let malformedReasons: [(slot: TotalSlot, reason: String)] = TotalSlot.allCases
        .filter { $0.name.hasPrefix(malformedPrefix) }
        .map { ($0, String($0.name.dropFirst(malformedPrefix.count))) }
    private static let malformedPrefix = "malformed_"
}
