import Foundation
import Testing
import VtapTestSupport

extension EndToEnd {
    /// EVENTS for real: `vtap run --events` while a workload whose every
    /// send and receive is known runs between a lab's namespaces. The
    /// oracle is the workload itself (it reports what its calls returned);
    /// the tracepoints are host-wide, so the rules' addresses (the lab's
    /// own) are what keeps other traffic out.
    @Suite struct Events {
        /// The workload: a server in the receiver's namespace echoes each
        /// message back, over UDP (connected client, unbound server
        /// replies with sendto) and TCP (MSG_WAITALL, so each call moves
        /// one whole message); or, in `burst` mode, the client sends
        /// datagrams back to back and the server counts what arrived.
        static let workload = #"""
            import json, socket, struct, sys, time
            role, mode, address, port, count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
            sizes = [100 + 37 * (i % 32) for i in range(count)]
            calls = []
            def checksum(data):
                total = sum(struct.unpack("!%dH" % (len(data) // 2), data[: len(data) // 2 * 2]))
                if len(data) % 2: total += data[-1] << 8
                while total >> 16: total = (total & 0xFFFF) + (total >> 16)
                return ~total & 0xFFFF
            if mode == "icmp":
                # The server's kernel answers; the client pings over a raw socket.
                if role == "client":
                    r = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP); r.settimeout(3)
                    for i, n in enumerate(sizes):
                        body = struct.pack("!HH", 0x7674, i) + b"i" * n
                        message = struct.pack("!BBH", 8, 0, checksum(struct.pack("!BBH", 8, 0, 0) + body)) + body
                        calls.append(("ICMP", "send", r.sendto(message, (address, 0))))
                        while True:
                            packet = r.recv(65536)
                            if packet[20] == 0 and packet[24:28] == struct.pack("!HH", 0x7674, i): break
                        calls.append(("ICMP", "receive", len(packet) - 20))
            elif role == "server":
                u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                u.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 22)
                u.bind((address, port))
                if mode == "burst":
                    u.settimeout(3)
                    got = 0
                    try:
                        while True:
                            calls.append(("UDP", "receive", len(u.recv(4096)))); got += 1
                    except socket.timeout:
                        pass
                else:
                    t = socket.socket(); t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                    t.bind((address, port)); t.listen()
                    print("ready", flush=True)
                    for n in sizes:
                        data, peer = u.recvfrom(4096); calls.append(("UDP", "receive", len(data)))
                        calls.append(("UDP", "send", u.sendto(data, peer)))
                    c, _ = t.accept()
                    for n in sizes:
                        data = c.recv(n, socket.MSG_WAITALL); calls.append(("TCP", "receive", len(data)))
                        calls.append(("TCP", "send", c.send(data)))
                    calls.append(("TCP", "receive", len(c.recv(1)))); c.close(); t.close()
            else:
                u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.connect((address, port))
                if mode == "burst":
                    for n in sizes:
                        calls.append(("UDP", "send", u.send(b"b" * n)))
                else:
                    for n in sizes:
                        calls.append(("UDP", "send", u.send(b"u" * n)))
                        calls.append(("UDP", "receive", len(u.recv(4096))))
                    c = socket.create_connection((address, port))
                    for n in sizes:
                        calls.append(("TCP", "send", c.send(b"t" * n)))
                        calls.append(("TCP", "receive", len(c.recv(n, socket.MSG_WAITALL))))
                    c.close()
            print(json.dumps(calls), flush=True)
            """#

        struct Call: Hashable {
            var protocolName: String
            var event: String
            var bytes: Int
        }

        static func calls(_ output: String) throws -> [Call] {
            let line = try #require(output.split(separator: "\n").last { $0.hasPrefix("[") })
            let decoded = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [[Any]])
            return try decoded.map { call in
                Call(
                    protocolName: try #require(call[0] as? String), event: try #require(call[1] as? String),
                    bytes: try #require(call[2] as? Int))
            }
        }

        static func events(_ file: URL) throws -> [[String: Any]] {
            try String(contentsOf: file, encoding: .utf8).split(separator: "\n").map { line in
                try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            }
        }

        /// The counts at the end of vtap's stderr: received, lost, capped.
        static func counts(_ standardError: String) throws -> (received: Int, lost: Int, capped: Int) {
            let line = try #require(standardError.split(separator: "\n").last { $0.hasPrefix("vtap: events: ") })
            let received = try #require(Int(line.dropFirst("vtap: events: ".count).prefix { $0.isNumber }))
            let lost = try #require(line.range(of: #"(\d+) lost"#, options: .regularExpression))
            let capped = try #require(line.range(of: #"(\d+) over"#, options: .regularExpression))
            return (
                received, Int(line[lost].prefix { $0.isNumber }) ?? -1,
                Int(line[capped].prefix { $0.isNumber }) ?? -1
            )
        }

        /// One run: a lab, rules selecting both directions of its traffic
        /// on a random port with `events` as the EVENTS section, vtap run
        /// on the receiver's veth, the workload between the namespaces.
        struct EventRun {
            var vtap: VtapOutcome
            /// What the workload's two sides report, client first.
            var calls: [Call]
            /// The events file's lines, decoded (empty without `--events`).
            var loggedEvents: [[String: Any]]
            /// Lines in the events file a second after the workload ended,
            /// before vtap was stopped: what a live reader had.
            var linesWhileRunning: Int
            var framesSeen: Int?
            /// The IP lengths of the captured frames to or from the port (tshark).
            var capturedIPLengths: [Int]?
            /// The captured TCP segments of the port: SYN, ACK and RST
            /// flags ("1"/"0" each, in that order), the raw sequence and
            /// acknowledgement numbers, the flag byte and the IP length (tshark).
            var capturedTCP: [CapturedSegment]?
            var receiverInterface: String
            var port: Int

            static func run(
                events: String, mode: String, count: Int, writeEvents: Bool = true, captureFrames: Bool = false,
                captureDirection: String = "inout", vtapOptions: [String] = []
            ) throws -> EventRun {
                let lab = try NetworkLab()
                defer { lab.shutdown() }
                let directory = try TemporaryDirectory(prefix: "vtap-e2e-events")
                let port = Int.random(in: 20_000...60_000)
                let server = lab.address(.receiver)
                let rules = try RulesFile.write(
                    [
                        .init("to-server-udp", "- \(server) - \(port) UDP"),
                        .init("from-server-udp", "\(server) - \(port) - UDP"),
                        .init("to-server-tcp", "- \(server) - \(port) TCP"),
                        .init("from-server-tcp", "\(server) - \(port) - TCP"),
                        .init("to-server-icmp", "- \(server) - - ICMP"),
                        .init("from-server-icmp", "\(server) - - - ICMP"),
                    ], settings: ["EVENTS": events], to: directory)
                let object = directory.file("events.o")
                try RulesFile.compile(rules, to: object)
                let script = directory.file("workload.py")
                try Events.workload.write(to: script, atomically: true, encoding: .utf8)
                let eventsFile = writeEvents ? directory.file("events.jsonl") : nil
                let capture =
                    captureFrames
                    ? try PacketCapture.start(in: lab, direction: captureDirection, file: directory.file("seen.pcap"))
                    : nil

                let vtap = try VtapRun.start(
                    in: lab, object: object, json: false,
                    options: (eventsFile.map { ["--events", $0.path] } ?? []) + vtapOptions)
                let side = { (role: String) in ["python3", script.path, role, mode, server, "\(port)", "\(count)"] }
                let serving = try lab.start(in: .receiver, side("server"))
                if mode == "echo" {
                    #expect(serving.waitForStandardOutput(containing: "ready", timeout: .seconds(20)))
                } else {
                    Thread.sleep(forTimeInterval: 0.5)
                }
                let client = try lab.run(in: .sender, side("client"))
                let served = serving.wait(timeout: .seconds(30))
                #expect(client.status == 0 && served.status == 0, "\(client.summary) \(served.summary)")
                capture?.waitUntilQuiet()
                Thread.sleep(forTimeInterval: 1)
                let linesWhileRunning = eventsFile.map { (try? Events.events($0).count) ?? 0 } ?? 0
                let outcome = vtap.stop()
                try capture?.stop()
                #expect(outcome.endedCleanly, "\(outcome.result.summary)")
                let lengths = try capture.map { capture in
                    try CaptureAnalysis.frames(in: capture.file, filter: "udp.port == \(port)", fields: ["ip.len"])
                        .compactMap { Int($0.fields[0]) }
                }
                let segments = try capture.map { capture in
                    try CaptureAnalysis.frames(
                        in: capture.file, filter: "tcp.port == \(port)",
                        fields: [
                            "tcp.flags.syn", "tcp.flags.ack", "tcp.flags.reset", "tcp.seq_raw", "tcp.ack_raw",
                            "tcp.flags",
                            "ip.len",
                        ]
                    ).map { frame in
                        let f = frame.fields.map { $0 == "True" ? "1" : $0 == "False" ? "0" : $0 }
                        return CapturedSegment(
                            flags: f[0] + f[1] + f[2], sequence: UInt32(f[3]) ?? 0, acknowledgement: UInt32(f[4]) ?? 0,
                            flagByte: Int(f[5].dropFirst(2), radix: 16).map { $0 & 0xff } ?? -1,
                            ipLength: Int(f[6]) ?? -1)
                    }
                }
                return EventRun(
                    vtap: outcome, calls: try Events.calls(client.standardOutput) + Events.calls(served.standardOutput),
                    loggedEvents: try eventsFile.map(Events.events) ?? [], linesWhileRunning: linesWhileRunning,
                    framesSeen: capture?.recordCount,
                    capturedIPLengths: lengths, capturedTCP: segments,
                    receiverInterface: lab.receiverInterface, port: port)
            }

            func events() throws -> [[String: Any]] { loggedEvents }
            func counts() throws -> (received: Int, lost: Int, capped: Int) {
                try Events.counts(vtap.result.standardError)
            }
        }

        @Test(.kernel) func socketEventsAreExactlyTheWorkloadsCalls() throws {
            let run = try EventRun.run(events: #"{"LEVELS": ["socket", "connection"]}"#, mode: "echo", count: 12)
            #expect(run.calls.count == 12 * 8 + 1)
            let events = try run.events()
            let socketLevel = events.filter { $0["level"] as? String == "socket" }
            let logged = socketLevel.map {
                Call(
                    protocolName: $0["protocol"] as? String ?? "", event: $0["event"] as? String ?? "",
                    bytes: $0["bytes"] as? Int ?? -1)
            }
            #expect(
                Dictionary(grouping: logged, by: { $0 }).mapValues(\.count)
                    == Dictionary(grouping: run.calls, by: { $0 }).mapValues(\.count))
            // Every event names the workload's process, a rule and the port.
            for event in socketLevel {
                #expect(event["comm"] as? String == "python3")
                #expect((event["rule"] as? Int).map { (0..<4).contains($0) } == true)
                let ports = [event["local_port"] as? Int, event["remote_port"] as? Int]
                #expect(ports.contains(run.port), "\(event)")
            }
            // The connection: both ends' handshakes, and the close begun.
            let states = Set(
                events.filter { $0["event"] as? String == "state" }.map {
                    "\($0["from"] as? String ?? "")>\($0["to"] as? String ?? "")"
                })
            for transition in ["SYN_SENT>ESTABLISHED", "SYN_RECV>ESTABLISHED", "ESTABLISHED>FIN_WAIT1"] {
                #expect(states.contains(transition), "\(states)")
            }
            let counts = try run.counts()
            #expect(counts.received == events.count && counts.lost == 0 && counts.capped == 0)
            // Delivered while running, not only when vtap stopped and drained.
            #expect(run.linesWhileRunning == events.count, "\(run.linesWhileRunning) of \(events.count) lines live")
        }

        /// The ip level: every datagram of a burst is one transmit on the
        /// sender's veth and one receive on the receiver's, as many as
        /// tcpdump saw arrive, each with its IP length.
        @Test(.kernel) func ipEventsAreEveryPacketTcpdumpSaw() throws {
            let run = try EventRun.run(
                events: #"{"LEVELS": ["ip"], "MAX_EVENTS_PER_SECOND": 0}"#, mode: "burst", count: 300,
                captureFrames: true, captureDirection: "in")
            let sent = run.calls.filter { $0.event == "send" }
            #expect(sent.count == 300)
            let events = try run.events()
            let captured = try #require(run.capturedIPLengths).sorted()
            #expect(captured.count == 300, "tcpdump saw \(captured.count) of the burst arrive")
            for kind in ["ip_receive", "ip_transmit"] {
                let packets = events.filter { $0["event"] as? String == kind && $0["rule"] as? Int == 0 }
                let lengths = packets.compactMap { $0["length"] as? Int }.sorted()
                #expect(lengths == captured, "\(kind): \(lengths.count) events against \(captured.count) frames")
            }
            #expect(captured == sent.map { $0.bytes + 28 }.sorted(), "IP length = UDP payload + 28")
            #expect(try run.counts().lost == 0)
        }

        /// The protocol level's UDP and ICMP: a datagram burst is one
        /// udp_send per datagram on the sender and one udp_receive per
        /// datagram tcpdump saw arrive, each with its IP length; each echo
        /// request and reply is one icmp_send and one icmp_receive.
        @Test(.kernel) func udpAndIcmpProtocolEventsAreThePacketsSent() throws {
            let udp = try EventRun.run(
                events: #"{"LEVELS": ["protocol"], "MAX_EVENTS_PER_SECOND": 0}"#, mode: "burst", count: 300,
                captureFrames: true, captureDirection: "in")
            let sent = udp.calls.filter { $0.event == "send" }.map { $0.bytes + 28 }.sorted()
            #expect(sent.count == 300)
            let udpEvents = try udp.events()
            func lengths(_ kind: String, rule: Int, in events: [[String: Any]]) -> [Int] {
                events.filter { $0["event"] as? String == kind && $0["rule"] as? Int == rule }
                    .compactMap { $0["length"] as? Int }.sorted()
            }
            #expect(lengths("udp_send", rule: 0, in: udpEvents) == sent)
            #expect(lengths("udp_receive", rule: 0, in: udpEvents) == (udp.capturedIPLengths ?? []).sorted())
            #expect(udpEvents.allSatisfy { $0["level"] as? String == "protocol" })

            let icmp = try EventRun.run(
                events: #"{"LEVELS": ["protocol"], "MAX_EVENTS_PER_SECOND": 0}"#, mode: "icmp", count: 20)
            let pings = icmp.calls.filter { $0.event == "send" }.map { $0.bytes + 20 }.sorted()
            let replies = icmp.calls.filter { $0.event == "receive" }.map { $0.bytes + 20 }.sorted()
            #expect(pings.count == 20 && replies == pings)
            let icmpEvents = try icmp.events()
            func typed(_ kind: String, type: Int, rule: Int) -> [Int] {
                lengths(kind, rule: rule, in: icmpEvents.filter { $0["type"] as? Int == type })
            }
            #expect(typed("icmp_send", type: 8, rule: 4) == pings, "echo requests sent")
            #expect(typed("icmp_receive", type: 8, rule: 4) == pings, "echo requests received")
            #expect(typed("icmp_send", type: 0, rule: 5) == replies, "echo replies sent")
            #expect(typed("icmp_receive", type: 0, rule: 5) == replies, "echo replies received")
            #expect(try icmp.counts().lost == 0)
        }

        /// The protocol level's TCP: one connection's SYN, SYN-ACK and the
        /// ACK that completes it are each one send (at the sending veth) and
        /// one receive (at the receiving one), with the sequence and
        /// acknowledgement numbers tcpdump captured on the receiver's veth;
        /// every other segment tcpdump captured is one tcp_send and one
        /// tcp_receive with its numbers, flags and IP length.
        struct CapturedSegment {
            var flags: String
            var sequence: UInt32
            var acknowledgement: UInt32
            var flagByte: Int
            var ipLength: Int
        }

        @Test(.kernel) func tcpEventsAreTheCapturedSegments() throws {
            let run = try EventRun.run(
                events: #"{"LEVELS": ["protocol"], "MAX_EVENTS_PER_SECOND": 0}"#, mode: "echo", count: 6,
                captureFrames: true)
            let segments = try #require(run.capturedTCP)
            let syn = try #require(segments.first { $0.flags == "100" }, "\(segments)")
            let synAck = try #require(segments.first { $0.flags == "110" }, "\(segments)")
            let ack = try #require(
                segments.first {
                    $0.flags == "010" && $0.sequence == synAck.acknowledgement
                        && $0.acknowledgement == synAck.sequence &+ 1
                }, "\(segments)")
            let events = try run.events()
            func logged(_ kind: String) -> [String] {
                events.filter { $0["event"] as? String == kind }.map {
                    "rule \($0["rule"] as? Int ?? -1) seq \($0["seq"] as? Int ?? -1) ack \($0["ack"] as? Int ?? -1)"
                }
            }
            func expected(_ segment: CapturedSegment, rule: Int) -> [String] {
                ["rule \(rule) seq \(segment.sequence) ack \(segment.acknowledgement)"]
            }
            // Rule 2 selects client to server, rule 3 server to client.
            for direction in ["send", "receive"] {
                #expect(logged("tcp_syn_\(direction)") == expected(syn, rule: 2))
                #expect(logged("tcp_syn_ack_\(direction)") == expected(synAck, rule: 3))
                #expect(logged("tcp_ack_\(direction)") == expected(ack, rule: 2))
            }
            // Every other segment is one tcp_send and one tcp_receive, with
            // its numbers, flag byte and IP length.
            func row(rule: Int, _ s: CapturedSegment) -> String {
                "rule \(rule) seq \(s.sequence) ack \(s.acknowledgement) flags \(s.flagByte) length \(s.ipLength)"
            }
            // The handshake's three by every field: the first data segment
            // has the handshake ACK's numbers.
            let handshake = [syn, synAck, ack].map { row(rule: 0, $0) }
            let others = segments.filter { !handshake.contains(row(rule: 0, $0)) }
            #expect(others.count == segments.count - 3 && others.count > 15, "\(segments.count) segments")
            let expectedRows = others.map { row(rule: Self.fromClient($0, syn: syn, synAck: synAck) ? 2 : 3, $0) }
            // The header's flag bits (RFC 9293), by the names vtap writes.
            let bits = [
                "FIN": 0x01, "SYN": 0x02, "RST": 0x04, "PSH": 0x08, "ACK": 0x10, "URG": 0x20, "ECE": 0x40, "CWR": 0x80,
            ]
            for kind in ["tcp_send", "tcp_receive"] {
                let rows = events.filter { $0["event"] as? String == kind }.map { event -> String in
                    let flags = (event["tcp_flags"] as? [String] ?? []).reduce(0) { $0 | (bits[$1] ?? 0x100) }
                    return "rule \(event["rule"] as? Int ?? -1) seq \(event["seq"] as? Int ?? -1) "
                        + "ack \(event["ack"] as? Int ?? -1) flags \(flags) length \(event["length"] as? Int ?? -1)"
                }
                #expect(rows.sorted() == expectedRows.sorted(), "\(kind)")
            }
            #expect(events.allSatisfy { $0["level"] as? String == "protocol" })
            #expect(try run.counts().lost == 0)
        }

        /// Whether a segment went from client to server: its sequence number
        /// is nearer the client's first (the SYN's) than the server's.
        static func fromClient(_ segment: CapturedSegment, syn: CapturedSegment, synAck: CapturedSegment) -> Bool {
            segment.sequence &- syn.sequence < segment.sequence &- synAck.sequence
        }

        /// A ring buffer of one page cannot hold a burst: what is lost is
        /// counted, and what was received plus what was lost is every call.
        @Test(.kernel) func aSmallRingBufferCountsEveryLostEvent() throws {
            let run = try EventRun.run(
                events: #"{"LEVELS": ["socket"], "RING_BUFFER_SIZE": 4096, "MAX_EVENTS_PER_SECOND": 0}"#,
                mode: "burst", count: 20_000)
            let counts = try run.counts()
            #expect(counts.lost > 0, "a page should not hold \(run.calls.count) events")
            #expect(counts.received + counts.lost == run.calls.count, "\(counts) against \(run.calls.count) calls")
            #expect(try run.events().count == counts.received)
        }

        /// MAX_EVENTS_PER_SECOND drops what is over it, counted.
        @Test(.kernel) func theCapDropsAndCountsWhatIsOverIt() throws {
            let run = try EventRun.run(
                events: #"{"LEVELS": ["socket"], "MAX_EVENTS_PER_SECOND": 50}"#, mode: "burst", count: 500,
                writeEvents: false)
            let counts = try run.counts()
            #expect(counts.capped > 0 && counts.lost == 0, "\(counts)")
            #expect(counts.received + counts.capped == run.calls.count, "\(counts) against \(run.calls.count) calls")
            // The burst takes well under a second or two: at most two windows' worth.
            #expect(counts.received <= 150, "\(counts)")
        }

        /// The kernel's run-time statistics: the packet program ran once for
        /// every frame tcpdump saw on the interface (both directions), and
        /// every program reports a time a run.
        @Test(.kernel) func selfCostCountsEveryFrameTheInterfaceSaw() throws {
            let run = try EventRun.run(
                events: #"{"LEVELS": ["socket"]}"#, mode: "echo", count: 6, writeEvents: false, captureFrames: true,
                vtapOptions: ["--self-cost"])
            let lines = run.vtap.result.standardError.split(separator: "\n").filter {
                $0.hasPrefix("vtap: self-cost: ")
            }
            func runs(_ line: Substring) -> Int? { Int(line.split(separator: ": ").last?.prefix { $0.isNumber } ?? "") }
            let measure = try #require(lines.first { $0.contains("vtap_measure on \(run.receiverInterface):") })
            let frames = try #require(run.framesSeen)
            #expect(runs(measure) == frames, "\(measure) against \(frames) frames")
            #expect(frames > 0 && measure.hasSuffix(" ns a run"), "\(measure)")
            // The tracepoint fires for every send on the host, selected or
            // not: at least the workload's 24 (6 of each per side and protocol).
            let send = try #require(lines.first { $0.contains("vtap_event_send:") }, "\(lines)")
            #expect((runs(send) ?? 0) >= 24 && send.hasSuffix(" ns a run"), "\(send)")
            #expect(lines.count == 3, "the packet program and the two socket-level programs: \(lines)")
        }

        /// `--events` for an object without EVENTS is one line and exit 1,
        /// before anything is attached.
        @Test(.kernel) func eventsWithoutEventProgramsIsBadInput() throws {
            let lab = try NetworkLab()
            defer { lab.shutdown() }
            let directory = try TemporaryDirectory(prefix: "vtap-e2e-events")
            let rules = try RulesFile.write([.init(nil, "- - - - UDP")], to: directory)
            let result = try lab.run(
                in: .receiver,
                [
                    BuiltProducts.vtap, "run", rules.path, "-i", lab.receiverInterface, "--events", "-", "--duration",
                    "1",
                ])
            #expect(result.status == 1, "\(result.summary)")
            let lines = result.standardError.split(separator: "\n")
            #expect(lines.count == 1 && lines[0].contains("no event programs"), "\(result.standardError)")
        }
    }
}
