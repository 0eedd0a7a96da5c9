import Testing
import VtapMetrics
import VtapRuleModel

@testable import VtapExporter

@Suite struct ExpositionTests {
    let exposition = MetricsExposition(manifest: ExpositionFixture.manifest)
    let nasty = ExpositionFixture.nasty

    func read(_ snapshot: ExportSnapshot = ExpositionFixture.snapshot) throws -> ExpositionReader {
        try ExpositionReader(exposition.measurementText(snapshot))
    }

    @Test func packetSeriesAreExactlyTheScopesThatCounted() throws {
        let reader = try read()
        let packets = reader.samples("vtap_packets_total").map {
            "\($0.labels["interface"]!)/\($0.labels["protocol"]!)/\($0.labels["rule"]!)=\($0.value)"
        }
        #expect(
            packets == [
                "eth0/tcp/web=10", "eth0/udp/web=5", "eth0/udp/\(nasty)=7", "eth0/other/42=1", "eth0/icmp/ünïcode ✓=2",
                "veth-a/tcp/web=3",
            ])
        #expect(reader.samples.allSatisfy { $0.labels["rule"] != "idle" }, "a rule that counted nothing has no series")
        for sample in reader.samples("vtap_packets_total") {
            #expect(sample.labels.keys.sorted() == ["interface", "protocol", "rule"])
        }
    }

    @Test func everyCounterOfAScopeThatCounted() throws {
        let reader = try read()
        let web = ["interface": "eth0", "protocol": "tcp", "rule": "web"]
        #expect(reader.value("vtap_bytes_total", web) == 1500)
        #expect(reader.value("vtap_payload_bytes_total", web) == 1000)
        #expect(reader.value("vtap_sequence_errors_total", web.merging(["kind": "reverse"]) { $1 }) == 1)
        #expect(reader.value("vtap_sequence_errors_total", web.merging(["kind": "small"]) { $1 }) == 2)
        #expect(reader.value("vtap_sequence_errors_total", web.merging(["kind": "big"]) { $1 }) == 3)
        #expect(reader.samples("vtap_sequence_errors_total", web).count == 3)
        #expect(reader.value("vtap_sequence_lost_total", web) == 4)
        #expect(reader.value("vtap_sequence_numbers_total", web) == 8)
        #expect(reader.value("vtap_sequence_missing_total", web) == 2)
        #expect(reader.value("vtap_jitter_samples_total", web) == 104)
        #expect(reader.value("vtap_jitter_restarts_total", web) == 1)
        #expect(reader.value("vtap_sequence_last", web) == 77)
        // Zero counters of a scope that counted are series too: rate() needs a start.
        let udp = ["interface": "eth0", "protocol": "udp", "rule": "web"]
        #expect(reader.value("vtap_sequence_lost_total", udp) == 0)
        #expect(reader.samples("vtap_sequence_last", udp).isEmpty, "no number seen, no last number")
    }

    @Test func countersAboveInt64MaxAreExact() throws {
        let reader = try read()
        let sample = reader.samples("vtap_bytes_total", ["rule": "ünïcode ✓"])
        #expect(sample.map(\.value) == [String(UInt64.max - 1)])
    }

    /// Series exist only at the finest grain, so a sum over labels is the
    /// total it should be, never a double count.
    @Test func sumsOverLabelsAreTheTotals() throws {
        let reader = try read()
        for interface in ExpositionFixture.snapshot.interfaces {
            let totals = interface.totals
            let labels = ["interface": interface.name]
            #expect(reader.sum("vtap_packets_total", labels) == Double(totals.rules.reduce(0) { $0 + $1.packets }))
            #expect(
                reader.sum("vtap_payload_bytes_total", labels)
                    == Double(totals.rules.reduce(0) { $0 + $1.payloadBytes }))
            for (index, _) in ExpositionFixture.labels.enumerated() {
                let rule = ["interface": interface.name, "rule": ExpositionFixture.labels[index]]
                #expect(reader.sum("vtap_packets_total", rule) == Double(totals.rule(index).packets))
            }
        }
        let eth0 = ExpositionFixture.eth0.totals
        #expect(reader.sum("vtap_malformed_packets_total", ["interface": "eth0"]) == Double(eth0.malformed.packets))
    }

    @Test func jitterGaugesAreSecondsOfTheLastWindow() throws {
        let reader = try read()
        let web = ["interface": "eth0", "protocol": "tcp", "rule": "web"]
        // Gaps 1, 2, 3, 4 ms: mean 2.5 ms, population variance 1.25 ms².
        let mean = try #require(reader.value("vtap_jitter_mean_seconds", web))
        let stddev = try #require(reader.value("vtap_jitter_stddev_seconds", web))
        #expect(abs(mean - 0.0025) < 1e-15)
        #expect(abs(stddev - 1.25.squareRoot() / 1000) < 1e-15)
        #expect(reader.samples("vtap_jitter_mean_seconds").count == 1, "only windows with samples")
        #expect(reader.samples("vtap_jitter_stddev_seconds").count == 1)

        #expect(reader.value("vtap_protocol_jitter_mean_seconds", ["interface": "eth0", "protocol": "udp"]) == 0.01)
        #expect(reader.value("vtap_protocol_jitter_stddev_seconds", ["interface": "eth0", "protocol": "udp"]) == 0)
        #expect(reader.samples("vtap_protocol_jitter_mean_seconds").count == 1)
        #expect(
            reader.samples("vtap_protocol_jitter_mean_seconds").first?.labels.keys.sorted() == [
                "interface", "protocol",
            ])
    }

    /// A KPI list without rtt, retransmissions or mptcp leaves their
    /// families out; connections and durations stay.
    @Test func kpiFamiliesFollowTheChosenKPIs() throws {
        var tally = KPITally([.bytes])
        tally.add(
            ConnectionKPIs(
                socket: 1, rule: 0, nanoseconds: 2_000_000_000, startNanoseconds: 0, establishedNanoseconds: 1,
                end: .fin, state: 4, ipVersion: 4, localAddress: "192.0.2.1", localPort: 1, remoteAddress: "192.0.2.2",
                remotePort: 2, retransmissions: 3, smoothedRTTMicroseconds: 900))
        var snapshot = ExpositionFixture.snapshot
        snapshot.kpis = tally
        let reader = try read(snapshot)
        #expect(reader.value("vtap_kpi_connections_total", ["rule": "web", "end": "fin"]) == 1)
        #expect(reader.value("vtap_kpi_duration_seconds_count", ["rule": "web"]) == 1)
        for left in [
            "vtap_kpi_retransmissions_total", "vtap_kpi_rtt_seconds_bucket", "vtap_kpi_mptcp_connections_total",
            "vtap_kpi_mptcp_subflows_total", "vtap_kpi_mptcp_reinjected_bytes_total",
        ] {
            #expect(reader.samples(left).isEmpty, "\(left)")
        }
        // The whole fixture has them.
        #expect(try !read().samples("vtap_kpi_rtt_seconds_bucket").isEmpty)
    }

    @Test func unmatchedAndMalformedTrafficPerInterface() throws {
        let reader = try read()
        #expect(reader.value("vtap_unmatched_packets_total", ["interface": "eth0"]) == 11)
        #expect(reader.value("vtap_unmatched_bytes_total", ["interface": "eth0"]) == 800)
        #expect(reader.value("vtap_non_ip_packets_total", ["interface": "eth0"]) == 3)
        #expect(reader.value("vtap_non_ip_bytes_total", ["interface": "eth0"]) == 180)
        #expect(reader.value("vtap_other_direction_packets_total", ["interface": "eth0"]) == 4)
        #expect(reader.value("vtap_unmatched_packets_total", ["interface": "veth-a"]) == 0, "present while zero")
        let reasons = reader.samples("vtap_malformed_packets_total", ["interface": "eth0"])
            .map { "\($0.labels["reason"]!)=\($0.value)" }
        #expect(reasons == ["l2=1", "vlan_depth=0", "ip_header=2", "ip_length=0", "ipv6_ext=3", "l4=0"])
        #expect(reader.samples("vtap_malformed_packets_total").count == 12)
        #expect(reader.value("vtap_program_runs_total", ["program": "vtap_measure", "interface": "eth0"]) == 2000)
        #expect(
            reader.value("vtap_program_run_seconds_total", ["program": "vtap_measure", "interface": "eth0"])
                == 0.00017)
        #expect(reader.samples("vtap_program_runs_total").count == 3)
        #expect(reader.value("vtap_events_total", ["level": "socket", "event": "send"]) == 7)
        #expect(reader.value("vtap_events_total", ["level": "connection", "event": "state"]) == 2)
        #expect(reader.value("vtap_events_total", ["level": "ip", "event": "ip_receive"]) == 0, "present while zero")
        #expect(reader.samples("vtap_events_total").count == EventKind.allCases.count)
        #expect(reader.value("vtap_events_dropped_total", ["reason": "ring_full"]) == 3)
        #expect(reader.value("vtap_events_dropped_total", ["reason": "cap"]) == 4)
        let latency = ["rule": "web", "stage": "device_to_transport"]
        func bucket(_ le: String) -> Double? {
            reader.value("vtap_stack_latency_seconds_bucket", latency.merging(["le": le]) { $1 })
        }
        #expect(bucket("1.024e-06") == 1)  // 2^10 ns: the sample in bucket 6
        #expect(bucket("2.048e-06") == 1)
        #expect(bucket("4.096e-06") == 4)  // bucket 11's three join it
        #expect(bucket("1.073741824") == 4)  // 2^30 ns, the last bound
        #expect(bucket("+Inf") == 6)
        #expect(reader.value("vtap_stack_latency_seconds_count", latency) == 6)
        #expect(reader.samples("vtap_stack_latency_seconds_bucket").count == 22)
        #expect(
            reader.value(
                "vtap_stack_drops_total", ["rule": "web", "stage": "device_to_transport", "reason": "NO_SOCKET"])
                == 25)
        #expect(reader.samples("vtap_stack_drops_total").count == 2)
        #expect(reader.value("vtap_kpi_connections_total", ["rule": "web", "end": "fin"]) == 2)
        #expect(reader.value("vtap_kpi_connections_total", ["rule": "web", "end": "reset"]) == 1)
        #expect(reader.value("vtap_kpi_connections_total", ["rule": "web", "end": "not_established"]) == 0)
        #expect(reader.value("vtap_kpi_retransmissions_total", ["rule": "web"]) == 4, "the interim record left out")
        #expect(reader.value("vtap_kpi_rtt_seconds_bucket", ["rule": "web", "le": "0.0005"]) == 1)
        #expect(reader.value("vtap_kpi_rtt_seconds_bucket", ["rule": "web", "le": "0.005"]) == 2)
        #expect(reader.value("vtap_kpi_rtt_seconds_bucket", ["rule": "web", "le": "+Inf"]) == 3)
        #expect(reader.value("vtap_kpi_duration_seconds_bucket", ["rule": "web", "le": "10.0"]) == 2)
        #expect(reader.value("vtap_kpi_duration_seconds_count", ["rule": "web"]) == 3)
        #expect(reader.value("vtap_kpi_mptcp_connections_total", ["rule": "web"]) == 1)
        #expect(reader.value("vtap_kpi_mptcp_subflows_total", ["rule": "web"]) == 3)
        #expect(reader.value("vtap_kpi_mptcp_reinjected_bytes_total", ["rule": "web"]) == 1_448)
    }

    @Test func familiesAreTheContractsWithTypeAndHelp() throws {
        let selfMetrics = ExporterSelfMetrics(version: "1.2.3", ruleCount: 5)
        let reader = try ExpositionReader(
            exposition.render(ExpositionFixture.snapshot, selfMetrics: selfMetrics, format: .prometheusText))
        let contract = Dictionary(uniqueKeysWithValues: MetricFamilies.all.map { ($0.name, $0) })
        #expect(Set(reader.families) == Set(contract.keys), "this snapshot shows every family")
        #expect(reader.families.count == contract.count, "each family once")
        for name in reader.families {
            #expect(reader.types[name] == contract[name]?.type.rawValue)
            #expect(reader.help[name] == contract[name]?.help)
        }
        for sample in reader.samples {
            let family = ["_bucket", "_sum", "_count"].reduce(sample.name) { name, suffix in
                name.hasSuffix(suffix) && contract[name] == nil ? String(name.dropLast(suffix.count)) : name
            }
            let labels = Set(contract[family]?.labels ?? ["?"])
            #expect(Set(sample.labels.keys).subtracting(["le"]) == labels, "\(sample)")
        }
    }

    @Test func theContractsNames() {
        let names = MetricFamilies.all.map(\.name)
        #expect(Set(names).count == names.count)
        for family in MetricFamilies.all {
            #expect(family.name.hasPrefix("vtap_"))
            #expect(family.name.allSatisfy { $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "_") })
            #expect(!family.help.isEmpty && !family.help.contains("\n") && !family.help.contains("\""))
            // OpenMetrics names a counter family without _total; both formats want it on the samples.
            #expect((family.type == .counter) == family.name.hasSuffix("_total"), "\(family.name)")
        }
        #expect(
            MetricFamilies.malformedReasons.map(\.reason) == [
                "l2", "vlan_depth", "ip_header", "ip_length", "ipv6_ext", "l4",
            ])
    }

    @Test func selfMetrics() throws {
        let selfMetrics = ExporterSelfMetrics(version: "1.2.3", ruleCount: 5)
        selfMetrics.record(read: .success(ExpositionFixture.snapshot))
        selfMetrics.record(read: .failure(MapGone()))
        selfMetrics.record(read: .failure(MapGone()))
        selfMetrics.recordScrape(.milliseconds(3))
        let reader = try ExpositionReader(exposition.render(nil, selfMetrics: selfMetrics, format: .prometheusText))
        #expect(reader.value("vtap_build_info", ["version": "1.2.3"]) == 1)
        #expect(reader.value("vtap_rules") == 5)
        #expect(reader.value("vtap_interfaces") == 2)
        #expect(reader.value("vtap_map_read_errors_total") == 2)
        #expect(reader.value("vtap_scrape_duration_seconds_count") == 1)
        #expect(reader.value("vtap_scrape_duration_seconds_bucket", ["le": "0.0025"]) == 0)
        #expect(reader.value("vtap_scrape_duration_seconds_bucket", ["le": "0.005"]) == 1)
        #expect(reader.value("vtap_scrape_duration_seconds_bucket", ["le": "+Inf"]) == 1)
        #expect(reader.samples.allSatisfy { !$0.name.hasPrefix("vtap_packets") }, "no snapshot, no measurements")
    }

    @Test func outputIsStableAndInTheContractsOrder() throws {
        let selfMetrics = ExporterSelfMetrics(version: "1", ruleCount: 5)
        let first = exposition.render(ExpositionFixture.snapshot, selfMetrics: selfMetrics, format: .prometheusText)
        #expect(
            first == exposition.render(ExpositionFixture.snapshot, selfMetrics: selfMetrics, format: .prometheusText))
        #expect(try ExpositionReader(first).families == MetricFamilies.all.map(\.name))
    }

    @Test func anEmptySnapshotHasNoMeasurementSeries() {
        #expect(exposition.measurementText(ExportSnapshot(interfaces: [])).isEmpty)
    }

    @Test func labelsAreEscapedAsTheFormatSays() throws {
        let text = String(decoding: exposition.measurementText(ExpositionFixture.snapshot), as: UTF8.self)
        #expect(
            text.contains(
                "vtap_packets_total{interface=\"eth0\",protocol=\"udp\",rule=\"quo\\\"te back\\\\slash\\nnew line\ttab\rreturn\"} 7"
            ))
        #expect(!text.contains("new line\"} 7\nnew"), "no raw line feed inside a label")
        let reader = try ExpositionReader(Array(text.utf8))
        #expect(reader.samples("vtap_packets_total", ["rule": nasty]).count == 1, "reads back to the rule's label")
    }
}

private struct MapGone: Error {}
