import Foundation

/// Start-up beside BCC: command to program attached, for `vtapc` on the seed,
/// `vtap run` from rules and from an object, and the 2021 design's BCC
/// program (`bench/bcc/seed_filter.py`). `scripts/bench-startup` measures;
/// every compared program must count the same verification packets.
public struct StartupResult: Sendable {
    public var section: StartupSection
    public var targets: [TargetCheck]
    /// Medians, seconds. `vtapcSeconds` with the packet program in vtapc's
    /// cache, `vtapcColdSeconds` with an empty cache.
    public var vtapcSeconds: Double
    public var vtapcColdSeconds: Double?
    public var vtapRunRulesSeconds: Double
    public var vtapRunObjectSeconds: Double
    public var bccSeconds: Double
    public var countersAgree: Bool
}

public enum StartupBenchmark {
    /// Runs `scripts/bench-startup` (2 runs in quick mode, else 7).
    public static func run(_ script: BenchScript) throws -> StartupResult {
        let top = try script.run("bench-startup")
        guard let s = top["startup"] as? [String: Any],
            let vtapc = jsonNumber(s["vtapc_seed_s"]), let rules = jsonNumber(s["vtap_run_rules_s"]),
            let object = jsonNumber(s["vtap_run_object_s"]), let bcc = jsonNumber(s["bcc_s"])
        else { throw BenchScriptError(script: "bench-startup", status: 0, detail: "no startup figures") }
        let samples = s["samples_s"] as? [String: [Any]] ?? [:]
        let load = s["load_average_1m"] as? [String: Any] ?? [:]
        let agree = s["counters_agree"] as? Bool ?? false
        let cold = jsonNumber(s["vtapc_seed_cold_s"])
        let phases = (s["vtapc_phases_s"] as? [String: Any] ?? [:]).compactMapValues(jsonNumber)

        func row(_ name: String, _ key: String, _ median: Double) -> BenchRow {
            let values = (samples[key] ?? []).compactMap(jsonNumber)
            return BenchRow(
                name: name,
                values: ["median": median, "min": values.min() ?? median, "max": values.max() ?? median],
                unit: "s")
        }
        let ratio = bcc / vtapc
        let section = StartupSection(
            rows: [
                row("vtapc rules/seed.json (whole process, packet program cached)", "vtapc_seed", vtapc)
            ]
                + (cold.map { [row("vtapc rules/seed.json (whole process, empty cache)", "vtapc_seed_cold", $0)] }
                    ?? []) + [
                    row("vtap run rules/seed.json -> attached", "vtap_run_rules", rules),
                    row("vtap run seed.o -> attached", "vtap_run_object", object),
                    row("BCC seed_filter.py -> attached", "bcc", bcc),
                ],
            note: "median of \(Int(jsonNumber(s["runs"]) ?? 0)) runs; load average "
                + String(format: "%.2f", jsonNumber(load["before"]) ?? -1)
                + "; BCC/vtapc \(String(format: "%.1f", ratio))x, BCC/vtap run rules "
                + String(format: "%.1f", bcc / rules) + "x; counters "
                + (agree ? "agree" : "DISAGREE")
                + (phases.isEmpty
                    ? ""
                    : "; vtapc phases "
                        + phases.sorted { $0.value > $1.value }.map { "\($0.key) \(Int($0.value * 1000)) ms" }
                        .joined(separator: ", ")))
        let targets = [
            TargetCheck(
                target: "vtapc on the seed <= 1/20 of BCC's start-up",
                measured: String(format: "vtapc %.3f s, BCC %.3f s: %.1fx", vtapc, bcc, ratio),
                holds: ratio >= 20),
            TargetCheck(
                target: "start-up: every compared program counts the same packets",
                measured: agree ? "rule and unmatched counters equal the packets sent" : "counters differ",
                holds: agree),
        ]
        return StartupResult(
            section: section, targets: targets, vtapcSeconds: vtapc, vtapcColdSeconds: cold, vtapRunRulesSeconds: rules,
            vtapRunObjectSeconds: object, bccSeconds: bcc, countersAgree: agree)
    }
}
