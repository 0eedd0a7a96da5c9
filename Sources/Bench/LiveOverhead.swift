import Foundation

/// Live overhead: a receiver's packet rate under a trafgen flood with no
/// monitor, with `vtap run`, and with `tcpdump -w /dev/null` on the same
/// filter; CPU, and the loader's own CPU and RSS. `scripts/bench-live`
/// measures; each monitor must count every packet the receiver got.
public struct LiveOverheadResult: Sendable {
    public var section: LiveOverheadSection
    public var targets: [TargetCheck]
    /// Receiver packets/s with the monitor over without.
    public var vtapRatio: Double
    public var tcpdumpRatio: Double
    public var countersAgree: Bool
}

public enum LiveOverheadBenchmark {
    /// Runs `scripts/bench-live` (2 s × 1 round in quick mode, else 10 s × 3).
    public static func run(_ script: BenchScript) throws -> LiveOverheadResult {
        let top = try script.run("bench-live")
        guard let live = top["live_overhead"] as? [String: Any],
            let conditions = live["conditions"] as? [[String: Any]],
            let vtapRatio = jsonNumber(live["ratio_vtap_over_none"]),
            let tcpdumpRatio = jsonNumber(live["ratio_tcpdump_over_none"])
        else { throw BenchScriptError(script: "bench-live", status: 0, detail: "no live_overhead figures") }
        let agree = live["counters_agree"] as? Bool ?? false
        let load = live["load_average_1m"] as? [String: Any] ?? [:]

        var rows: [BenchRow] = conditions.map { c in
            var values: [String: Double] = [:]
            for key in ["rx_pps", "sent_pps", "cpu_busy_pct", "monitor_cpu_pct", "monitor_rss_kib"] {
                if let v = jsonNumber(c[key]) { values[key] = v }
            }
            return BenchRow(
                name: c["name"] as? String ?? "?", values: values, unit: "packets/s, %, KiB",
                failure: (c["counters_agree"] as? Bool ?? false) ? nil : "counted other packets than received")
        }
        // One ratio per attach mode (vtap is the socket filter).
        var ratios = ["vtap": vtapRatio, "tcpdump": tcpdumpRatio]
        for (mode, key) in [("vtap-tc", "ratio_vtap_tc_over_none"), ("vtap-xdp", "ratio_vtap_xdp_over_none")] {
            if let ratio = jsonNumber(live[key]) { ratios[mode] = ratio }
        }
        rows.append(BenchRow(name: "rx packets/s over none", values: ratios, unit: "ratio"))
        let heldBy = ((live["target"] as? [String: Any])?["held_by_modes"] as? [String]) ?? []
        let section = LiveOverheadSection(
            rows: rows,
            note:
                "\(Int(jsonNumber(live["seconds"]) ?? 0)) s x \(Int(jsonNumber(live["rounds"]) ?? 0)) rounds, medians; "
                + "load average " + String(format: "%.2f", jsonNumber(load["before"]) ?? -1) + "; "
                + (live["setup"] as? String ?? ""))
        let vtapCost = 100 * (1 - vtapRatio)
        let tcpdumpCost = 100 * (1 - tcpdumpRatio)
        let targets = [
            TargetCheck(
                target: "receiver keeps >= 0.95 of its packet rate, more than with tcpdump, in some attach mode",
                measured: ratios.sorted { $0.key < $1.key }.map { String(format: "%@ %.3f", $0.key, $0.value) }
                    .joined(separator: ", "),
                holds: !heldBy.isEmpty),
            TargetCheck(
                target: "vtap run costs <= 5% of receiver packet rate, tcpdump more",
                measured: String(format: "vtap %.1f%%, tcpdump %.1f%%", vtapCost, tcpdumpCost),
                holds: vtapCost <= 5 && tcpdumpCost > vtapCost),
            TargetCheck(
                target: "live: vtap and tcpdump count every packet received",
                measured: agree ? "counts equal the receiver's rx_packets" : "counts differ",
                holds: agree),
        ]
        return LiveOverheadResult(
            section: section, targets: targets, vtapRatio: vtapRatio, tcpdumpRatio: tcpdumpRatio,
            countersAgree: agree)
    }
}
