import Foundation
import Testing
import VtapTestSupport

extension EndToEnd {
    /// LATENCY for real: a TCP transfer between a lab's namespaces while
    /// vtap runs with LATENCY and bpftrace counts `tcp:tcp_probe` for the
    /// transfer's port on its own. The tracepoints are host-wide, so both
    /// ends' receives are measured (the rules select both directions).
    @Suite struct Latency {
        /// One line of vtap's latency summary, as printed.
        struct Line {
            var rule: String
            var stage: String
            var samples: Int
            var maximumNanoseconds: Double
        }

        static func lines(_ standardError: String) throws -> [Line] {
            let pattern = #/vtap: latency: rule (\S+) (\S+): (\d+) samples, .*max < ([\d.]+) (ns|µs|ms|s)/#
            return try standardError.split(separator: "\n").compactMap { row in
                guard let match = row.firstMatch(of: pattern) else { return nil }
                let scale: Double =
                    switch match.5 {
                    case "ns": 1
                    case "µs": 1e3
                    case "ms": 1e6
                    default: 1e9
                    }
                return Line(
                    rule: String(match.1), stage: String(match.2), samples: try #require(Int(match.3)),
                    maximumNanoseconds: try #require(Double(match.4)) * scale)
            }
        }

        @Test(.kernel) func deviceToTransportSamplesAreTcpProbesFiresForTheConnection() throws {
            let lab = try NetworkLab()
            defer { lab.shutdown() }
            let server = lab.address(.receiver)
            let directory = try TemporaryDirectory(prefix: "vtap-e2e-latency")
            let port = Int.random(in: 20_000...60_000)
            let object = try Qlog.compiledRules(
                server: server, port: port, events: #"{"LATENCY": true}"#, name: "latency", in: directory)
            let script = directory.file("transfer.py")
            try Qlog.transfer.write(to: script, atomically: true, encoding: .utf8)

            // bpftrace, in the host's namespaces: the tracepoint is global.
            let probe =
                "tracepoint:tcp:tcp_probe /args->sport == \(port) || args->dport == \(port)/ { @fires = count(); }"
            let bpftrace = try RunningCommand(["bpftrace", "-e", probe])
            defer { bpftrace.terminate() }
            #expect(bpftrace.waitForStandardOutput(containing: "Attaching 1 probe", timeout: .seconds(60)))
            let eventsFile = directory.file("events.jsonl")
            let vtap = try VtapRun.start(in: lab, object: object, json: true, options: ["--events", eventsFile.path])

            let serving = try lab.start(in: .receiver, ["python3", script.path, "server", server, "\(port)", "0"])
            #expect(serving.waitForStandardOutput(containing: "ready", timeout: .seconds(20)))
            let started = ContinuousClock.now
            let sent = try lab.run(in: .sender, ["python3", script.path, "client", server, "\(port)", "2000000"])
            let served = serving.wait(timeout: .seconds(30))
            let transfer = ContinuousClock.now - started
            #expect(sent.status == 0 && served.status == 0, "\(sent.summary) \(served.summary)")
            Thread.sleep(forTimeInterval: 0.5)
            let outcome = vtap.stop()
            bpftrace.interrupt()
            let counted = bpftrace.wait(timeout: .seconds(20))
            #expect(outcome.endedCleanly, "\(outcome.result.summary)")

            let fires = try #require(
                counted.standardOutput.firstMatch(of: #/@fires: (\d+)/#).flatMap { Int($0.1) }, "\(counted.summary)")
            let lines = try Self.lines(outcome.result.standardError)
            let device = lines.filter { $0.stage == "device_to_transport" }
            #expect(device.reduce(0) { $0 + $1.samples } == fires, "\(outcome.result.standardError)")
            #expect(fires > 50)
            // Both ends received: the server the data, the client its ACKs.
            #expect(Set(device.map(\.rule)) == ["to-server", "from-server"])
            // Every sample is shorter than the transfer (a bucket's bound is
            // at most twice its sample).
            let transferNanoseconds =
                Double(transfer.components.seconds) * 1e9 + Double(transfer.components.attoseconds) / 1e9
            for line in lines {
                #expect(line.samples > 0 && line.maximumNanoseconds / 2 < transferNanoseconds, "\(line)")
            }
            #expect(lines.contains { $0.stage == "queue_to_transmit" })
            // The same histograms in the JSON report's summary, and in the
            // events file, one JSON line each.
            let summaryLine = try #require(outcome.result.standardOutput.split(separator: "\n").last)
            let summary = try #require(try JSONSerialization.jsonObject(with: Data(summaryLine.utf8)) as? [String: Any])
            #expect(summary["summary"] as? Bool == true)
            let reported = summary["stack_latency"] as? [[String: Any]] ?? []
            #expect(reported.map { $0["samples"] as? Int } == lines.map(\.samples), "\(reported)")
            let logged = try Events.events(eventsFile).filter { $0["level"] as? String == "latency" }
            #expect(logged.count == lines.count)
            for (json, line) in zip(logged, lines) {
                #expect(json["rule_label"] as? String == line.rule && json["stage"] as? String == line.stage)
                #expect(json["samples"] as? Int == line.samples)
                #expect((json["buckets"] as? [Int])?.reduce(0, +) == line.samples)
                let p50 = try #require(json["p50_ns"] as? Int)
                let maximum = try #require(json["max_ns"] as? Int)
                #expect(
                    p50 <= maximum && abs(Double(maximum) - line.maximumNanoseconds) <= Double(maximum) * 0.05,
                    "\(json)")
            }
        }

        /// Connections refused: every SYN to a port nobody listens on is
        /// dropped by TCP (no socket), with the reason kfree_skb names.
        /// vtap's drops by reason equal bpftrace's count of kfree_skb for
        /// the port's packets, reason by reason, and the refused SYNs are
        /// the workload's attempts.
        @Test(.kernel) func dropsAreKfreeSkbsWithTheirReasons() throws {
            let lab = try NetworkLab()
            defer { lab.shutdown() }
            let server = lab.address(.receiver)
            let directory = try TemporaryDirectory(prefix: "vtap-e2e-drops")
            let port = Int.random(in: 20_000...60_000)
            let object = try Qlog.compiledRules(
                server: server, port: port, events: #"{"LATENCY": true}"#, name: "drops", in: directory)
            let attempts = 25
            let script = directory.file("refused.py")
            try """
            import socket, sys
            refused = 0
            for _ in range(\(attempts)):
                try:
                    socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=5).close()
                except ConnectionRefusedError:
                    refused += 1
            print(refused, flush=True)
            """.write(to: script, atomically: true, encoding: .utf8)

            // The port's packets freed as drops, by reason (bpftrace reads
            // the TCP header itself; the tracepoint is host-wide).
            let probe = """
                tracepoint:skb:kfree_skb /args->protocol == 0x0800/ {
                    $skb = (struct sk_buff *)args->skbaddr;
                    $tcp = (struct tcphdr *)($skb->head + $skb->transport_header);
                    $source = ($tcp->source & 0xff) << 8 | $tcp->source >> 8;
                    $destination = ($tcp->dest & 0xff) << 8 | $tcp->dest >> 8;
                    if ($source == \(port) || $destination == \(port)) { @drops[args->reason] = count(); }
                }
                """
            let bpftrace = try RunningCommand(["bpftrace", "-e", probe])
            defer { bpftrace.terminate() }
            #expect(bpftrace.waitForStandardOutput(containing: "Attaching 1 probe", timeout: .seconds(60)))
            let vtap = try VtapRun.start(in: lab, object: object, json: true)
            let refused = try lab.run(in: .sender, ["python3", script.path, server, "\(port)"])
            #expect(refused.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines) == "\(attempts)")
            Thread.sleep(forTimeInterval: 0.5)
            let outcome = vtap.stop()
            bpftrace.interrupt()
            let counted = bpftrace.wait(timeout: .seconds(20))
            #expect(outcome.endedCleanly, "\(outcome.result.summary)")

            var expected: [Int: Int] = [:]
            for match in counted.standardOutput.matches(of: #/@drops\[(\d+)\]: (\d+)/#) {
                expected[try #require(Int(match.1))] = try #require(Int(match.2))
            }
            let summaryLine = try #require(outcome.result.standardOutput.split(separator: "\n").last)
            let summary = try #require(try JSONSerialization.jsonObject(with: Data(summaryLine.utf8)) as? [String: Any])
            let drops = summary["stack_drops"] as? [[String: Any]] ?? []
            var measured: [Int: Int] = [:]
            for drop in drops {
                measured[drop["reason_code"] as? Int ?? -1, default: 0] += drop["packets"] as? Int ?? 0
            }
            #expect(measured == expected, "vtap \(drops); bpftrace \(counted.standardOutput)")
            // The refused SYNs: TCP found no socket for them, before the transport stage.
            let refusedSyns = drops.first {
                $0["rule_label"] as? String == "to-server" && $0["reason"] as? String == "NO_SOCKET"
            }
            #expect(refusedSyns?["packets"] as? Int == attempts, "\(drops)")
            #expect(refusedSyns?["stage"] as? String == "device_to_transport", "\(drops)")
            #expect(
                outcome.result.standardError.contains(
                    "vtap: latency: rule to-server device_to_transport: \(attempts) dropped, NO_SOCKET"),
                "\(outcome.result.standardError)")
        }
    }
}
