import Foundation

/// One line of `vtap run --json` (or `vtap replay --json`): an interval, or
/// the summary of the whole run. Decoding is strict — every documented key
/// must be present with its type (nullable ones may be null) — so a schema
/// slip fails with the key's path instead of a silent zero.
struct VtapReport: Decodable, Sendable {
    var timeText: String
    var time: Date
    var interfaces: [String]
    var intervalSeconds: Double
    var throughputUnit: String
    /// tcp, udp, icmp (ICMPv6 included), other.
    var protocols: [String: Measured]
    var rules: [RuleMeasured]
    var unmatched: Tally
    var malformed: Tally
    var flowTable: FlowTable
    var isSummary: Bool
    /// With --flows only.
    var flows: [FlowMeasured]?

    enum CodingKeys: String, CodingKey {
        case time, interfaces, protocols, rules, unmatched, malformed, summary, flows
        case intervalS = "interval_s"
        case throughputUnit = "throughput_unit"
        case flowTable = "flow_table"
    }

    init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        timeText = try c.decode(String.self, forKey: .time)
        guard let parsed = Self.parseTime(timeText) else {
            throw DecodingError.dataCorruptedError(
                forKey: .time, in: c, debugDescription: "not an RFC 3339 time: \(timeText)")
        }
        time = parsed
        interfaces = try c.decode([String].self, forKey: .interfaces)
        intervalSeconds = try c.decode(Double.self, forKey: .intervalS)
        throughputUnit = try c.decode(String.self, forKey: .throughputUnit)
        protocols = try c.decode([String: Measured].self, forKey: .protocols)
        for name in ProtocolName.all where protocols[name] == nil {
            throw DecodingError.keyNotFound(
                CodingKeys.protocols,
                .init(codingPath: c.codingPath, debugDescription: "protocols has no \"\(name)\""))
        }
        rules = try c.decode([RuleMeasured].self, forKey: .rules)
        unmatched = try c.decode(Tally.self, forKey: .unmatched)
        malformed = try c.decode(Tally.self, forKey: .malformed)
        flowTable = try c.decode(FlowTable.self, forKey: .flowTable)
        isSummary = try c.decode(Bool.self, forKey: .summary)
        flows = try c.decodeIfPresent([FlowMeasured].self, forKey: .flows)
    }

    func protocolClass(_ name: String) -> Measured { protocols[name]! }
    var tcp: Measured { protocolClass("tcp") }
    var udp: Measured { protocolClass("udp") }
    var icmp: Measured { protocolClass("icmp") }
    var other: Measured { protocolClass("other") }

    func rule(named name: String) -> Measured? { rules.first { $0.name == name }?.metrics }

    /// RFC 3339 with or without fractional seconds.
    static func parseTime(_ text: String) -> Date? {
        let fractional = ISO8601DateFormatter()
        fractional.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let whole = ISO8601DateFormatter()
        whole.formatOptions = [.withInternetDateTime]
        return fractional.date(from: text) ?? whole.date(from: text)
    }

    /// Whether the time carries a fraction of a second (finer windows for oracles).
    var hasFractionalTime: Bool { timeText.contains(".") }
}

enum ProtocolName {
    static let all = ["tcp", "udp", "icmp", "other"]
}

struct Tally: Decodable, Sendable, Equatable {
    var packets: UInt64
    var bytes: UInt64
}

/// What vtap reports for one protocol class or one rule.
struct Measured: Decodable, Sendable, Equatable {
    var packets: UInt64
    var bytes: UInt64
    var payloadBytes: UInt64
    var pps: Double
    var throughput: Double
    var goodput: Double
    var jitterMeanMs: Double?
    var jitterStddevMs: Double?
    var seqLast: UInt64?
    var seqCount: UInt64
    var seqReverse: UInt64
    var seqSmall: UInt64
    var seqBig: UInt64
    var seqTotal: UInt64
    var seqLost: UInt64
    var seqMissing: UInt64

    enum CodingKeys: String, CodingKey {
        case packets, bytes, pps, throughput, goodput
        case payloadBytes = "payload_bytes"
        case jitterMeanMs = "jitter_mean_ms"
        case jitterStddevMs = "jitter_stddev_ms"
        case seqLast = "seq_last"
        case seqCount = "seq_count"
        case seqReverse = "seq_reverse"
        case seqSmall = "seq_small"
        case seqBig = "seq_big"
        case seqTotal = "seq_total"
        case seqLost = "seq_lost"
        case seqMissing = "seq_missing"
    }

    init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        packets = try c.decode(UInt64.self, forKey: .packets)
        bytes = try c.decode(UInt64.self, forKey: .bytes)
        payloadBytes = try c.decode(UInt64.self, forKey: .payloadBytes)
        pps = try c.decode(Double.self, forKey: .pps)
        throughput = try c.decode(Double.self, forKey: .throughput)
        goodput = try c.decode(Double.self, forKey: .goodput)
        jitterMeanMs = try Self.nullable(Double.self, c, .jitterMeanMs)
        jitterStddevMs = try Self.nullable(Double.self, c, .jitterStddevMs)
        seqLast = try Self.nullable(UInt64.self, c, .seqLast)
        seqCount = try c.decode(UInt64.self, forKey: .seqCount)
        seqReverse = try c.decode(UInt64.self, forKey: .seqReverse)
        seqSmall = try c.decode(UInt64.self, forKey: .seqSmall)
        seqBig = try c.decode(UInt64.self, forKey: .seqBig)
        seqTotal = try c.decode(UInt64.self, forKey: .seqTotal)
        seqLost = try c.decode(UInt64.self, forKey: .seqLost)
        seqMissing = try c.decode(UInt64.self, forKey: .seqMissing)
    }

    /// Present, but possibly null: `decodeNil` throws when the key is absent.
    private static func nullable<T: Decodable>(
        _ type: T.Type, _ c: KeyedDecodingContainer<CodingKeys>, _ key: CodingKeys
    ) throws -> T? {
        try c.decodeNil(forKey: key) ? nil : c.decode(T.self, forKey: key)
    }

    var sequence: SequenceCounters {
        SequenceCounters(
            count: seqCount, reverse: seqReverse, small: seqSmall, big: seqBig, lost: seqLost, missing: seqMissing)
    }

    var totals: PacketTotals { PacketTotals(packets: packets, bytes: bytes, payloadBytes: payloadBytes) }
}

/// The LRU flow tables' fill and what they evicted.
struct FlowTable: Decodable, Sendable, Equatable {
    var held: Int
    var started: UInt64
    var evicted: UInt64
    var viewHeld: Int
    var viewStarted: UInt64
    var viewEvicted: UInt64

    enum CodingKeys: String, CodingKey {
        case held, started, evicted
        case viewHeld = "view_held"
        case viewStarted = "view_started"
        case viewEvicted = "view_evicted"
    }
}

/// One flow of `--flows`: its rule and 5-tuple, then the rules' metrics.
struct FlowMeasured: Decodable, Sendable {
    var rule: String
    var ipProtocol: Int
    var source: String
    var sourcePort: Int
    var destination: String
    var destinationPort: Int
    var metrics: Measured

    enum CodingKeys: String, CodingKey {
        case rule, source, destination
        case ipProtocol = "protocol"
        case sourcePort = "source_port"
        case destinationPort = "destination_port"
    }

    init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        rule = try c.decode(String.self, forKey: .rule)
        ipProtocol = try c.decode(Int.self, forKey: .ipProtocol)
        source = try c.decode(String.self, forKey: .source)
        sourcePort = try c.decode(Int.self, forKey: .sourcePort)
        destination = try c.decode(String.self, forKey: .destination)
        destinationPort = try c.decode(Int.self, forKey: .destinationPort)
        metrics = try Measured(from: decoder)
    }

    /// "source:port > destination:port".
    var name: String { "\(source):\(sourcePort) > \(destination):\(destinationPort)" }
}

/// A rule's entry: index, name and label, then the same metrics.
struct RuleMeasured: Decodable, Sendable {
    var index: Int
    var name: String?
    var label: String
    var metrics: Measured

    enum CodingKeys: String, CodingKey { case index, name, label }

    init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        index = try c.decode(Int.self, forKey: .index)
        name = try c.decodeNil(forKey: .name) ? nil : c.decode(String.self, forKey: .name)
        label = try c.decode(String.self, forKey: .label)
        metrics = try Measured(from: decoder)
    }
}

/// Packets, whole-frame bytes and L4 payload bytes: what every oracle can
/// count exactly.
struct PacketTotals: Sendable, Equatable, CustomStringConvertible {
    var packets: UInt64
    var bytes: UInt64
    var payloadBytes: UInt64

    static let zero = PacketTotals(packets: 0, bytes: 0, payloadBytes: 0)

    static func + (a: Self, b: Self) -> Self {
        PacketTotals(
            packets: a.packets + b.packets, bytes: a.bytes + b.bytes, payloadBytes: a.payloadBytes + b.payloadBytes)
    }

    var description: String { "\(packets) packets, \(bytes) bytes, \(payloadBytes) payload bytes" }
}

/// The sequence counters that must agree exactly; `total` is the sum of
/// the three error kinds.
struct SequenceCounters: Sendable, Equatable, CustomStringConvertible {
    var count: UInt64 = 0
    var reverse: UInt64 = 0
    var small: UInt64 = 0
    var big: UInt64 = 0
    var lost: UInt64 = 0
    var missing: UInt64 = 0

    var total: UInt64 { reverse + small + big }

    static func + (a: Self, b: Self) -> Self {
        SequenceCounters(
            count: a.count + b.count, reverse: a.reverse + b.reverse, small: a.small + b.small, big: a.big + b.big,
            lost: a.lost + b.lost, missing: a.missing + b.missing)
    }

    var description: String {
        "count \(count), reverse \(reverse), small \(small), big \(big), lost \(lost), missing \(missing)"
    }
}

/// All JSON lines a vtap process printed, decoded.
struct VtapOutput: Sendable {
    var reports: [VtapReport]

    /// Compact JSON lines (`vtap run`), or one pretty-printed object (the
    /// replay output of before intervals existed).
    init(parsing text: String) throws {
        let lines = text.split(separator: "\n").map(String.init).filter {
            !$0.trimmingCharacters(in: .whitespaces).isEmpty
        }
        let decoder = JSONDecoder()
        do {
            reports = try lines.enumerated().map { index, line in
                do {
                    return try decoder.decode(VtapReport.self, from: Data(line.utf8))
                } catch {
                    throw ReportError("line \(index + 1) of the JSON output: \(Self.describe(error))\n\(line)")
                }
            }
        } catch let lineError {
            // A single multi-line object?
            guard let whole = try? decoder.decode(VtapReport.self, from: Data(text.utf8)) else {
                if let error = Self.wholeObjectError(text, decoder) {
                    throw ReportError("\(lineError)\n(as one object: \(error))")
                }
                throw lineError
            }
            reports = [whole]
        }
    }

    private static func wholeObjectError(_ text: String, _ decoder: JSONDecoder) -> String? {
        do {
            _ = try decoder.decode(VtapReport.self, from: Data(text.utf8))
            return nil
        } catch {
            return describe(error)
        }
    }

    var intervals: [VtapReport] { reports.filter { !$0.isSummary } }
    var summaries: [VtapReport] { reports.filter(\.isSummary) }

    /// The one summary, which must be the last line.
    func summary() throws -> VtapReport {
        guard summaries.count == 1, let last = reports.last, last.isSummary else {
            throw ReportError(
                "expected exactly one summary as the last line; got \(summaries.count) among \(reports.count) lines")
        }
        return last
    }

    /// Decoding errors name the key path, which is what a reader needs.
    static func describe(_ error: Error) -> String {
        switch error as? DecodingError {
        case .keyNotFound(let key, let context)?:
            return "missing key \(path(context.codingPath + [key])): \(context.debugDescription)"
        case .typeMismatch(let type, let context)?:
            return "\(path(context.codingPath)) is not \(type): \(context.debugDescription)"
        case .valueNotFound(let type, let context)?:
            return "\(path(context.codingPath)) is null, expected \(type)"
        case .dataCorrupted(let context)?:
            return "\(path(context.codingPath)): \(context.debugDescription)"
        default:
            return "\(error)"
        }
    }

    private static func path(_ keys: [CodingKey]) -> String {
        keys.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
    }
}

struct ReportError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
