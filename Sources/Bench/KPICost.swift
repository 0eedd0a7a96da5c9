import Foundation

/// What following connections (KPIS) costs a TCP transfer, beside
/// bpftrace on the same tracepoints: iperf3's throughput and the CPU time
/// per byte with each, and the KPI programs' time a run.
/// `scripts/bench-kpis` measures; each monitor must record the transfer's
/// data connection at its close.
public enum KPICostBenchmark {
    /// Runs `scripts/bench-kpis` (2 s × 1 round in quick mode, else 5 s × 3).
    public static func run(_ script: BenchScript) throws -> (section: LiveOverheadSection, targets: [TargetCheck]) {
        let top = try script.run("bench-kpis")
        guard let cost = top["kpi_cost"] as? [String: Any],
            let conditions = cost["conditions"] as? [[String: Any]],
            let vtapCPU = jsonNumber(cost["cpu_per_byte_vtap_over_none"]),
            let bpftraceCPU = jsonNumber(cost["cpu_per_byte_bpftrace_over_none"]),
            let vtapThroughput = jsonNumber(cost["throughput_vtap_over_none"]),
            let bpftraceThroughput = jsonNumber(cost["throughput_bpftrace_over_none"])
        else { throw BenchScriptError(script: "bench-kpis", status: 0, detail: "no kpi_cost figures") }
        var rows: [BenchRow] = conditions.map { c in
            var values: [String: Double] = [:]
            for key in ["gbit_per_s", "cpu_s_per_gb"] {
                if let v = jsonNumber(c[key]) { values[key] = v }
            }
            return BenchRow(name: c["name"] as? String ?? "?", values: values, unit: "Gbit/s, CPU-s/GB")
        }
        rows.append(
            BenchRow(
                name: "over none",
                values: [
                    "vtap throughput": vtapThroughput, "bpftrace throughput": bpftraceThroughput,
                    "vtap CPU/byte": vtapCPU, "bpftrace CPU/byte": bpftraceCPU,
                ], unit: "ratio"))
        for program in cost["programs"] as? [[String: Any]] ?? [] {
            rows.append(
                BenchRow(
                    name: program["program"] as? String ?? "?",
                    values: [
                        "ns_per_run": jsonNumber(program["ns_per_run"]) ?? -1,
                        "runs": jsonNumber(program["runs"]) ?? -1,
                    ],
                    unit: "ns a run (--self-cost)"))
        }
        let section = LiveOverheadSection(rows: rows, note: cost["setup"] as? String)
        let targets = [
            TargetCheck(
                target: "KPIS: vtap follows connections for no more CPU per byte than bpftrace's smaller probe",
                measured: String(format: "CPU per byte over none: vtap %.3f, bpftrace %.3f", vtapCPU, bpftraceCPU),
                holds: vtapCPU <= bpftraceCPU)
        ]
        return (section, targets)
    }
}
