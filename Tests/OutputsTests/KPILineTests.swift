import Foundation
import Testing
import VtapMetrics
import VtapOutputs
import VtapRuleModel
import VtapTestSupport

/// The events file's KPI lines: the keys of the KPIs the rules file chose,
/// the connection's identity always, and MPTCP's keys only for MPTCP.
@Suite struct KPILineTests {
    static let record = ConnectionKPIs(
        socket: 0xffff_8880_0000_0001, rule: 0, nanoseconds: 1_800_000_000_500_000_000,
        startNanoseconds: 1_800_000_000_000_000_000, establishedNanoseconds: nil, end: .notEstablished, state: 2,
        ipVersion: 4, localAddress: "192.0.2.1", localPort: 40000, remoteAddress: "198.51.100.7", remotePort: 443,
        bytesSent: 7, smoothedRTTMicroseconds: 1_600)

    static func keys(_ kpis: Settings.KPIs, _ record: ConnectionKPIs = record) throws -> [String: Any] {
        var settings = Settings()
        settings.kpis = kpis
        let json = EventJSON(
            manifest: Manifest(rules: Manifest.fixtureRules(labels: ["web"]), settings: settings),
            monotonicToEpochNanoseconds: 0)
        let line = json.kpiLine(record)
        return try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "\(line)")
    }

    static let identity: Set<String> = [
        "time", "time_ns", "level", "event", "rule", "rule_label", "ip", "protocol", "local", "local_port", "remote",
        "remote_port", "socket", "end", "start_ns", "established_ns", "duration_ns", "scope",
    ]

    @Test func everyKPIWhenNoneIsChosen() throws {
        let all = try Self.keys(Settings.KPIs())
        #expect(Set(all.keys).isSuperset(of: Self.identity))
        #expect(all["bytes_sent"] as? Int == 7 && all["rtt_smoothed_us"] as? Int == 1_600)
        #expect(all["state"] as? String == "SYN_SENT" && all["rcvbuf_end"] as? Int == 0)
        #expect(all["established_ns"] is NSNull && all["scope"] as? String == "tcp")
        #expect(all["mptcp_token"] == nil, "a TCP record has no MPTCP keys")
    }

    @Test func onlyTheChosenKPIsKeys() throws {
        let rtt = try Self.keys(Settings.KPIs(selected: [.rtt]))
        #expect(
            Set(rtt.keys) == Self.identity.union(["handshake_rtt_us", "rtt_min_us", "rtt_smoothed_us", "rtt_max_us"]),
            "\(rtt.keys.sorted())")
    }

    @Test func mptcpKeysForMPTCPRecords() throws {
        var subflow = Self.record
        subflow.mptcp = .init(scope: .subflow, token: 0x0a57_75fc, pathIndex: 2, subflows: 0, reinjectedBytes: 0)
        let keys = try Self.keys(Settings.KPIs(), subflow)
        #expect(keys["scope"] as? String == "subflow" && keys["mptcp_token"] as? String == "a5775fc")
        #expect(keys["path_index"] as? Int == 2 && keys["subflows"] as? Int == 0)
    }
}
