import Foundation
import Testing
import VtapTestSupport

extension EndToEnd {
    /// vtap's exporter as a real Prometheus sees it: Debian's prometheus in
    /// the receiver's namespace scrapes `vtap run` on the veth every second
    /// while trafgen sends a known stream, and everything is checked through
    /// Prometheus's query API.
    @Suite struct Prometheus {
        @Test(.kernel, .tags(.slow)) func rateAndJitterThroughARealPrometheus() throws {
            let scraped = try ScrapedStream.record(capturing: true)
            defer { scraped.close() }
            let stream = scraped.stream
            // rate() over a window inside the traffic is the generated rate.
            // The generated rate is what tcpdump saw arrive in the window (the
            // nominal one only if trafgen kept its pace on a busy machine).
            let frames = try scraped.streamFrames()
            try #require(frames.count == stream.frames, "tcpdump saw \(frames.count) stream frames of \(stream.frames)")
            let middle = frames[frames.count / 2].timeNanoseconds
            let window: Int64 = 4_000_000_000
            // The window ends at the stream's middle, or 1 or 2 s later (still
            // inside the stream): a CI run on a loaded machine got no rate for
            // the middle window, as when scrapes in it failed or came late and
            // left fewer than two samples. The first window that has a rate is
            // checked, against what tcpdump saw arrive in that same window.
            var measured: (at: Date, generated: Double, rate: Double)?
            var tried: [String] = []
            for end in [middle, middle + 1_000_000_000, middle + 2_000_000_000] {
                let inWindow = frames.filter { $0.timeNanoseconds > end - window && $0.timeNanoseconds <= end }
                let generated = Double(inWindow.reduce(0) { $0 + $1.length }) / (Double(window) / 1e9)
                let at = Date(timeIntervalSince1970: Double(end) / 1e9)
                let rates = try scraped.prometheus.query(#"sum(rate(vtap_bytes_total{rule="stream"}[4s]))"#, at: at)
                if let rate = rates.first?.value {
                    measured = (at, generated, rate)
                    break
                }
                tried.append("\(at): \(rates)")
            }
            let (at, generated, rate) = try #require(measured, "no rate in any window: \(tried)")
            #expect(
                abs(rate / generated - 1) <= 0.05,
                "rate(vtap_bytes_total) \(rate) B/s; generated \(generated) B/s (nominal \(stream.bytesPerSecond))")
            let goodput = try #require(
                try scraped.prometheus.query(
                    #"sum(rate(vtap_payload_bytes_total{rule="stream"}[4s]))"#, at: at
                ).first?.value)
            let generatedPayload = generated * Double(stream.frameLength - 42) / Double(stream.frameLength)
            #expect(
                abs(goodput / generatedPayload - 1) <= 0.05,
                "rate(vtap_payload_bytes_total) \(goodput) B/s; generated \(generatedPayload) B/s")

            // Counters scraped after the traffic are exact, and sum() over the
            // labels (one series per interface, protocol and rule) double counts nothing.
            let packets = try scraped.prometheus.query(#"sum(vtap_packets_total)"#).first?.value
            #expect(packets == Double(stream.matchedPackets), "sum(vtap_packets_total) \(String(describing: packets))")
            let unmatched = try scraped.prometheus.query(#"sum(vtap_unmatched_packets_total)"#).first?.value
            #expect(unmatched == Double(stream.unmatchedPackets), "unmatched \(String(describing: unmatched))")
            let malformed = try scraped.prometheus.query(#"sum(vtap_malformed_packets_total)"#)
            #expect(malformed.first?.value == 1 && malformed.count == 1, "malformed \(malformed)")
            let errors = try scraped.prometheus.query(#"sum by (kind) (vtap_sequence_errors_total)"#)
            let byKind = Dictionary(uniqueKeysWithValues: errors.map { ($0.labels["kind"] ?? "", $0.value) })
            let expected = stream.expectedSequence
            let expectedByKind = [
                "reverse": Double(expected.reverse), "small": Double(expected.small), "big": Double(expected.big),
            ]
            #expect(byKind == expectedByKind.filter { $0.value > 0 }, "sequence errors \(errors); expected \(expected)")
            #expect(
                expected.reverse > 0 && expected.small > 0 && expected.big > 0, "the stream has every kind: \(expected)"
            )
            let lost = try scraped.prometheus.query(#"sum(vtap_sequence_lost_total)"#).first?.value
            #expect(lost == Double(expected.lost), "lost \(String(describing: lost)); expected \(expected.lost)")

            // The jitter gauges, with their labels, near the stream's gap.
            for name in ["vtap_jitter_mean_seconds", "vtap_jitter_stddev_seconds"] {
                let series = try scraped.prometheus.query(name, at: at)
                #expect(series.count == 1, "\(name): \(series)")
                guard let sample = series.first else { continue }
                #expect(
                    sample.labels["interface"] == scraped.interface && sample.labels["protocol"] == "udp"
                        && sample.labels["rule"] == "stream" && sample.labels["job"] == "vtap",
                    "\(name) labels \(sample.labels)")
                if name == "vtap_jitter_mean_seconds" {
                    #expect(abs(sample.value - stream.gapSeconds) <= stream.gapSeconds * 0.1, "\(name) \(sample.value)")
                } else {
                    #expect(sample.value >= 0 && sample.value < stream.gapSeconds, "\(name) \(sample.value)")
                }
            }
            let protocolJitter = try scraped.prometheus.query("vtap_protocol_jitter_mean_seconds", at: at)
            #expect(
                protocolJitter.map { $0.labels["protocol"] } == ["udp"]
                    && protocolJitter.first?.labels["interface"] == scraped.interface, "\(protocolJitter)")
        }

        /// Every query of the shipped Grafana dashboard parses in Prometheus,
        /// names only metrics the exporter really exposes (checked against a
        /// live scrape), and returns data for traffic that has every kind.
        @Test(.kernel, .tags(.slow)) func dashboardQueriesWorkOnLiveData() throws {
            let scraped = try ScrapedStream.record(capturing: false, insideTheStack: true)
            defer { scraped.close() }
            let exposed = try scraped.scrapedMetricNames()
            let dashboard = try GrafanaDashboard(url: RepositoryLayout.file("deploy/grafana/dashboards/vtap.json"))
            #expect(dashboard.queries.count >= 15, "dashboard queries: \(dashboard.queries.count)")
            #expect(
                Set(dashboard.variables) == ["datasource", "instance", "interface", "rule"], "\(dashboard.variables)")
            for variable in dashboard.variableQueries {
                for name in GrafanaDashboard.metricNames(in: variable) {
                    #expect(exposed.contains(name), "variable query \(variable) names \(name), not exposed")
                }
            }
            // Evaluated while the stream flows, so rate windows and jitter windows hold it.
            // trafgen's real start and end vary: take the first moment, from 5 s
            // into the traffic on, at which Prometheus holds the jitter gauges.
            let at = try #require(try scraped.momentWithJitterGauges(), "no scrape during the stream had jitter gauges")
            for query in dashboard.queries {
                let names = GrafanaDashboard.metricNames(in: query.expression)
                #expect(!names.isEmpty, "\(query.panel): no vtap metric in \(query.expression)")
                for name in names {
                    #expect(
                        exposed.contains(name), "\(query.panel): \(name) is not exposed; scrape has \(exposed.sorted())"
                    )
                }
                let expression = query.expression
                    .replacingOccurrences(of: "$__rate_interval", with: "5s")
                    .replacingOccurrences(of: "$instance", with: ".*")
                    .replacingOccurrences(of: "$interface", with: ".*")
                    .replacingOccurrences(of: "$rule", with: "stream")
                let result = try scraped.prometheus.query(expression, at: at)
                #expect(!result.isEmpty, "\(query.panel): \(expression) returned nothing")
            }
            // The stack's panels hold figures, not NaN: the trickle's segments
            // were timed from the device to TCP, and the programs ran.
            let p99 = try scraped.prometheus.query(
                "histogram_quantile(0.99, sum by (le, stage) (rate(vtap_stack_latency_seconds_bucket[5s])))", at: at)
            let deviceToTransport = p99.first { $0.labels["stage"] == "device_to_transport" }?.value ?? .nan
            #expect(deviceToTransport > 0 && deviceToTransport < 1, "\(p99)")
            let cost = try scraped.prometheus.query(
                "sum by (program) (rate(vtap_program_run_seconds_total[5s])) / sum by (program) (rate(vtap_program_runs_total[5s]))",
                at: at)
            #expect(cost.contains { $0.value > 0 && $0.value < 1e-3 }, "\(cost)")
        }
    }
}

/// A known UDP stream with seed sequence payloads, plus one unmatched
/// datagram per second and one malformed frame, sent while Prometheus
/// scrapes `vtap run --server-port` every second.
struct ScrapedStream {
    struct Stream {
        let frameLength = 600
        let gapNanoseconds: UInt64 = 5_000_000
        let seconds = 8.0
        var frames: Int { Int(seconds * 1e9 / Double(gapNanoseconds)) }
        var gapSeconds: Double { Double(gapNanoseconds) / 1e9 }
        var bytesPerSecond: Double { Double(frameLength) / gapSeconds }
        var payloadBytesPerSecond: Double { Double(frameLength - 42) / gapSeconds }
        var unmatchedPackets: Int { Int(seconds) }
        var matchedPackets: Int { frames }

        /// Sequence numbers with, early on, a gap of 5 (big), a gap of 2
        /// (small), a step back (reverse) and a duplicate (reverse).
        var sequence: [UInt32] {
            var numbers = Array(UInt32(1)...UInt32(frames))
            numbers.removeSubrange(10..<14)  // 11...14 lost: 10 → 15 is a big error
            numbers.remove(at: 30)  // one lost: a small error
            numbers.swapAt(50, 51)  // one reverse error (and one big jump before it)
            numbers[70] = numbers[69]  // a duplicate: reverse
            return numbers + Array(UInt32(frames + 1)...UInt32(frames + 6))
        }

        /// The contract's counters for `sequence`, from the test's own reference.
        var expectedSequence: SequenceCounters {
            var reference = SequenceReference(.counter)
            for number in sequence.prefix(frames) { reference.observe(flow: "stream", number: number) }
            return reference.counters
        }
    }

    let stream = Stream()
    let lab: NetworkLab
    let vtap: VtapRun
    let prometheus: PrometheusServer
    let metricsPort: Int
    let interface: String
    let trafficStart: Date
    let trafficEnd: Date
    /// vtap's /metrics while the stream was flowing (jitter gauges exist
    /// only while their window has samples).
    let midTrafficScrape: String
    let capture: URL?
    private let directory: TemporaryDirectory

    /// With `capturing`, tcpdump records the stream's arrival too. With
    /// `insideTheStack`, the rules have EVENTS (socket level and LATENCY),
    /// vtap measures its own cost (`--self-cost`), and a TCP connection, which the "quiet" rule selects, carries a
    /// message every 20 ms while the stream flows: the dashboard's panels
    /// for the stack then have data.
    static func record(capturing: Bool, insideTheStack: Bool = false) throws -> ScrapedStream {
        let lab = try NetworkLab()
        do {
            return try record(in: lab, capturing: capturing, insideTheStack: insideTheStack)
        } catch {
            lab.shutdown()
            throw error
        }
    }

    private init(
        lab: NetworkLab, vtap: VtapRun, prometheus: PrometheusServer, metricsPort: Int, trafficStart: Date,
        trafficEnd: Date, midTrafficScrape: String, capture: URL?, directory: TemporaryDirectory
    ) {
        self.midTrafficScrape = midTrafficScrape
        self.capture = capture
        self.lab = lab
        self.vtap = vtap
        self.prometheus = prometheus
        self.metricsPort = metricsPort
        self.interface = lab.interface(.receiver)
        self.trafficStart = trafficStart
        self.trafficEnd = trafficEnd
        self.directory = directory
    }

    /// Sends a 1,000-byte message every 20 ms for the given seconds, to a
    /// server that reads until the end.
    static let tcpTrickle = #"""
        import socket, sys, time
        role, address, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
        if role == "server":
            s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind((address, port)); s.listen(); print("ready", flush=True)
            c, _ = s.accept()
            while c.recv(65536): pass
        else:
            c = socket.create_connection((address, port)); end = time.monotonic() + float(sys.argv[4])
            while time.monotonic() < end:
                c.sendall(b"t" * 1000); time.sleep(0.02)
            c.close()
        """#

    private static func record(in lab: NetworkLab, capturing: Bool, insideTheStack: Bool) throws -> ScrapedStream {
        let stream = Stream()
        let e = try lab.preparedEndpoints()
        let directory = try TemporaryDirectory(prefix: "vtap-e2e-prometheus")
        let ruleList: [RulesFile.Rule] = [
            .init("stream", "\(e.senderAddress) \(e.receiverAddress) 4500 9 UDP"),
            .init("quiet", "\(e.senderAddress) \(e.receiverAddress) - - TCP"),
        ]
        let events = insideTheStack ? [(key: "EVENTS", value: #"{"LEVELS": ["socket"], "LATENCY": true}"#)] : []
        let rules = try RulesFile.write(ruleList, settings: Array(RulesFile.seedSequence) + events, to: directory)
        let object = directory.file("filter.o")
        try RulesFile.compile(rules, to: object)

        let metricsPort = 9464
        let prometheus = try PrometheusServer(
            configuration: """
                global:
                  scrape_interval: 1s
                scrape_configs:
                  - job_name: vtap
                    static_configs:
                      - targets: ["127.0.0.1:\(metricsPort)"]
                """, namespace: lab.namespace(.receiver))
        let vtap = try VtapRun.start(
            in: lab, object: object, json: true,
            options: ["--server-port", String(metricsPort)] + (insideTheStack ? ["--self-cost"] : []))
        try prometheus.wait(for: "vtap to be up") {
            try prometheus.query(#"up{job="vtap"}"#).first?.value == 1
        }

        var frames: [[UInt8]] = []
        var offsets: [UInt64] = []
        for (index, number) in stream.sequence.prefix(stream.frames).enumerated() {
            frames.append(
                e.ipv4.udp(from: 4500, to: 9)
                    .payload(seqPayload(sequence: number, totalLength: stream.frameLength - 42)).bytes)
            offsets.append(UInt64(index) * stream.gapNanoseconds)
        }
        // Unmatched: another port, once a second, between two stream frames.
        for second in 0..<stream.unmatchedPackets {
            let at = UInt64(second) * 1_000_000_000 + stream.gapNanoseconds / 2
            let index = offsets.firstIndex { $0 > at } ?? offsets.count
            frames.insert(e.ipv4.udp(from: 4500, to: 10).payload(Array(repeating: 0x55, count: 100)).bytes, at: index)
            offsets.insert(at, at: index)
        }
        // Malformed: an IPv4 header length of 16 bytes.
        var broken = e.ipv4.udp(from: 4500, to: 9).payload(Array(repeating: 0, count: 64)).bytes
        broken[14] = 0x44
        let brokenAt = stream.gapNanoseconds * 3 + stream.gapNanoseconds / 2
        let brokenIndex = offsets.firstIndex { $0 > brokenAt } ?? offsets.count
        frames.insert(broken, at: brokenIndex)
        offsets.insert(brokenAt, at: brokenIndex)

        // Frames are 600 bytes: a 2 KiB snap length makes each ring slot small (see PacketCapture).
        let capture =
            capturing ? try PacketCapture.start(in: lab, snapLength: 2048, file: directory.file("stream.pcap")) : nil
        let midScrape = MidTrafficScrape()
        var trickle: RunningCommand?
        if insideTheStack {
            let script = directory.file("trickle.py")
            try tcpTrickle.write(to: script, atomically: true, encoding: .utf8)
            let port = "\(Int.random(in: 20_000...60_000))"
            let server = try lab.start(in: .receiver, ["python3", script.path, "server", e.receiverAddress, port])
            guard server.waitForStandardOutput(containing: "ready", timeout: .seconds(20)) else {
                throw ReportError("the TCP server did not start: \(server.wait(timeout: .seconds(1)).summary)")
            }
            trickle = try lab.start(
                in: .sender, ["python3", script.path, "client", e.receiverAddress, port, "\(stream.seconds)"])
        }
        let start = Date()
        do {
            let scraper = Thread {
                Thread.sleep(forTimeInterval: stream.seconds / 2)
                midScrape.text =
                    (try? lab.run(in: .receiver, ["curl", "-sS", "http://127.0.0.1:\(metricsPort)/metrics"]))?
                    .standardOutput ?? ""
            }
            scraper.start()
            try lab.sendTimed(frames, offsetsNanoseconds: offsets)
            let end = Date()
            if let trickle {
                let sent = trickle.wait(timeout: .seconds(20))
                guard sent.succeeded else { throw ReportError("the TCP client failed: \(sent.summary)") }
            }
            capture?.waitUntilQuiet()
            try capture?.stop()
            // Two more scrapes after the last packet.
            try prometheus.wait(for: "scrapes after the traffic") {
                let last = try prometheus.query(#"timestamp(up{job="vtap"})"#).first?.value ?? 0
                return last > end.timeIntervalSince1970 + 1.5
            }
            return ScrapedStream(
                lab: lab, vtap: vtap, prometheus: prometheus, metricsPort: metricsPort, trafficStart: start,
                trafficEnd: end, midTrafficScrape: midScrape.text, capture: capture?.file, directory: directory)
        } catch {
            _ = try? capture?.stop()
            _ = vtap.stop()
            prometheus.stop()
            throw error
        }
    }

    /// The first moment (half-second steps from 5 s into the traffic to 2 s
    /// after it) at which the jitter gauges and a 5 s byte rate exist.
    func momentWithJitterGauges() throws -> Date? {
        var moment = trafficStart.addingTimeInterval(5)
        while moment <= trafficEnd.addingTimeInterval(2) {
            if try !prometheus.query("vtap_jitter_mean_seconds", at: moment).isEmpty,
                try !prometheus.query("vtap_protocol_jitter_mean_seconds", at: moment).isEmpty,
                try !prometheus.query("sum(rate(vtap_bytes_total[5s]))", at: moment).isEmpty
            {
                return moment
            }
            moment.addTimeInterval(0.5)
        }
        return nil
    }

    /// The stream's frames as tcpdump saw them arrive.
    func streamFrames() throws -> [CapturedFrame] {
        guard let capture else { throw ReportError("the stream was not captured") }
        return try CaptureAnalysis.frames(in: capture, filter: "udp.dstport == 9 && ip.hdr_len == 20")
    }

    /// Metric names in live scrapes of vtap's /metrics, during the traffic
    /// and now (histograms with their _bucket, _sum and _count series).
    func scrapedMetricNames() throws -> Set<String> {
        let result = try lab.run(in: .receiver, ["curl", "-sS", "--fail", "http://127.0.0.1:\(metricsPort)/metrics"])
        guard result.succeeded else { throw ReportError("scrape: \(result.summary)") }
        guard midTrafficScrape.contains("vtap_packets_total") else {
            throw ReportError("no scrape during the traffic: \(midTrafficScrape)")
        }
        var names = Set<String>()
        for line in (midTrafficScrape + "\n" + result.standardOutput).split(separator: "\n") where !line.hasPrefix("#")
        {
            let name = line.prefix { $0 != "{" && $0 != " " }
            if !name.isEmpty { names.insert(String(name)) }
        }
        return names
    }

    func close() {
        _ = vtap.stop()
        prometheus.stop()
        lab.shutdown()
    }
}

/// Text written by one thread and read by another after it is done.
private final class MidTrafficScrape: @unchecked Sendable {
    private let lock = NSLock()
    private var value = ""
    var text: String {
        get { lock.withLock { value } }
        set { lock.withLock { value = newValue } }
    }
}

/// The queries of a Grafana dashboard JSON: every panel target's PromQL
/// and every query variable.
struct GrafanaDashboard {
    struct Query {
        var panel: String
        var expression: String
    }

    var queries: [Query] = []
    var variables: [String] = []
    var variableQueries: [String] = []

    init(url: URL) throws {
        let object = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any]
        let panels = object?["panels"] as? [[String: Any]] ?? []
        for panel in panels {
            for target in panel["targets"] as? [[String: Any]] ?? [] {
                if let expression = target["expr"] as? String {
                    queries.append(Query(panel: panel["title"] as? String ?? "?", expression: expression))
                }
            }
        }
        let templating = (object?["templating"] as? [String: Any])?["list"] as? [[String: Any]] ?? []
        for variable in templating {
            variables.append(variable["name"] as? String ?? "")
            if let query = (variable["query"] as? [String: Any])?["query"] as? String { variableQueries.append(query) }
        }
    }

    /// The vtap metric names a PromQL expression refers to.
    static func metricNames(in expression: String) -> Set<String> {
        var names = Set<String>()
        var current = ""
        for character in expression + " " {
            if character.isLetter || character.isNumber || character == "_" || character == ":" {
                current.append(character)
            } else {
                if current.hasPrefix("vtap_") { names.insert(current) }
                current = ""
            }
        }
        return names
    }
}
