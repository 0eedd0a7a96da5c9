import Foundation
import VtapMetrics
import VtapRuleModel

/// Reports as JSON: one compact object per line, keys in a fixed order.
///
/// Top level: `time`, `interfaces`, `interval_s`, `throughput_unit`,
/// `protocols` (`tcp`, `udp`, `icmp`, `other`), `rules` (`index`, `name`,
/// `label`, then the scope metrics), `unmatched`, `malformed`, `summary`.
/// Absent values (no jitter sample, no sequence number, no rate over an
/// interval of no length) are `null`, never left out.
public enum ReportJSON {
    /// The keys of a scope's metrics, in output order.
    public static let scopeKeys = [
        "packets", "bytes", "payload_bytes", "pps", "throughput", "goodput", "jitter_mean_ms", "jitter_stddev_ms",
        "seq_last", "seq_count", "seq_reverse", "seq_small", "seq_big", "seq_total", "seq_lost", "seq_missing",
    ]

    /// The report as one line of JSON, without the newline.
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
            $0.key("summary") { $0.bool(report.isSummary) }
        }
        return out.text
    }

    private static func scope(_ m: ScopeMetrics, into members: inout JSONText.Members) {
        members.key("packets") { $0.integer(m.packets) }
        members.key("bytes") { $0.integer(m.bytes) }
        members.key("payload_bytes") { $0.integer(m.payloadBytes) }
        members.key("pps") { $0.number(m.packetsPerSecond) }
        members.key("throughput") { $0.number(m.throughput) }
        members.key("goodput") { $0.number(m.goodput) }
        members.key("jitter_mean_ms") { $0.number(m.jitter?.meanMilliseconds) }
        members.key("jitter_stddev_ms") { $0.number(m.jitter?.stddevMilliseconds) }
        members.key("seq_last") { json in m.sequenceLast.map { json.integer($0) } ?? json.null() }
        members.key("seq_count") { $0.integer(m.sequenceCount) }
        members.key("seq_reverse") { $0.integer(m.sequenceReverse) }
        members.key("seq_small") { $0.integer(m.sequenceSmall) }
        members.key("seq_big") { $0.integer(m.sequenceBig) }
        members.key("seq_total") { $0.integer(m.sequenceTotal) }
        members.key("seq_lost") { $0.integer(m.sequenceLost) }
        members.key("seq_missing") { $0.integer(m.sequenceMissing) }
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
