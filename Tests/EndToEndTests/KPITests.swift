import Foundation
import Testing
import VtapTestSupport

extension EndToEnd {
    /// KPIS for real: a TCP transfer between a lab's namespaces while vtap
    /// runs with KPIS and exports over IPFIX to nfcapd (nfdump, from
    /// Debian) in the receiver's namespace. The oracles are the
    /// applications' own byte counts, nfdump's reading of the records, and
    /// the kernel's own counters in the sender's namespace (nstat).
    @Suite(.serialized) struct KPIs {
        struct Exchange {
            var client: [String: Any]
            var server: [String: Any]
            /// Every KPI record, in the order vtap wrote them.
            var records: [[String: Any]]
            /// nfdump's CSV rows (header names to values), one per record.
            var collected: [[String: String]]
            var standardError: String
            var retransmittedSegments: Int
            /// The server's, in the receiver's namespace (read before vtap's
            /// metrics are, so only the test's connection is counted).
            var serverRetransmittedSegments: Int
            /// The kernel's retransmission timeouts in the sender's namespace.
            var timeouts: Int
            /// The kernel's reordering events in the sender's namespace
            /// (TcpExtTCPSACKReorder + TCPTSReorder + TCPRenoReorder: where
            /// it counts a socket's reord_seen) and the segments the
            /// receiver's namespace queued out of order (TcpExtTCPOFOQueue).
            var reorderings: Int
            var outOfOrderQueued: Int
            /// vtap's /metrics after the exchange.
            var metrics: String
        }

        /// Runs one exchange: the client sends `size` bytes, the server
        /// answers 3,000 (Qlog.transfer); with `dropEvery`, nftables in
        /// the receiver's namespace drops every Nth segment to the port.
        /// A client that sends `size` bytes in 20 kB pieces over `seconds`,
        /// then reads the answer (the server is Qlog.transfer's).
        /// With a fifth argument `mptcp`, over an MPTCP socket.
        static let trickleClient = #"""
            import socket, sys, time
            address, port, size, seconds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
            protocol = 262 if sys.argv[5:] == ["mptcp"] else 0
            c = socket.socket(socket.AF_INET, socket.SOCK_STREAM, protocol); c.connect((address, port))
            piece = 20000; pieces = size // piece
            for i in range(pieces):
                c.sendall(b"s" * piece); time.sleep(seconds / pieces)
            c.shutdown(socket.SHUT_WR)
            while c.recv(65536): pass
            c.close()
            """#

        /// Reorders a namespace's outgoing packets through NFQUEUE
        /// (nfnetlink_queue, spoken here over a raw netlink socket): every
        /// Nth packet queued is held until M more have been let through
        /// (or the queue goes quiet for 50 ms). Arguments: queue, N, M.
        static let reorderer = #"""
            import select, socket, struct, sys
            queue, every, after = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
            s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 12)  # NETLINK_NETFILTER
            s.bind((0, 0)); sequence = 0
            def send(kind, attributes, flags=0):
                global sequence; sequence += 1
                body = struct.pack("!BBH", 0, 0, queue)  # nfgenmsg: AF_UNSPEC, version 0, the queue
                for kind_, payload in attributes:
                    length = 4 + len(payload)
                    body += struct.pack("=HH", length, kind_) + payload + bytes((4 - length % 4) % 4)
                # NFNL_SUBSYS_QUEUE (3); NLM_F_REQUEST, and NLM_F_ACK when asked.
                s.send(struct.pack("=IHHII", 16 + len(body), 3 << 8 | kind, 1 | flags, sequence, 0) + body)
            def verdict(packet):  # NFQNL_MSG_VERDICT, NFQA_VERDICT_HDR: NF_ACCEPT
                send(1, [(2, struct.pack("!II", 1, packet))])
            def packets(data):
                while len(data) >= 16:
                    length, kind = struct.unpack_from("=IH", data)
                    if kind == 2:  # NLMSG_ERROR: an acknowledgement when 0
                        error = struct.unpack_from("=i", data, 16)[0]
                        if error: sys.exit(f"nfqueue: netlink error {error}")
                    elif kind == 3 << 8:  # NFQNL_MSG_PACKET
                        offset = 20
                        while offset + 4 <= length:
                            size, attribute = struct.unpack_from("=HH", data, offset)
                            if attribute & 0x7FFF == 1:  # NFQA_PACKET_HDR: the packet id first
                                yield struct.unpack_from("!I", data, offset + 4)[0]
                            offset += (size + 3) & ~3
                    data = data[(length + 3) & ~3:]
            send(2, [(1, struct.pack("!BBH", 1, 0, socket.AF_INET))], flags=4)  # NFQNL_CFG_CMD_BIND
            send(2, [(2, struct.pack("!IB", 0xFFFF, 1))], flags=4)  # NFQNL_COPY_META: ids only
            print("ready", flush=True)
            count, held = 0, []
            while True:
                if not select.select([s], [], [], 0.05)[0]:
                    for packet, _ in held: verdict(packet)
                    held = []
                    continue
                for packet in packets(s.recv(1 << 16)):
                    count += 1
                    if count % every == 0:
                        held.append((packet, count)); continue
                    verdict(packet)
                    for late in [h for h in held if count - h[1] >= after]:
                        verdict(late[0]); held.remove(late)
            """#

        /// The collector the records go to: nfcapd (nfdump) or nfacctd (pmacct).
        enum Collector { case nfcapd, nfacctd }

        /// With `whileTrickling`, the client trickles its bytes over 3 s
        /// and the closure runs meanwhile (given the lab and the port).
        static func exchange(
            size: Int, dropEvery: Int? = nil, reorderEvery: Int? = nil, mptcp: Bool = false, exportInterval: Int = 60,
            whileTrickling: ((NetworkLab, Int) throws -> Void)? = nil, collector: Collector = .nfcapd
        ) throws -> Exchange {
            let lab = try NetworkLab()
            defer { lab.shutdown() }
            if mptcp { _ = try lab.addMPTCPPaths() }
            let directory = try TemporaryDirectory(prefix: "vtap-e2e-kpis")
            let server = lab.address(.receiver)
            let port = Int.random(in: 20_000...40_000)
            let collectorPort = port + 20_000
            let object = try Qlog.compiledRules(
                server: server, port: port, events: "{}", name: "kpis", in: directory,
                section: ("KPIS", #"{"IPFIX": "127.0.0.1:\#(collectorPort)", "EXPORT_INTERVAL": \#(exportInterval)}"#))
            let collected = directory.url.appendingPathComponent("nfcapd")
            try FileManager.default.createDirectory(at: collected, withIntermediateDirectories: true)
            let pmacctOutput = collected.appendingPathComponent("flows.csv")
            let collecting: RunningCommand
            switch collector {
            case .nfcapd:
                collecting = try lab.start(
                    in: .receiver,
                    ["nfcapd", "-b", "127.0.0.1", "-p", "\(collectorPort)", "-w", collected.path, "-t", "3600"])
            case .nfacctd:
                let configuration = directory.file("nfacctd.conf")
                try """
                daemonize: false
                nfacctd_ip: 127.0.0.1
                nfacctd_port: \(collectorPort)
                plugins: print
                print_output: csv
                print_output_file: \(pmacctOutput.path)
                print_refresh_time: 1
                aggregate: src_host, dst_host, src_port, dst_port, proto
                """.write(to: configuration, atomically: true, encoding: .utf8)
                collecting = try lab.start(in: .receiver, ["nfacctd", "-f", configuration.path])
            }
            defer { collecting.terminate() }
            var reordering: RunningCommand?
            defer { reordering?.terminate() }
            if let reorderEvery {
                let script = directory.file("reorder.py")
                try Self.reorderer.write(to: script, atomically: true, encoding: .utf8)
                let queue = try lab.start(in: .sender, ["python3", script.path, "7", "\(reorderEvery)", "3"])
                reordering = queue
                guard queue.waitForStandardOutput(containing: "ready", timeout: .seconds(20)) else {
                    throw ReportError("the reorderer did not start: \(queue.wait(timeout: .seconds(5)).summary)")
                }
                // iptables-legacy: these kernels have the xtables NFQUEUE
                // target but not nftables' queue expression.
                let queued = try lab.run(
                    in: .sender,
                    [
                        "iptables-legacy", "-A", "OUTPUT", "-p", "tcp", "--dport", "\(port)", "-j", "NFQUEUE",
                        "--queue-num", "7",
                    ])
                guard queued.succeeded else { throw ReportError("iptables: \(queued.summary)") }
            }
            if let dropEvery {
                try Self.nft(
                    in: .receiver, of: lab, table: "vtaploss", hook: "input",
                    rule: ["tcp", "dport", "\(port)", "numgen", "inc", "mod", "\(dropEvery)", "==", "0", "drop"])
            }
            let script = directory.file("transfer.py")
            try Qlog.transfer.write(to: script, atomically: true, encoding: .utf8)
            let eventsFile = directory.file("events.jsonl")
            Thread.sleep(forTimeInterval: 0.3)
            let metricsPort = port + 1
            let vtap = try VtapRun.start(
                in: lab, object: object, json: true,
                options: ["--events", eventsFile.path, "--server-port", "\(metricsPort)"])
            let serving = try lab.start(
                in: .receiver,
                ["python3", script.path, "server", server, "\(port)", "0"] + (mptcp ? ["mptcp"] : []))
            #expect(serving.waitForStandardOutput(containing: "ready", timeout: .seconds(20)))
            let sent: CommandResult
            if let whileTrickling {
                let trickle = directory.file("trickle.py")
                try Self.trickleClient.write(to: trickle, atomically: true, encoding: .utf8)
                let client = try lab.start(
                    in: .sender,
                    ["python3", trickle.path, server, "\(port)", "\(size)", "3"] + (mptcp ? ["mptcp"] : []))
                try whileTrickling(lab, port)
                sent = client.wait(timeout: .seconds(60))
            } else {
                sent = try lab.run(
                    in: .sender, ["python3", script.path, "client", server, "\(port)", "\(size)"],
                    timeout: .seconds(60))
            }
            let served = serving.wait(timeout: .seconds(60))
            #expect(sent.succeeded && served.succeeded, "\(sent.summary) \(served.summary)")
            #expect(served.standardOutput.contains("\(size)"), "the server got \(served.standardOutput)")
            // The kernel's own count of the client's retransmitted segments:
            // the sender's namespace is the lab's, with only this connection.
            let retransmitted = try Self.kernelCounter("TcpRetransSegs", in: .sender, of: lab)
            let timeouts = try Self.kernelCounter("TcpExtTCPTimeouts", in: .sender, of: lab)
            let reorderings = try ["TcpExtTCPSACKReorder", "TcpExtTCPTSReorder", "TcpExtTCPRenoReorder"].reduce(0) {
                $0 + (try Self.kernelCounter($1, in: .sender, of: lab))
            }
            let outOfOrderQueued = try Self.kernelCounter("TcpExtTCPOFOQueue", in: .receiver, of: lab)
            let serverRetransmitted = try Self.kernelCounter("TcpRetransSegs", in: .receiver, of: lab)
            Thread.sleep(forTimeInterval: 1)
            let metrics = try lab.run(in: .receiver, ["curl", "-sS", "http://127.0.0.1:\(metricsPort)/metrics"])
            let outcome = vtap.stop()
            #expect(outcome.endedCleanly, "\(outcome.result.summary)")
            // pmacct's print plugin writes every second.
            Thread.sleep(forTimeInterval: collector == .nfacctd ? 2.5 : 0.5)
            collecting.interrupt()
            _ = collecting.wait(timeout: .seconds(10))

            let records = try Events.events(eventsFile).filter { $0["level"] as? String == "kpis" }
            let client = try #require(records.first { $0["remote_port"] as? Int == port }, "\(records)")
            let serverRecord = try #require(records.first { $0["local_port"] as? Int == port }, "\(records)")
            let rows: [[String: String]]
            switch collector {
            case .nfcapd:
                let dump = try CommandRunner.check(["nfdump", "-R", collected.path, "-o", "csv", "-q"])
                let header =
                    try CommandRunner.check(["nfdump", "-R", collected.path, "-o", "csv"])
                    .standardOutput.split(separator: "\n").first.map(String.init) ?? ""
                rows = Self.csv(header: header, lines: dump.standardOutput)
            case .nfacctd:
                // SRC_IP,DST_IP,SRC_PORT,DST_PORT,PROTOCOL,PACKETS,BYTES, named as nfdump names them.
                let text = (try? String(contentsOf: pmacctOutput, encoding: .utf8)) ?? ""
                let rowsText = text.split(separator: "\n").dropFirst().joined(separator: "\n")
                rows = Self.csv(header: "sa,da,sp,dp,pr,ipkt,ibyt", lines: rowsText)
            }
            return Exchange(
                client: client, server: serverRecord, records: records, collected: rows,
                standardError: outcome.result.standardError,
                retransmittedSegments: retransmitted, serverRetransmittedSegments: serverRetransmitted,
                timeouts: timeouts, reorderings: reorderings, outOfOrderQueued: outOfOrderQueued,
                metrics: metrics.standardOutput)
        }

        /// An nftables table of one base chain on `hook` with one rule,
        /// in a lab namespace (gone with the namespace).
        static func nft(
            in side: NetworkLab.Side, of lab: NetworkLab, table: String, hook: String, rule: [String]
        ) throws {
            for command in [
                ["nft", "add", "table", "inet", table],
                ["nft", "add", "chain", "inet", table, hook, "{ type filter hook \(hook) priority 0; }"],
                ["nft", "add", "rule", "inet", table, hook] + rule,
            ] {
                let result = try lab.run(in: side, command)
                guard result.succeeded else { throw ReportError("nft: \(result.summary)") }
            }
        }

        /// One of the kernel's SNMP counters in a lab namespace, absolute
        /// (nstat -a -s: since the namespace was made, no history file).
        static func kernelCounter(_ name: String, in side: NetworkLab.Side, of lab: NetworkLab) throws -> Int {
            let nstat = try lab.run(in: side, ["nstat", "-a", "-s", name])
            guard nstat.succeeded else { throw ReportError("nstat: \(nstat.summary)") }
            // nstat omits a counter that is still 0.
            return nstat.standardOutput.split(separator: "\n").lazy.compactMap { line -> Int? in
                let fields = line.split(separator: " ", omittingEmptySubsequences: true)
                return fields.count >= 2 && fields[0] == name ? Int(fields[1]) : nil
            }.first ?? 0
        }

        static func csv(header: String, lines: String) -> [[String: String]] {
            let names = header.split(separator: ",").map(String.init)
            return lines.split(separator: "\n").filter { !$0.hasPrefix("ts,") && $0.contains(",") }.map { line in
                Dictionary(
                    zip(names, line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)),
                    uniquingKeysWith: { first, _ in first })
            }
        }

        /// nfdump's or pmacct's flows as "sport>dport bytes packets".
        static func flows(_ rows: [[String: String]]) -> [String] {
            rows.map { "\($0["sp"] ?? "?")>\($0["dp"] ?? "?") \($0["ibyt"] ?? "?") \($0["ipkt"] ?? "?")" }.sorted()
        }

        /// The flows a collector should hold: one per side, the local end
        /// the source, and the record's own bytes sent and segments out.
        static func expectedFlows(_ run: Exchange) -> [String] {
            [run.client, run.server].map { record in
                "\(record["local_port"] as? Int ?? -1)>\(record["remote_port"] as? Int ?? -1) "
                    + "\(record["bytes_sent"] as? Int ?? -1) \(record["segments_out"] as? Int ?? -1)"
            }.sorted()
        }

        /// What an application sent, in its side's record: the peer
        /// acknowledged exactly that plus one for the FIN and, on the side
        /// that opened, one for the SYN (the passive side's SYN-ACK is not
        /// counted: the kernel sets its snd_una without tcp_ack), and bytes sent is that plus what was retransmitted. A
        /// veth on a loaded two-core machine can lose segments or
        /// retransmit spuriously (a clean-clone CI run saw 45 spurious
        /// retransmissions of 2 MB), so the retransmissions are checked
        /// against the kernel's own count rather than assumed to be 0.
        static func expectSent(
            _ size: Int, in record: [String: Any], opened: Bool = true, retransmittedSegments: Int
        ) {
            let sent = record["bytes_sent"] as? Int ?? -1
            let retransmissions = record["retransmissions"] as? Int ?? -1
            #expect(record["bytes_acked"] as? Int == size + (opened ? 2 : 1), "\(record)")
            #expect(retransmissions == retransmittedSegments, "nstat \(retransmittedSegments); \(record)")
            #expect(retransmissions == 0 ? sent == size : sent > size, "\(record)")
        }

        /// pmacct's nfacctd, the other collector from Debian, stores the
        /// same two flows as the records.
        @Test(.kernel) func pmacctStoresTheSameFlows() throws {
            let run = try Self.exchange(size: 500_000, collector: .nfacctd)
            Self.expectSent(500_000, in: run.client, retransmittedSegments: run.retransmittedSegments)
            #expect(Self.flows(run.collected) == Self.expectedFlows(run), "pmacct: \(run.collected)")
        }

        /// Bytes and 5-tuples: each side's record says what its application
        /// sent, and nfcapd stored the same records.
        @Test(.kernel) func aTransfersRecordsReachNfcapdWithTheApplicationsBytes() throws {
            let size = 2_000_000
            let run = try Self.exchange(size: size)
            Self.expectSent(size, in: run.client, retransmittedSegments: run.retransmittedSegments)
            Self.expectSent(
                3_000, in: run.server, opened: false, retransmittedSegments: run.serverRetransmittedSegments)
            // bytes_received counts what advanced rcv_nxt: the FIN's one too.
            #expect(run.client["bytes_received"] as? Int == 3_000 + 1, "\(run.client)")
            #expect(run.server["bytes_received"] as? Int == size + 1, "\(run.server)")
            for record in [run.client, run.server] {
                #expect(record["end"] as? String == "fin", "\(record)")
                let handshake = record["handshake_rtt_us"] as? Int ?? -1
                let smoothed = record["rtt_smoothed_us"] as? Int ?? -1
                #expect(handshake > 0 && smoothed > 0 && (record["rtt_max_us"] as? Int ?? 0) >= smoothed, "\(record)")
                #expect((record["duration_ns"] as? Int ?? 0) > 0)
            }
            #expect(Self.flows(run.collected) == Self.expectedFlows(run), "nfdump: \(run.collected)")
            #expect(run.standardError.contains("records in"), "\(run.standardError)")
            #expect(run.standardError.contains(", 0 lost"), "\(run.standardError)")
            // Prometheus: both ends closed with FIN, one under each rule.
            for rule in ["to-server", "from-server"] {
                #expect(
                    run.metrics.contains("vtap_kpi_connections_total{rule=\"\(rule)\",end=\"fin\"} 1"),
                    "\(run.metrics)")
                #expect(run.metrics.contains("vtap_kpi_rtt_seconds_count{rule=\"\(rule)\"} 1"))
            }
        }

        /// iperf3, a workload nobody here wrote: its data connection's
        /// records carry the bytes its JSON report says the client sent and
        /// the server received, its 5-tuple, and FIN as the end; its control
        /// connection is a record pair of its own. iperf3 sends a 37-byte
        /// cookie on each connection before anything else (iperf_api.c:
        /// COOKIE_SIZE), counted in the data connection's bytes.
        @Test(.kernel) func iperf3sRecordsCarryItsOwnByteCounts() throws {
            let lab = try NetworkLab()
            defer { lab.shutdown() }
            let directory = try TemporaryDirectory(prefix: "vtap-e2e-kpis-iperf")
            let server = lab.address(.receiver)
            // iperf3's server stops reading its data connection once the
            // client says the test ended, and can close it with bytes unread
            // (then its report counts fewer than were sent, and the close is
            // a reset). The exchange is run again when iperf3 says so itself.
            var attempt = 0
            var port = 0
            var sent = 0
            var received = 0
            var eventsFile = directory.file("events.jsonl")
            repeat {
                attempt += 1
                port = Int.random(in: 20_000...40_000)
                let object = try Qlog.compiledRules(
                    server: server, port: port, events: "{}", name: "kpis\(attempt)", in: directory,
                    section: ("KPIS", #"{"IPFIX": "127.0.0.1:\#(port + 20_000)"}"#))
                eventsFile = directory.file("events\(attempt).jsonl")
                let vtap = try VtapRun.start(
                    in: lab, object: object, json: true, options: ["--events", eventsFile.path])
                let transfer = try IperfTransfer.run(in: lab, bytes: 3_000_000, bitrate: "0", port: port, json: true)
                Thread.sleep(forTimeInterval: 1)
                let outcome = vtap.stop()
                #expect(outcome.endedCleanly, "\(outcome.result.summary)")
                let report = try #require(
                    try JSONSerialization.jsonObject(with: Data(transfer.client.standardOutput.utf8))
                        as? [String: Any])
                let end = try #require(report["end"] as? [String: Any], "\(transfer.client.standardOutput)")
                sent = try #require((end["sum_sent"] as? [String: Any])?["bytes"] as? Int)
                received = try #require((end["sum_received"] as? [String: Any])?["bytes"] as? Int)
            } while received != sent && attempt < 4
            #expect(
                sent >= 3_000_000 && received == sent, "iperf3, \(attempt) runs: sent \(sent), received \(received)")
            let cookie = 37
            let records = try Events.events(eventsFile).filter { $0["level"] as? String == "kpis" }
            // Two connections, each a record from either end.
            #expect(records.count == 4, "\(records)")
            let clients = records.filter { $0["remote_port"] as? Int == port }
            let servers = records.filter { $0["local_port"] as? Int == port }
            let byBytesSent = { (records: [[String: Any]]) in
                records.sorted { ($0["bytes_sent"] as? Int ?? 0) > ($1["bytes_sent"] as? Int ?? 0) }
            }
            let client = try #require(byBytesSent(clients).first, "\(records)")
            let serverRecord = try #require(
                servers.first { $0["remote_port"] as? Int == client["local_port"] as? Int }, "\(records)")
            for record in [client, serverRecord] {
                #expect(record["protocol"] as? String == "TCP" && record["end"] as? String == "fin", "\(record)")
            }
            #expect(client["local"] as? String == lab.address(.sender) && client["remote"] as? String == server)
            #expect(serverRecord["local"] as? String == server)
            // Acknowledged: the cookie and the data, plus the SYN and the FIN.
            #expect(client["bytes_acked"] as? Int == cookie + sent + 2, "iperf3 sent \(sent): \(client)")
            #expect((client["bytes_sent"] as? Int ?? 0) >= cookie + sent, "\(client)")
            // Received: the cookie and the data, plus the client's FIN.
            #expect(serverRecord["bytes_received"] as? Int == cookie + received + 1, "\(serverRecord)")
            // The control connection carries iperf3's parameters and results, not the data.
            let control = try #require(clients.first { $0["local_port"] as? Int != client["local_port"] as? Int })
            #expect((control["bytes_sent"] as? Int ?? .max) < 10_000, "\(control)")
        }

        /// Loss: nftables drops every 25th segment to the server; the client's
        /// record counts as many retransmissions as the kernel's own
        /// TcpRetransSegs in its namespace.
        @Test(.kernel) func retransmissionsAreTheKernelsCount() throws {
            let run = try Self.exchange(size: 1_000_000, dropEvery: 25)
            let retransmissions = run.client["retransmissions"] as? Int ?? -1
            #expect(retransmissions > 0, "\(run.client)")
            #expect(retransmissions == run.retransmittedSegments, "nstat \(run.retransmittedSegments); \(run.client)")
            #expect(run.client["bytes_sent"] as? Int ?? 0 >= 1_000_000)
            #expect(
                run.metrics.contains("vtap_kpi_retransmissions_total{rule=\"to-server\"} \(retransmissions)"),
                "\(run.metrics)")
        }

        /// Reordering: every 10th packet the client sends is held back
        /// until 3 more have gone (NFQUEUE). The client's record counts as
        /// many reordering events as the kernel's reordering counters in
        /// its namespace (the two places that count a socket's
        /// reord_seen), and the server's shows segments received out of
        /// order, as its namespace's TcpExtTCPOFOQueue does.
        @Test(.kernel) func reorderingIsTheKernelsCount() throws {
            let run = try Self.exchange(size: 1_000_000, reorderEvery: 10)
            let reordering = run.client["reordering"] as? Int ?? -1
            #expect(reordering > 0 && reordering == run.reorderings, "nstat \(run.reorderings); \(run.client)")
            #expect((run.server["out_of_order"] as? Int ?? 0) > 0 && run.outOfOrderQueued > 0, "\(run.server)")
            #expect(run.server["bytes_received"] as? Int == 1_000_000 + 1, "\(run.server)")
        }

        /// RTT and duration against `ss -ti`, read in the client's namespace
        /// every 100 ms while it trickles: the record's minimum RTT is no
        /// more than any minrtt ss showed, its maximum no less than any
        /// smoothed RTT ss showed (vtap sees every srtt the kernel set), and
        /// its duration covers the time ss saw the connection.
        @Test(.kernel) func rttAndDurationAgreeWithSs() throws {
            final class Samples: @unchecked Sendable {
                var rows: [(at: ContinuousClock.Instant, srtt: Double, minimum: Double)] = []
            }
            let samples = Samples()
            let run = try Self.exchange(size: 600_000) { lab, port in
                let until = ContinuousClock.now + .milliseconds(2_500)
                while ContinuousClock.now < until {
                    let ss = try lab.run(in: .sender, ["ss", "-tin", "state", "established", "( dport = :\(port) )"])
                    if let match = ss.standardOutput.firstMatch(of: #/ rtt:([\d.]+)\/[\d.]+ .* minrtt:([\d.]+)/#),
                        let srtt = Double(match.1), let minimum = Double(match.2)
                    {
                        samples.rows.append((ContinuousClock.now, srtt * 1000, minimum * 1000))
                    }
                    Thread.sleep(forTimeInterval: 0.1)
                }
            }
            #expect(samples.rows.count >= 10, "ss showed the connection \(samples.rows.count) times")
            let minimum = try #require(run.client["rtt_min_us"] as? Int)
            let maximum = try #require(run.client["rtt_max_us"] as? Int)
            #expect(minimum > 0)
            for row in samples.rows {
                // ss prints microseconds as ms with three decimals.
                #expect(Double(minimum) <= row.minimum.rounded() + 1, "min \(minimum) µs, ss minrtt \(row.minimum) µs")
                #expect(Double(maximum) >= row.srtt.rounded() - 1, "max \(maximum) µs, ss rtt \(row.srtt) µs")
            }
            if let first = samples.rows.first?.at, let last = samples.rows.last?.at {
                let seen = last - first
                let seenNanoseconds = Double(seen.components.seconds) * 1e9 + Double(seen.components.attoseconds) / 1e9
                let duration = Double(run.client["duration_ns"] as? Int ?? 0)
                #expect(
                    duration >= seenNanoseconds && duration < 60e9, "duration \(duration) ns, ss saw \(seenNanoseconds)"
                )
            }
        }

        /// What `ss` showed of one side's MPTCP connection while it was
        /// open: its token (`ss -M`), the extra subflows its path manager
        /// counted, and the subflow sockets carrying its token (`ss -t`,
        /// tcp-ulp-mptcp); the most of each seen in any sample.
        struct MPTCPView {
            var token: UInt32?
            var extraSubflows = 0
            var subflowSockets = 0

            mutating func sample(_ side: NetworkLab.Side, of lab: NetworkLab, port: Int) throws {
                let connections = try lab.run(in: side, ["ss", "-Mni"]).standardOutput
                guard let match = connections.firstMatch(of: #/ subflows:(\d+) .*? token:([0-9a-f]+)/#),
                    let token = UInt32(match.2, radix: 16)
                else { return }
                self.token = token
                extraSubflows = max(extraSubflows, Int(match.1) ?? 0)
                let subflows = try lab.run(in: side, ["ss", "-tni", "( sport = :\(port) or dport = :\(port) )"])
                // token:REMOTE(id:N)/LOCAL(id:M), as iproute2's ss prints it.
                let carrying = subflows.standardOutput
                    .matches(of: #/tcp-ulp-mptcp .*? token:[0-9a-f]+\(id:\d+\)/([0-9a-f]+)\(id/#)
                    .filter { UInt32($0.1, radix: 16) == token }.count
                subflowSockets = max(subflowSockets, carrying)
            }
        }

        /// MPTCP: a connection over three paths (MPTCPPaths), trickled so
        /// that `ss` can watch it in both namespaces. On each side, the
        /// subflows' records carry the connection's token as ss shows it,
        /// one per subflow socket ss listed with that token, numbered 1 to
        /// 3; the connection's own record has the subflow count (ss's
        /// extra subflows plus the first), the data the application sent
        /// acknowledged at the MPTCP level, and Prometheus counts it once;
        /// while open it had interim records, as its subflows did.
        @Test(.kernel) func mptcpSubflowsAreGroupedUnderTheirConnection() throws {
            final class Views: @unchecked Sendable {
                var client = MPTCPView()
                var server = MPTCPView()
            }
            let views = Views()
            let size = 600_000
            let run = try Self.exchange(size: size, mptcp: true, exportInterval: 1) { lab, port in
                let until = ContinuousClock.now + .milliseconds(2_500)
                while ContinuousClock.now < until {
                    try views.client.sample(.sender, of: lab, port: port)
                    try views.server.sample(.receiver, of: lab, port: port)
                    Thread.sleep(forTimeInterval: 0.1)
                }
            }
            for (side, view, rule) in [("client", views.client, "to-server"), ("server", views.server, "from-server")] {
                let token = try #require(view.token, "ss -M never showed the \(side)'s connection")
                let hex = String(token, radix: 16)
                #expect(view.extraSubflows == 2 && view.subflowSockets == 3, "\(side): \(view)")
                let mine = run.records.filter { $0["mptcp_token"] as? String == hex }
                let subflows = mine.filter { $0["scope"] as? String == "subflow" && $0["end"] as? String != "open" }
                let connections = mine.filter { $0["scope"] as? String == "mptcp" && $0["end"] as? String != "open" }
                // The 3 s upload outlives EXPORT_INTERVAL (1 s): the connection's
                // interim records, its bytes growing to the final record's.
                let interim = mine.filter { $0["scope"] as? String == "mptcp" && $0["end"] as? String == "open" }
                let key = side == "client" ? "bytes_sent" : "bytes_received"
                let interimBytes = interim.compactMap { $0[key] as? Int }
                #expect(!interim.isEmpty, "\(side): no interim MPTCP record in \(mine)")
                #expect(interimBytes == interimBytes.sorted(), "\(side): \(interimBytes)")
                #expect(subflows.count == view.subflowSockets, "\(side) token \(hex): \(mine)")
                #expect(subflows.compactMap { $0["path_index"] as? Int }.sorted() == [1, 2, 3], "\(side): \(subflows)")
                let connection = try #require(connections.first, "\(side): no MPTCP record in \(run.records)")
                #expect(connections.count == 1)
                #expect(connection["subflows"] as? Int == view.extraSubflows + 1, "\(side): \(connection)")
                #expect(connection["end"] as? String == "fin", "\(side): \(connection)")
                #expect(connection["rule_label"] as? String == rule, "\(side): \(connection)")
                #expect((interimBytes.last ?? .max) <= connection[key] as? Int ?? -1, "\(side): \(interimBytes)")
                // The subflows carried the application's bytes between them.
                let carried = subflows.reduce(0) {
                    $0 + ($1[side == "client" ? "bytes_sent" : "bytes_received"] as? Int ?? 0)
                }
                #expect(carried >= size, "\(side): the subflows carried \(carried) bytes")
                #expect(
                    run.metrics.contains("vtap_kpi_mptcp_connections_total{rule=\"\(rule)\"} 1"), "\(run.metrics)")
                #expect(run.metrics.contains("vtap_kpi_mptcp_subflows_total{rule=\"\(rule)\"} 3"), "\(run.metrics)")
            }
            // At the MPTCP level: the data the client's application sent,
            // acknowledged (the DATA_FIN counts one), and received by the server's.
            let connections = run.records.filter { $0["scope"] as? String == "mptcp" && $0["end"] as? String != "open" }
            let serverPort = run.server["local_port"] as? Int
            let client = try #require(connections.first { $0["local_port"] as? Int != serverPort })
            let server = try #require(connections.first { $0["local_port"] as? Int == serverPort })
            #expect(client["bytes_sent"] as? Int == size && client["bytes_acked"] as? Int == size + 1, "\(client)")
            #expect(server["bytes_received"] as? Int == size && server["bytes_sent"] as? Int == 3_000, "\(server)")
            #expect(client["reinjected_bytes"] as? Int == 0, "no path failed, so nothing was reinjected: \(client)")
        }

        /// A stall: everything to the server is dropped for 1.5 s in the
        /// middle of a trickled upload; the client's record counts as many
        /// RTO-driven stalls as the kernel's TcpExtTCPTimeouts in its
        /// namespace, and the bytes still all arrive.
        @Test(.kernel) func stallsAreTheKernelsTimeouts() throws {
            let run = try Self.exchange(size: 600_000) { lab, port in
                Thread.sleep(forTimeInterval: 1)
                try Self.nft(
                    in: .receiver, of: lab, table: "vtapblackout", hook: "input",
                    rule: ["tcp", "dport", "\(port)", "drop"])
                Thread.sleep(forTimeInterval: 1.5)
                _ = try lab.run(in: .receiver, ["nft", "delete", "table", "inet", "vtapblackout"])
            }
            let stalls = run.client["stalls"] as? Int ?? -1
            #expect(stalls > 0, "\(run.client)")
            #expect(stalls == run.timeouts, "nstat TcpExtTCPTimeouts \(run.timeouts); \(run.client)")
            #expect((run.client["retransmissions"] as? Int ?? 0) >= stalls, "\(run.client)")
            #expect(run.server["bytes_received"] as? Int == 600_000 + 1, "\(run.server)")
        }
    }
}
