import Foundation
import VtapMetrics
import VtapRuleModel

/// Reports as JSON: one compact object per line, keys in a fixed order.
///
/// Top level: `time`, `interfaces`, `interval_s`, `throughput_unit`,
/// `protocols` (`tcp`, `udp`, `icmp`, `other`), `rules` (`index`, `name`,
/// `label`, then the scope metrics), `unmatched`, `malformed`, `flow_table`
/// (the LRU flow tables' fill and evictions), `summary`, and with
/// `--flows N` `flows` (`rule`, `protocol`, `source`, `source_port`,
/// `destination`, `destination_port`, then the scope metrics).
/// Absent values (no jitter sample, no sequence number, no rate over an
/// interval of no length) are `null`, never left out.
public enum ReportJSON {
    /// The keys of a scope's metrics, in output order.
    public static let scopeKeys = ScopeColumns.keys

    public static func line(_ report: IntervalReport) -> String {
        var out = JSONText()
        out.object {
            $0.key("time") { $0.string(report.time.rfc3339) }
            $0.key("interfaces") { json in json.array(report.interfaces) { $0.string($1) } }
            $0.key("interval_s") { $0.number(report.intervalSeconds) }
            $0.key("throughput_unit") { $0.string(report.throughputUnit.rawValue) }
            $0.key("protocols") { json in
                json.object { members in
                    for protocolClass in ProtocolClass.allCases {
                        members.key(protocolClass.name) { json in
                            json.object { scope(report.metrics(for: protocolClass), into: &$0) }
                        }
                    }
                }
            }
            $0.key("rules") { json in
                json.array(report.rules) { json, rule in
                    json.object {
                        $0.key("index") { $0.integer(rule.index) }
                        $0.key("name") { json in rule.name.map { json.string($0) } ?? json.null() }
                        $0.key("label") { $0.string(rule.label) }
                        scope(rule.metrics, into: &$0)
                    }
                }
            }
            $0.key("unmatched") { json in json.object { tally(report.unmatched, into: &$0) } }
            $0.key("malformed") { json in json.object { tally(report.malformed, into: &$0) } }
            $0.key("flow_table") { json in json.object { flowTable(report.flowTable, into: &$0) } }
            $0.key("summary") { $0.bool(report.isSummary) }
            if report.flowLimit > 0 {
                $0.key("flows") { json in
                    json.array(report.flows) { json, flow in
                        json.object {
                            $0.key("rule") { $0.string(flow.rule) }
                            $0.key("protocol") { $0.integer(UInt64(flow.key.ipProtocol)) }
                            $0.key("source") { $0.string(flow.key.source) }
                            $0.key("source_port") { $0.integer(UInt64(flow.key.sourcePort)) }
                            $0.key("destination") { $0.string(flow.key.destination) }
                            $0.key("destination_port") { $0.integer(UInt64(flow.key.destinationPort)) }
                            scope(flow.metrics, into: &$0)
                        }
                    }
                }
            }
            if !report.stackLatency.isEmpty {
                let labels = report.rules.map(\.label)
                $0.key("stack_latency") { json in
                    json.array(report.stackLatency) { json, histogram in
                        json.object { EventJSON.latency(histogram, labels: labels, into: &$0) }
                    }
                }
            }
            if !report.stackDrops.isEmpty {
                let labels = report.rules.map(\.label)
                $0.key("stack_drops") { json in
                    json.array(report.stackDrops) { json, drop in
                        json.object { EventJSON.drop(drop, labels: labels, into: &$0) }
                    }
                }
            }
        }
        return out.text
    }

    private static func scope(_ m: ScopeMetrics, into members: inout JSONText.Members) {
        for column in ScopeColumns.all {
            members.key(column.key) { json in
                switch column.value(m) {
                case .count(let value): json.integer(value)
                case .number(let value, _): json.number(value)
                case .optionalCount(let value): value.map { json.integer($0) } ?? json.null()
                }
            }
        }
    }

    private static func flowTable(_ fill: FlowTableFill, into members: inout JSONText.Members) {
        members.key("held") { $0.integer(UInt64(fill.held)) }
        members.key("started") { $0.integer(fill.started) }
        members.key("evicted") { $0.integer(fill.evicted) }
        members.key("view_held") { $0.integer(UInt64(fill.viewHeld)) }
        members.key("view_started") { $0.integer(fill.viewStarted) }
        members.key("view_evicted") { $0.integer(fill.viewEvicted) }
    }

    private static func tally(_ t: Tally, into members: inout JSONText.Members) {
        members.key("packets") { $0.integer(t.packets) }
        members.key("bytes") { $0.integer(t.bytes) }
    }
}

/// Writes reports as JSON lines: each report is one line, written at once.
public struct JSONLinesWriter: Sendable {
    public let handle: FileHandle

    public init(_ handle: FileHandle) {
        self.handle = handle
    }

    public func write(_ report: IntervalReport) throws {
        try handle.write(contentsOf: Data((ReportJSON.line(report) + "\n").utf8))
    }
}

/// Compact JSON built in order: the writer decides the key order, and
/// numbers print exactly (integers as digits, doubles in their shortest
/// round-trip form).
struct JSONText {
    private(set) var text = ""

    struct Members {
        fileprivate var json: JSONText
        fileprivate var first = true

        mutating func key(_ name: String, _ value: (inout JSONText) -> Void) {
            if !first { json.text += "," }
            first = false
            json.string(name)
            json.text += ":"
            value(&json)
        }
    }

    mutating func object(_ body: (inout Members) -> Void) {
        text += "{"
        var members = Members(json: self)
        self = JSONText()  // hand the buffer over, so appends stay in place
        body(&members)
        self = members.json
        text += "}"
    }

    mutating func array<C: Collection>(_ elements: C, _ element: (inout JSONText, C.Element) -> Void) {
        text += "["
        for (i, value) in elements.enumerated() {
            if i > 0 { text += "," }
            element(&self, value)
        }
        text += "]"
    }

    /// An array whose elements differ in kind (a row of values).
    mutating func row(_ elements: [(inout JSONText) -> Void]) {
        text += "["
        for (i, element) in elements.enumerated() {
            if i > 0 { text += "," }
            element(&self)
        }
        text += "]"
    }

    mutating func null() { text += "null" }
    mutating func bool(_ value: Bool) { text += value ? "true" : "false" }
    mutating func integer<T: BinaryInteger>(_ value: T) { text += String(value) }

    /// Non-finite numbers, which JSON cannot hold, become null.
    mutating func number(_ value: Double?) {
        guard let value, value.isFinite else { return null() }
        text += "\(value)"
    }

    mutating func string(_ value: String) {
        text += "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": text += "\\\""
            case "\\": text += "\\\\"
            case "\n": text += "\\n"
            case "\r": text += "\\r"
            case "\t": text += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                text += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: text.unicodeScalars.append(scalar)
            }
        }
        text += "\""
    }
}
