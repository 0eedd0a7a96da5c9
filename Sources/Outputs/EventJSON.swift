import VtapMetrics
import VtapRuleModel

/// Kernel events as JSON lines (`vtap run --events FILE`), keys in a fixed
/// order: `time` (RFC 3339, ms), `time_ns` (nanoseconds since the epoch),
/// `level`, `event`, `rule` (index), `rule_label`, `cpu`, `pid`, `tid`,
/// `comm`, `ip`, `protocol`, `local`, `local_port`, `remote`,
/// `remote_port`, `socket` (the kernel address, hex), then the event's own
/// keys (docs/events.md).
public struct EventJSON: Sendable {
    private let labels: [String]
    /// Added to the BPF clock to give the wall clock.
    private let monotonicToEpoch: Int64
    /// The KPIs the object's KPIS section chose: a KPI record has their keys only.
    private let kpis: Set<KPI>

    public init(manifest: Manifest, monotonicToEpochNanoseconds: Int64) {
        labels = manifest.rules.map(\.label)
        monotonicToEpoch = monotonicToEpochNanoseconds
        kpis = manifest.settings.kpis?.chosen ?? Set(KPI.allCases)
    }

    public func line(_ event: KernelEvent) -> String {
        let epoch = Int64(clamping: event.monotonicNanoseconds) &+ monotonicToEpoch
        return record(level: event.kind.levelName, at: ReportTime(nanosecondsSinceEpoch: epoch)) {
            $0.key("event") { $0.string(event.kind.name) }
            Self.rule(event.rule, labels: labels, into: &$0)
            $0.key("cpu") { $0.integer(event.cpu) }
            $0.key("pid") { $0.integer(event.pid) }
            $0.key("tid") { $0.integer(event.tid) }
            $0.key("comm") { $0.string(event.command) }
            $0.key("ip") { $0.integer(event.ipVersion) }
            $0.key("protocol") { json in
                json.string(
                    event.ipProtocol <= 255 ? IPProtocol.name(of: UInt8(event.ipProtocol)) : "\(event.ipProtocol)")
            }
            $0.key("local") { $0.string(event.localAddress) }
            $0.key("local_port") { $0.integer(event.localPort) }
            $0.key("remote") { $0.string(event.remoteAddress) }
            $0.key("remote_port") { $0.integer(event.remotePort) }
            $0.key("socket") { $0.string("0x" + String(event.socket, radix: 16)) }
            Self.details(event, into: &$0)
        }
    }

    /// LATENCY's summary of one rule and stage, written when the run ends:
    /// `level` "latency", `rule`, `rule_label`, `stage`, `samples`, the
    /// bucket bounds the percentiles are under (`p50_ns`, `p90_ns`,
    /// `p99_ns`, `max_ns`), and the log2 `buckets` themselves.
    public func latencyLine(_ histogram: StackLatency, at time: ReportTime) -> String {
        record(level: "latency", at: time) { Self.latency(histogram, labels: labels, into: &$0) }
    }

    /// One line of the events file: its time, its level, then `body`'s keys.
    private func record(
        level: String, at time: ReportTime, _ body: (inout JSONText.Members) -> Void
    ) -> String {
        var out = JSONText()
        out.object {
            $0.key("time") { $0.string(time.rfc3339) }
            $0.key("time_ns") { $0.integer(time.nanosecondsSinceEpoch) }
            $0.key("level") { $0.string(level) }
            body(&$0)
        }
        return out.text
    }

    /// `rule` and `rule_label` (null for an index the manifest lacks).
    private static func rule(_ index: Int, labels: [String], into members: inout JSONText.Members) {
        members.key("rule") { $0.integer(index) }
        members.key("rule_label") { json in
            labels.indices.contains(index) ? json.string(labels[index]) : json.null()
        }
    }

    /// A histogram's keys, as the events file and the JSON report's
    /// summary write them: `rule`, `rule_label`, `stage`, `samples`, the
    /// percentile bounds, `max_ns`, `buckets`.
    static func latency(_ histogram: StackLatency, labels: [String], into members: inout JSONText.Members) {
        rule(histogram.rule, labels: labels, into: &members)
        members.key("stage") { $0.string(histogram.stage.name) }
        members.key("samples") { $0.integer(histogram.samples) }
        for (name, quantile) in StackLatency.reportedQuantiles {
            members.key("\(name)_ns") { json in
                histogram.upperBound(quantile: quantile).map { json.integer($0) } ?? json.null()
            }
        }
        members.key("max_ns") { json in histogram.maximumBound.map { json.integer($0) } ?? json.null() }
        members.key("buckets") { $0.array(histogram.buckets) { $0.integer($1) } }
    }

    /// LATENCY's drops of one rule, stage and reason, written when the run
    /// ends: `level` "drop" and the keys of ``drop(_:labels:into:)``.
    public func dropLine(_ drop: StackDrop, at time: ReportTime) -> String {
        record(level: "drop", at: time) { Self.drop(drop, labels: labels, into: &$0) }
    }

    /// A connection's KPIs (KPIS), when it closes and at each export
    /// interval while open: `level` "kpis", `event` "connection", the
    /// rule, the 5-tuple (local side first), and the KPIs docs/kpis.md defines.
    public func kpiLine(_ k: ConnectionKPIs) -> String {
        record(level: "kpis", at: ReportTime(nanosecondsSinceEpoch: k.nanoseconds)) {
            $0.key("event") { $0.string("connection") }
            Self.rule(k.rule, labels: labels, into: &$0)
            $0.key("ip") { $0.integer(k.ipVersion) }
            $0.key("protocol") { $0.string("TCP") }
            $0.key("local") { $0.string(k.localAddress) }
            $0.key("local_port") { $0.integer(k.localPort) }
            $0.key("remote") { $0.string(k.remoteAddress) }
            $0.key("remote_port") { $0.integer(k.remotePort) }
            $0.key("socket") { $0.string("0x" + String(k.socket, radix: 16)) }
            $0.key("end") { $0.string(k.end.name) }
            if kpis.contains(.state) { $0.key("state") { $0.string(TCPState.name(of: Int32(k.state))) } }
            $0.key("start_ns") { $0.integer(k.startNanoseconds) }
            $0.key("established_ns") { json in k.establishedNanoseconds.map { json.integer($0) } ?? json.null() }
            $0.key("duration_ns") { $0.integer(k.durationNanoseconds) }
            if kpis.contains(.bytes) {
                $0.key("bytes_sent") { $0.integer(k.bytesSent) }
                $0.key("bytes_acked") { $0.integer(k.bytesAcked) }
                $0.key("bytes_received") { $0.integer(k.bytesReceived) }
            }
            if kpis.contains(.segments) {
                $0.key("segments_in") { $0.integer(k.segmentsIn) }
                $0.key("segments_out") { $0.integer(k.segmentsOut) }
                $0.key("data_segments_in") { $0.integer(k.dataSegmentsIn) }
                $0.key("data_segments_out") { $0.integer(k.dataSegmentsOut) }
            }
            if kpis.contains(.retransmissions) { $0.key("retransmissions") { $0.integer(k.retransmissions) } }
            if kpis.contains(.rtt) {
                $0.key("handshake_rtt_us") { $0.integer(k.handshakeRTTMicroseconds) }
                $0.key("rtt_min_us") { $0.integer(k.minimumRTTMicroseconds) }
                $0.key("rtt_smoothed_us") { $0.integer(k.smoothedRTTMicroseconds) }
                $0.key("rtt_max_us") { $0.integer(k.maximumRTTMicroseconds) }
            }
            if kpis.contains(.reordering) {
                $0.key("reordering") { $0.integer(k.reorderingSeen) }
                $0.key("out_of_order") { $0.integer(k.outOfOrderReceived) }
            }
            if kpis.contains(.duplicates) { $0.key("duplicates") { $0.integer(k.duplicateSegments) } }
            if kpis.contains(.stalls) { $0.key("stalls") { $0.integer(k.stalls) } }
            if kpis.contains(.resets) {
                $0.key("resets_sent") { $0.integer(k.resetsSent) }
                $0.key("resets_received") { $0.integer(k.resetsReceived) }
            }
            if kpis.contains(.receiveBuffer) {
                $0.key("rcvbuf_start") { $0.integer(k.receiveBufferStart) }
                $0.key("rcvbuf_end") { $0.integer(k.receiveBufferEnd) }
            }
            $0.key("scope") { $0.string(k.scope.name) }
            if let mptcp = k.mptcp {
                // As ss prints it: the token in hex.
                $0.key("mptcp_token") { $0.string(String(mptcp.token, radix: 16)) }
                $0.key("path_index") { $0.integer(mptcp.pathIndex) }
                $0.key("subflows") { $0.integer(mptcp.subflows) }
                $0.key("reinjected_bytes") { $0.integer(mptcp.reinjectedBytes) }
            }
        }
    }

    /// A drop count's keys, as the events file and the JSON report's
    /// summary write them: `rule`, `rule_label`, `stage`, `reason` (the
    /// kernel's name), `reason_code`, `packets`.
    static func drop(_ drop: StackDrop, labels: [String], into members: inout JSONText.Members) {
        rule(drop.rule, labels: labels, into: &members)
        members.key("stage") { $0.string(drop.stage.name) }
        members.key("reason") { $0.string(drop.reasonName) }
        members.key("reason_code") { $0.integer(drop.reason) }
        members.key("packets") { $0.integer(drop.packets) }
    }

    private static func details(_ event: KernelEvent, into members: inout JSONText.Members) {
        switch event.kind {
        case .send, .receive:
            if event.value >= 0 {
                members.key("bytes") { $0.integer(event.value) }
            } else {
                members.key("error") { $0.integer(-event.value) }
            }
            members.key("flags") { $0.integer(event.detail) }
        case .state:
            members.key("from") { $0.string(TCPState.name(of: event.detail)) }
            members.key("to") { $0.string(TCPState.name(of: event.value)) }
        case .retransmit:
            members.key("state") { $0.string(TCPState.name(of: event.detail)) }
            members.key("error") { $0.integer(-event.value) }
        case .resetSent:
            members.key("state") { $0.string(TCPState.name(of: event.value)) }
            members.key("reason") { $0.integer(event.detail) }
        case .resetReceived:
            break
        case .segment, .kpi:
            break  // decoded as a TCPSegment or ConnectionKPIs, never a KernelEvent
        case .ipReceive, .ipTransmit, .udpSend, .udpReceive:
            members.key("length") { $0.integer(event.value) }
            members.key("ifindex") { $0.integer(event.detail) }
        case .icmpSend, .icmpReceive:
            members.key("length") { $0.integer(event.value) }
            members.key("type") { $0.integer(event.detail >> 8) }
            members.key("code") { $0.integer(event.detail & 0xff) }
        case .tcpSynSend, .tcpSynReceive, .tcpSynAckSend, .tcpSynAckReceive, .tcpAckSend, .tcpAckReceive, .tcpSend,
            .tcpReceive:
            members.key("length") { $0.integer(event.ipLength) }
            members.key("seq") { $0.integer(UInt32(bitPattern: event.value)) }
            members.key("ack") { $0.integer(UInt32(bitPattern: event.detail)) }
            members.key("tcp_flags") { $0.array(event.tcpFlags.names) { $0.string($1) } }
        }
    }
}
