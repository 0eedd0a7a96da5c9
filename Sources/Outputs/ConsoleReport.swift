import VtapMetrics
import VtapRuleModel

/// A report as a person reads it on a terminal: a title line, a line
/// saying which columns are totals and which are rates, one table with a
/// row per protocol class and per rule, and a line for the traffic no rule
/// counted.
///
/// ```
/// interval of 1.000 s ending 2021-06-30T12:34:56.789Z on eth0, eth1
/// PKTS, BYTES and the SEQ columns are totals since the start; PPS, THROUGHPUT, GOODPUT and JITTER are this interval's
/// SCOPE        PKTS    BYTES    PPS  THROUGHPUT       GOODPUT      JITTER ms  SEQ ERR  REV  SMALL  BIG  LOST  LAST  MATCHES
/// tcp             0        0    0.0   0.0 bit/s     0.0 bit/s              -        0    0      0    0     0     -
/// udp         4,000  500,000  2.0 k  2.0 Mbit/s    1.6 Mbit/s  1.000 ± 0.000        6    1      2    3     7  4000
/// …
/// #1          3,000  375,000  1.0 k  1.0 Mbit/s  800.0 kbit/s  1.000 ± 0.000        6    1      2    3     7  3000  10.0.0.1 - - - UDP
/// unmatched: 11 packets, 800 bytes; malformed: 1 packet, 24 bytes
/// ```
///
/// Columns keep their width from one interval to the next (each only
/// grows, to the widest value it has shown), so a terminal's columns do not
/// jump as numbers change length.
///
/// DISPLAY picks the column groups: Throughput → PPS and THROUGHPUT,
/// Goodput → GOODPUT, Jitter → JITTER, SEQ_ERRORS → the SEQ columns.
/// Packets and bytes always show.
public struct ConsoleReport: Sendable {
    /// With more rules than this, rules that saw no packet since the start
    /// fold into one line.
    public var foldIdleRulesAbove: Int
    /// The widest each column has been, by title.
    private var widths: [String: Int] = [:]

    public init(foldIdleRulesAbove: Int = 20) {
        self.foldIdleRulesAbove = foldIdleRulesAbove
    }

    public mutating func render(_ report: IntervalReport) -> String {
        let display = report.display
        var columns: [(String, TextTable.Alignment)] = [("SCOPE", .left), ("PKTS", .right), ("BYTES", .right)]
        if display.throughput { columns += [("PPS", .right), ("THROUGHPUT", .right)] }
        if display.goodput { columns += [("GOODPUT", .right)] }
        if display.jitter { columns += [("JITTER ms", .right)] }
        if display.sequenceErrors {
            columns += [
                ("SEQ ERR", .right), ("REV", .right), ("SMALL", .right), ("BIG", .right), ("LOST", .right),
                ("LAST", .right),
            ]
        }
        columns.append(("MATCHES", .left))

        func row(_ scope: String, _ m: ScopeMetrics, matches: String) -> [String] {
            var cells = [scope, grouped(m.packets), grouped(m.bytes)]
            if display.throughput {
                cells += [
                    m.packetsPerSecond.map { NumberText.si($0, unit: "") } ?? "-",
                    NumberText.rate(m.throughput, unit: report.throughputUnit),
                ]
            }
            if display.goodput { cells.append(NumberText.rate(m.goodput, unit: report.throughputUnit)) }
            if display.jitter { cells.append(NumberText.jitter(m.jitter)) }
            if display.sequenceErrors {
                cells += [
                    grouped(m.sequenceTotal), grouped(m.sequenceReverse), grouped(m.sequenceSmall),
                    grouped(m.sequenceBig), grouped(m.sequenceLost), m.sequenceLast.map { String($0) } ?? "-",
                ]
            }
            cells.append(matches)
            return cells
        }

        var table = TextTable(columns)
        for protocolClass in ProtocolClass.allCases {
            table.add(row(protocolClass.name, report.metrics(for: protocolClass), matches: ""))
        }
        // With --flows, each rule's top flows follow it, indented.
        let flowsByRule = Dictionary(grouping: report.flows, by: \.rule)
        let fold = report.rules.count > foldIdleRulesAbove
        var idle = 0
        var first = true
        for rule in report.rules {
            if fold, rule.metrics.packets == 0 {
                idle += 1
                continue
            }
            if first { table.add([]) }
            first = false
            let scope = rule.name.map { "#\(rule.number) \($0)" } ?? "#\(rule.number)"
            table.add(row(scope, rule.metrics, matches: rule.source))
            for flow in flowsByRule[rule.label] ?? [] {
                table.add(row("  " + Self.flowText(flow.key), flow.metrics, matches: Self.protocolName(flow.key)))
            }
        }

        // The rules' text is last and as long as it is: it keeps no width.
        let kept = columns.dropLast().map(\.0)
        table.minimumWidths = kept.map { widths[$0] ?? 0 }
        for (title, width) in zip(kept, table.widths) { widths[title] = width }
        var lines = [title(report), legend(report), table.render()]
        if idle > 0 { lines.append("(\(idle) rule\(idle == 1 ? "" : "s") without traffic)") }
        lines.append(
            "unmatched: \(count(report.unmatched.packets, "packet")), \(count(report.unmatched.bytes, "byte")); "
                + "malformed: \(count(report.malformed.packets, "packet")), \(count(report.malformed.bytes, "byte"))")
        return lines.joined(separator: "\n")
    }

    private func title(_ report: IntervalReport) -> String {
        let length = NumberText.fixed(report.intervalSeconds, decimals: 3)
        let interfaces = report.interfaces.isEmpty ? "" : " on " + report.interfaces.joined(separator: ", ")
        return report.isSummary
            ? "summary of \(length) s ending \(report.time.rfc3339)\(interfaces)"
            : "interval of \(length) s ending \(report.time.rfc3339)\(interfaces)"
    }

    /// Which columns count since the start and which are rates, in the
    /// words of the columns shown.
    private func legend(_ report: IntervalReport) -> String {
        let display = report.display
        let totals = ["PKTS", "BYTES"] + (display.sequenceErrors ? ["the SEQ columns"] : [])
        var rates: [String] = []
        if display.throughput { rates += ["PPS", "THROUGHPUT"] }
        if display.goodput { rates.append("GOODPUT") }
        if display.jitter { rates.append("JITTER") }
        func list(_ names: [String]) -> String {
            names.count < 2
                ? names.joined() : names.dropLast().joined(separator: ", ") + " and " + names[names.count - 1]
        }
        let totalsText = "\(list(totals)) \(totals.count == 1 ? "is a total" : "are totals") since the start"
        guard !rates.isEmpty else { return totalsText }
        let over = report.isSummary ? "the whole run's" : "this interval's"
        return "\(totalsText); \(list(rates)) \(rates.count == 1 ? "is" : "are") \(over)"
    }

    /// `source:port > destination:port`, IPv6 addresses in brackets.
    static func flowText(_ key: FlowKey) -> String {
        func end(_ address: String, _ port: UInt16) -> String {
            (address.contains(":") ? "[\(address)]" : address) + ":\(port)"
        }
        return "\(end(key.source, key.sourcePort)) > \(end(key.destination, key.destinationPort))"
    }

    static func protocolName(_ key: FlowKey) -> String {
        switch key.ipProtocol {
        case 6: "TCP"
        case 17: "UDP"
        case 1: "ICMP"
        case 58: "ICMPv6"
        default: "protocol \(key.ipProtocol)"
        }
    }

    private func count(_ value: UInt64, _ noun: String) -> String {
        "\(grouped(value)) \(noun)\(value == 1 ? "" : "s")"
    }
}
