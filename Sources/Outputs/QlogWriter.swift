import Foundation
import VtapMetrics
import VtapSystem

/// How `vtap run|replay --qlog DIR` writes each connection's trace
/// (docs/events.md, "qlog").
public enum QlogFormat: String, Sendable, CaseIterable {
    /// The main schema draft's JSON-SEQ file (`.sqlog`): RFC 7464 records, a
    /// header with `file_schema` and `serialization_format`, vtap's TCP
    /// event schema.
    case sqlog
    /// The 0.3 JSON-SEQ header (`qlog_version`, `qlog_format`) that released
    /// qvis versions open; the draft's header is refused there.
    case qvis
    /// The 2021 prototype's `{"events": [[time, category, event, data,
    /// group_id]]}` (`.qlog`).
    case legacy

    public var fileExtension: String { self == .legacy ? "qlog" : "sqlog" }
}

/// Writes one file a connection, named after its group id, whole and at
/// once (temporary file, then rename): a reader never sees half a trace.
public struct QlogWriter: Sendable {
    /// vtap's own event schema: its namespace and its URI, outside the
    /// `urn:ietf:params:qlog:events:` space the draft reserves (docs/events.md
    /// defines the events).
    public static let namespace = "tcp"
    public static let schemaURI = "https://vtap.dev/122026/qlog-tcp"
    static let recordSeparator = "\u{1E}"

    public let directory: String
    public let format: QlogFormat
    private let labels: [String]
    /// Says where the trace was taken in its title (host, interface).
    private let origin: String

    public init(directory: String, format: QlogFormat, ruleLabels: [String], origin: String) {
        self.directory = directory
        self.format = format
        self.labels = ruleLabels
        self.origin = origin
    }

    public func path(of trace: TCPTrace) -> String {
        (directory as NSString).appendingPathComponent("\(trace.groupID).\(format.fileExtension)")
    }

    public func write(_ trace: TCPTrace) throws {
        try AtomicFile.write(Data(text(trace).utf8), to: path(of: trace))
    }

    public func text(_ trace: TCPTrace) -> String {
        switch format {
        case .sqlog: sequence(trace, draft: true)
        case .qvis: sequence(trace, draft: false)
        case .legacy: legacy(trace)
        }
    }

    // MARK: - JSON-SEQ

    private func title(_ trace: TCPTrace) -> String {
        "vtap \(origin): TCP \(endpoint(trace.initiator, trace.ipVersion)) > \(endpoint(trace.responder, trace.ipVersion))"
    }

    private func endpoint(_ endpoint: TCPSegment.Endpoint, _ version: Int) -> String {
        version == 6 ? "[\(endpoint.address)]:\(endpoint.port)" : "\(endpoint.address):\(endpoint.port)"
    }

    private func sequence(_ trace: TCPTrace, draft: Bool) -> String {
        // Times relative to the first event's millisecond keep nanoseconds
        // in a double; the epoch says which millisecond (draft), or times
        // are milliseconds since 1970 (qvis reads "absolute" times only).
        let first = trace.events.first?.nanoseconds ?? 0
        let reference = draft ? first - first % 1_000_000 : 0
        var header = JSONText()
        header.object { top in
            if draft {
                top.key("file_schema") { $0.string("urn:ietf:params:qlog:file:sequential") }
                top.key("serialization_format") { $0.string("application/qlog+json-seq") }
            } else {
                top.key("qlog_version") { $0.string("0.3") }
                top.key("qlog_format") { $0.string("JSON-SEQ") }
            }
            top.key("title") { $0.string(title(trace)) }
            top.key("trace") { json in
                json.object { t in
                    t.key("common_fields") { json in
                        json.object { c in
                            c.key("group_id") { $0.string(trace.groupID) }
                            if draft {
                                c.key("time_format") { $0.string("relative_to_epoch") }
                                c.key("reference_time") { json in
                                    json.object { r in
                                        r.key("clock_type") { $0.string("system") }
                                        r.key("epoch") {
                                            $0.string(ReportTime(nanosecondsSinceEpoch: reference).rfc3339)
                                        }
                                    }
                                }
                            } else {
                                c.key("time_format") { $0.string("absolute") }
                            }
                        }
                    }
                    t.key("vantage_point") { json in
                        json.object { v in
                            v.key("name") { $0.string("vtap \(origin)") }
                            v.key("type") { $0.string(trace.vantage.rawValue) }
                        }
                    }
                    if draft { t.key("event_schemas") { $0.array([Self.schemaURI]) { $0.string($1) } } }
                }
            }
        }
        var out = Self.recordSeparator + header.text + "\n"
        // An MPTCP connection's subflows share its file: their events in
        // time order among the first subflow's, each naming its subflow.
        let owned = ([trace] + trace.subflows).flatMap { owner in owner.events.map { (event: $0, owner: owner) } }
        let ordered = owned.enumerated().sorted {
            ($0.element.event.nanoseconds, $0.offset) < ($1.element.event.nanoseconds, $1.offset)
        }
        for (event, owner) in ordered.map(\.element) {
            let subflow = owner.parentGroupID != nil
            var record = JSONText()
            record.object { e in
                e.key("time") { $0.number(Double(event.nanoseconds - reference) / 1e6) }
                let (category, name) = Self.name(event.kind, subflow: subflow)
                e.key("name") { $0.string("\(draft ? Self.namespace : category):\(name)") }
                e.key("data") { data(event, owner, into: &$0) }
                if subflow { e.key("group_id") { $0.string(owner.groupID) } }
            }
            out += Self.recordSeparator + record.text + "\n"
        }
        return out
    }

    /// An event's qlog category (0.3 and the prototype) and name.
    static func name(_ kind: TCPTrace.Event.Kind, subflow: Bool) -> (category: String, name: String) {
        switch kind {
        case .connectionStarted: ("connectivity", subflow ? "subflow_started" : "connection_started")
        case .packetSent: ("transport", "packet_sent")
        case .packetReceived: ("transport", "packet_received")
        case .connectionClosed: ("connectivity", "connection_closed")
        case .stateUpdated: ("connectivity", "connection_state_updated")
        }
    }

    private func data(_ event: TCPTrace.Event, _ trace: TCPTrace, into json: inout JSONText) {
        json.object { d in
            switch event.kind {
            case .connectionStarted:
                d.key("ip_version") { $0.string(trace.ipVersion == 6 ? "ipv6" : "ipv4") }
                d.key("src_ip") { $0.string(trace.initiator.address) }
                d.key("src_port") { $0.integer(trace.initiator.port) }
                d.key("dst_ip") { $0.string(trace.responder.address) }
                d.key("dst_port") { $0.integer(trace.responder.port) }
                d.key("rule") { json in
                    labels.indices.contains(trace.rule) ? json.string(labels[trace.rule]) : json.null()
                }
                if let parent = trace.parentGroupID { d.key("parent_group_id") { $0.string(parent) } }
            case .connectionClosed(let reason):
                d.key("reason") { $0.string(reason.rawValue) }
            case .stateUpdated(let old, let new):
                d.key("old") { $0.string(old) }
                d.key("new") { $0.string(new) }
            case .packetSent, .packetReceived:
                guard let segment = event.segment else { return }
                d.key("header") { json in
                    json.object { h in
                        h.key("flags") { $0.array(segment.flags.names) { $0.string($1) } }
                        h.key("sequence_number") { $0.integer(segment.sequence) }
                        if segment.flags.contains(.ack) {
                            h.key("acknowledgement_number") { $0.integer(segment.acknowledgement) }
                        }
                        if let relative = event.relativeSequence {
                            h.key("relative_sequence_number") { $0.integer(relative) }
                        }
                        if let relative = event.relativeAcknowledgement {
                            h.key("relative_acknowledgement_number") { $0.integer(relative) }
                        }
                        h.key("window") { $0.integer(segment.window) }
                        h.key("header_length") { $0.integer(segment.headerLength) }
                        h.key("options") { $0.array(TCPOption.parse(segment.options)) { Self.option($1, into: &$0) } }
                    }
                }
                d.key("payload_length") { $0.integer(segment.payloadLength) }
                d.key("raw") { json in
                    json.object { r in r.key("length") { $0.integer(segment.headerLength + segment.payloadLength) } }
                }
                if event.retransmission { d.key("retransmission") { $0.bool(true) } }
            }
        }
    }

    static func option(_ option: TCPOption, into json: inout JSONText) {
        json.object { o in
            o.key("kind") { $0.string(option.name) }
            switch option {
            case .maximumSegmentSize(let value): o.key("value") { $0.integer(value) }
            case .windowScale(let shift): o.key("shift") { $0.integer(shift) }
            case .sack(let blocks):
                o.key("blocks") {
                    $0.array(blocks) { json, block in json.array([block.0, block.1]) { $0.integer($1) } }
                }
            case .timestamp(let value, let echo):
                o.key("value") { $0.integer(value) }
                o.key("echo") { $0.integer(echo) }
            case .dataSequence(let signal):
                o.key("subtype") { $0.string(MPTCPSubtype.dss.name) }
                if let ack = signal.dataAcknowledgement { o.key("data_ack") { $0.integer(ack) } }
                if let sequence = signal.dataSequence { o.key("data_sequence_number") { $0.integer(sequence) } }
                if let subflow = signal.subflowSequence { o.key("subflow_sequence_number") { $0.integer(subflow) } }
                if let length = signal.dataLevelLength { o.key("data_level_length") { $0.integer(length) } }
                if signal.dataFin { o.key("data_fin") { $0.bool(true) } }
            case .mptcp(let subtype, let version):
                o.key("subtype") { $0.string(subtype.name) }
                if let version { o.key("version") { $0.integer(version) } }
            case .fastOpen(let length): o.key("cookie_length") { $0.integer(length) }
            case .other(_, let length): o.key("length") { $0.integer(length) }
            case .endOfList, .noOperation, .sackPermitted, .malformed: break
            }
        }
    }

    // MARK: - The prototype's layout

    /// tcpdump's way with numbers, as the prototype wrote them: the first
    /// segment of a side shows absolute numbers, later ones relative; a
    /// segment with data shows its range, a bare ACK no sequence number.
    private func legacy(_ trace: TCPTrace) -> String {
        var out = JSONText()
        out.object { top in
            top.key("events") { json in
                // One group a subflow, the first subflow's first.
                json.array([trace] + trace.subflows) { json, owner in
                    json.array(owner.events) { json, event in legacyEvent(event, owner, into: &json) }
                }
            }
        }
        return out.text + "\n"
    }

    private func legacyEvent(_ event: TCPTrace.Event, _ trace: TCPTrace, into json: inout JSONText) {
        // The prototype's name for a subflow's start, with its parent's
        // group id after its own.
        let parent = event.kind == .connectionStarted ? trace.parentGroupID : nil
        let (category, name) = Self.name(event.kind, subflow: false)
        json.row(
            [
                { $0.integer(event.nanoseconds) }, { $0.string(category) },
                { $0.string(parent == nil ? name : "subflow_connection_started") },
                { legacyData(event, trace, into: &$0) }, { $0.string(trace.groupID) },
            ] + (parent.map { parent in [{ $0.string(parent) }] } ?? []))
    }

    private func legacyData(_ event: TCPTrace.Event, _ trace: TCPTrace, into json: inout JSONText) {
        json.object { d in
            switch event.kind {
            case .connectionStarted:
                d.key("dst_ip") { $0.string(trace.responder.address) }
                d.key("dst_port") { $0.integer(trace.responder.port) }
                d.key("ip_version") { $0.string("\(trace.ipVersion)") }
                d.key("src_ip") { $0.string(trace.initiator.address) }
                d.key("src_port") { $0.integer(trace.initiator.port) }
                d.key("transport_protocol") { $0.string("TCP") }
            case .stateUpdated(let old, let new):
                d.key("old") { $0.string(old) }
                d.key("new") { $0.string(new) }
            case .connectionClosed(let reason):
                d.key("reason") { $0.string(reason.rawValue) }
            case .packetSent, .packetReceived:
                guard let segment = event.segment else { return }
                let relative = event.firstOfSide ? nil : event.relativeSequence
                d.key("header") { json in
                    json.object { h in
                        h.key("flags") { $0.array(segment.flags.names) { $0.string($1) } }
                        if segment.flags.contains(.syn) || relative == nil {
                            h.key("seq") { $0.integer(segment.sequence) }
                        } else if let relative, segment.payloadLength > 0 {
                            h.key("seq") { json in
                                json.array([relative, relative &+ UInt32(truncatingIfNeeded: segment.payloadLength)]) {
                                    $0.integer($1)
                                }
                            }
                        } else if let relative, segment.flags.contains(.fin) {
                            h.key("seq") { $0.integer(relative) }
                        }
                        if segment.flags.contains(.ack) {
                            if event.firstOfSide || event.relativeAcknowledgement == nil {
                                h.key("ack") { $0.integer(segment.acknowledgement) }
                            } else if let ack = event.relativeAcknowledgement {
                                h.key("ack") { $0.integer(ack) }
                            }
                        }
                        h.key("win") { $0.integer(segment.window) }
                    }
                }
            }
        }
    }
}
