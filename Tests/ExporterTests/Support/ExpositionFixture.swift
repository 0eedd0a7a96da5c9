import VtapExporter
import VtapMetrics
import VtapRuleModel
import VtapTestSupport

/// A snapshot built by hand, two interfaces, with labels that need escaping
/// and a rule that counted nothing: the values each test expects are here.
enum ExpositionFixture {
    static let nasty = "quo\"te back\\slash\nnew line\ttab\rreturn"
    static let labels = ["web", nasty, "idle", "42", "ünïcode ✓"]
    static let manifest = ExporterFixtures.manifest(labels: labels)

    /// Jitter windows: rule 0 tcp on eth0 saw gaps of 1, 2, 3 and 4 ms.
    static let gapsNanoseconds: [UInt64] = [1_000_000, 2_000_000, 3_000_000, 4_000_000]

    static let eth0: ExportedInterface = {
        let totals = ExporterFixtures.totals(ruleCount: labels.count) { totals in
            totals[0, .tcp] = ScopeTotals.fixture(packets: 10, bytes: 1500, payload: 1000) { scope in
                scope.sequenceCount = 8
                scope.sequenceReverse = 1
                scope.sequenceSmall = 2
                scope.sequenceBig = 3
                scope.sequenceLost = 4
                scope.sequenceMissing = 2
                scope.jitterSamples = 104
                scope.jitterRestarts = 1
                scope.sequenceLast = 77
            }
            totals[0, .udp] = ScopeTotals.fixture(packets: 5, bytes: 500, payload: 300)
            totals[1, .udp] = ScopeTotals.fixture(packets: 7, bytes: 700, payload: 420)
            totals[3, .other] = ScopeTotals.fixture(packets: 1, bytes: 60, payload: 0)
            // Above Int64.max: must come out exact.
            totals[4, .icmp] = ScopeTotals.fixture(packets: 2, bytes: UInt64.max - 1, payload: 112)
            totals.totals = TotalSlot.allCases.map { slot in
                switch slot {
                case .unmatched: Tally(packets: 11, bytes: 800)
                case .nonIP: Tally(packets: 3, bytes: 180)
                case .malformed: Tally(packets: 6, bytes: 360)
                case .otherDirection: Tally(packets: 4, bytes: 240)
                case .malformedL2: Tally(packets: 1, bytes: 60)
                case .malformedIPHeader: Tally(packets: 2, bytes: 120)
                case .malformedIPv6Extension: Tally(packets: 3, bytes: 180)
                default: Tally()
                }
            }
        }
        var from = totals
        from[0, .tcp].jitterSamples = 100
        from[0, .tcp].jitterSumNanoseconds = 5_000_000_000
        from[0, .tcp].jitterSumSquaresNanoseconds2 = 7_000_000_000_000_000_000
        var to = from
        to[0, .tcp].jitterSamples += UInt64(gapsNanoseconds.count)
        to[0, .tcp].jitterSumNanoseconds += UInt128(gapsNanoseconds.reduce(0, +))
        to[0, .tcp].jitterSumSquaresNanoseconds2 += gapsNanoseconds.reduce(0) { $0 + UInt128($1) * UInt128($1) }
        // The udp class: two gaps of exactly 10 ms.
        to.protocols[ProtocolClass.udp.rawValue].jitterSamples = 2
        to.protocols[ProtocolClass.udp.rawValue].jitterSumNanoseconds = 20_000_000
        to.protocols[ProtocolClass.udp.rawValue].jitterSumSquaresNanoseconds2 = 200_000_000_000_000
        return ExportedInterface(name: "eth0", totals: totals, jitterFrom: from, jitterTo: to)
    }()

    static let veth: ExportedInterface = {
        let totals = ExporterFixtures.totals(ruleCount: labels.count) { totals in
            totals[0, .tcp] = ScopeTotals.fixture(packets: 3, bytes: 180, payload: 0)
        }
        return ExportedInterface(name: "veth-a", totals: totals, jitterFrom: totals, jitterTo: totals)
    }()

    /// The packet program on each interface and one event program.
    static let programs = [
        ProgramCost(program: "vtap_measure", interface: "eth0", runs: 2000, nanoseconds: 170_000),
        ProgramCost(program: "vtap_measure", interface: "veth-a", runs: 3, nanoseconds: 600),
        ProgramCost(program: "vtap_event_send", interface: nil, runs: 40, nanoseconds: 4_000),
    ]

    /// 7 sends, 5 receives, 2 state changes read; 3 lost, 4 capped.
    static let events: EventTotals = {
        var totals = EventTotals()
        totals.received = [.send: 7, .receive: 5, .state: 2]
        totals.written = 14
        totals.lost = 3
        totals.capped = 4
        return totals
    }()

    /// Rule 0's device-to-transport latency: 3 samples in [2, 4) µs
    /// (bucket 11), 1 in [64, 128) ns (bucket 6, under the first exported
    /// bound), 2 over 2 s (bucket 31, only in +Inf).
    static let latency: [StackLatency] = {
        var buckets = [UInt64](repeating: 0, count: LatencyStage.buckets)
        buckets[11] = 3
        buckets[6] = 1
        buckets[31] = 2
        return [StackLatency(rule: 0, stage: .deviceToTransport, buckets: buckets)]
    }()

    /// Rule 0's refused SYNs and one rule-1 checksum failure.
    static let drops: [StackDrop] = [
        StackDrop(rule: 0, stage: .deviceToTransport, reason: 3, reasonName: "NO_SOCKET", packets: 25),
        StackDrop(rule: 1, stage: .transportToCopy, reason: 5, reasonName: "TCP_CSUM", packets: 1),
    ]

    /// Rule 0: two connections closed with FIN (RTT 2 ms and 40 ms, 3 and
    /// 1 retransmissions), one reset; an interim record, left out; an
    /// MPTCP connection of 3 subflows that reinjected 1,448 bytes, counted
    /// apart (its subflows would be TCP connections of their own).
    static let kpis: KPITally = {
        var tally = KPITally()
        func record(_ end: ConnectionKPIs.End, rtt: UInt32, retransmissions: UInt32, seconds: Int64) -> ConnectionKPIs {
            ConnectionKPIs(
                socket: 1, rule: 0, nanoseconds: seconds * 1_000_000_000, startNanoseconds: 0,
                establishedNanoseconds: 1, end: end, state: 4, ipVersion: 4, localAddress: "192.0.2.1", localPort: 1,
                remoteAddress: "192.0.2.2", remotePort: 2, retransmissions: retransmissions,
                smoothedRTTMicroseconds: rtt)
        }
        tally.add(record(.fin, rtt: 2_000, retransmissions: 3, seconds: 5))
        tally.add(record(.fin, rtt: 40_000, retransmissions: 1, seconds: 100))
        tally.add(record(.reset, rtt: 300, retransmissions: 0, seconds: 1))
        tally.add(record(.open, rtt: 9_000_000, retransmissions: 50, seconds: 1))
        var mptcp = record(.fin, rtt: 0, retransmissions: 0, seconds: 4)
        mptcp.mptcp = .init(scope: .mptcp, token: 0xaf57_75fc, pathIndex: 0, subflows: 3, reinjectedBytes: 1_448)
        tally.add(mptcp)
        return tally
    }()

    static let snapshot = ExportSnapshot(
        interfaces: [eth0, veth], programs: programs, events: events, latency: latency, drops: drops, kpis: kpis)
}
