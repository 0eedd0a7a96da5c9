import Foundation
import Testing
import VtapTestSupport

/// The start-up, live-overhead and KPI-cost parts of the benchmark in quick mode,
/// run as `scripts/bench` runs them, against this build's vtap and vtapc.
/// Not timed: each script fails unless every compared program (vtap, BCC,
/// tcpdump) counted exactly the packets sent; here the JSON is checked too.
@Suite(.kernel, .serialized) struct ScriptBenchTests {
    static let root = RepositoryLayout.root

    static func runQuick(_ script: String) throws -> [String: Any] {
        let directory = try TemporaryDirectory(prefix: "vtap-bench-script")
        let out = directory.file("\(script).json")
        let bin = URL(fileURLWithPath: BuiltProducts.vtap).deletingLastPathComponent().path
        let result = try CommandRunner.run(
            [
                "env", "VTAP_BIN=\(bin)", root.appendingPathComponent("scripts/\(script)").path, "--quick", "--out",
                out.path,
            ],
            timeout: .seconds(900))
        try #require(result.succeeded, "\(result.summary)\n\(result.standardOutput)")
        return try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: out)) as? [String: Any])
    }

    @Test func startUpBesideBCCCountsTheSamePackets() throws {
        let startup = try #require(try Self.runQuick("bench-startup")["startup"] as? [String: Any])
        #expect(startup["counters_agree"] as? Bool == true, "\(startup)")
        for key in [
            "vtapc_seed_s", "vtapc_new_rules_s", "vtapc_seed_cold_s", "vtap_run_rules_s", "vtap_run_object_s", "bcc_s",
        ] {
            #expect(((startup[key] as? NSNumber)?.doubleValue ?? 0) > 0, "\(key): \(startup)")
        }
        // vtapc -v's phases: the seed again comes whole from the cache (no
        // clang, no link); rules never seen are compiled, linked, verified.
        let phases = startup["vtapc_phases_s"] as? [String: Any] ?? [:]
        #expect(Set(phases.keys).isSuperset(of: ["cache", "verify"]) && phases["clang"] == nil, "\(phases)")
        let newRules = startup["vtapc_new_rules_phases_s"] as? [String: Any] ?? [:]
        #expect(Set(newRules.keys).isSuperset(of: ["clang", "link", "verify"]), "\(newRules)")
    }

    @Test func kpiCostBesideBpftraceRecordsTheTransfer() throws {
        let cost = try #require(try Self.runQuick("bench-kpis")["kpi_cost"] as? [String: Any])
        #expect(cost["records_agree"] as? Bool == true, "\(cost)")
        let conditions = cost["conditions"] as? [[String: Any]] ?? []
        #expect(Set(conditions.compactMap { $0["name"] as? String }) == ["none", "vtap", "bpftrace"])
        for condition in conditions {
            #expect(((condition["gbit_per_s"] as? NSNumber)?.doubleValue ?? 0) > 0, "\(condition)")
            #expect(((condition["cpu_s_per_gb"] as? NSNumber)?.doubleValue ?? 0) > 0, "\(condition)")
        }
        let programs = cost["programs"] as? [[String: Any]] ?? []
        let probe = try #require(programs.first { $0["program"] as? String == "vtap_kpi_probe" }, "\(cost)")
        #expect(((probe["runs"] as? NSNumber)?.intValue ?? 0) > 1_000, "tcp_probe fires per received segment")
    }

    @Test func liveOverheadCountsEveryReceivedPacket() throws {
        let live = try #require(try Self.runQuick("bench-live")["live_overhead"] as? [String: Any])
        #expect(live["counters_agree"] as? Bool == true, "\(live)")
        let conditions = live["conditions"] as? [[String: Any]] ?? []
        #expect(
            Set(conditions.compactMap { $0["name"] as? String }).isSuperset(of: [
                "none", "vtap", "vtap-tc", "vtap-xdp", "tcpdump",
            ]))
        for condition in conditions {
            #expect(((condition["rx_pps"] as? NSNumber)?.doubleValue ?? 0) > 0, "\(condition)")
        }
    }
}
