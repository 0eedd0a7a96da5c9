import Foundation
import Testing
import VtapTestSupport

extension EndToEnd {
    /// qlog for real: `vtap run --qlog` on the client's veth while a TCP
    /// transfer runs between a lab's namespaces, tcpdump on the same veth.
    /// The oracle is tshark's reading of that capture, packet by packet;
    /// then `vtap replay` of the capture must give the same trace.
    @Suite struct Qlog {
        /// A client sends `size` bytes and half-closes; the server reads to
        /// the end, answers with 3,000 bytes and closes.
        static let transfer = #"""
            import socket, sys
            role, address, port, size = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
            family = socket.AF_INET6 if ":" in address else socket.AF_INET
            protocol = 262 if sys.argv[5:] == ["mptcp"] else 0  # IPPROTO_MPTCP
            if role == "server":
                s = socket.socket(family, socket.SOCK_STREAM, protocol)
                s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                s.bind((address, port)); s.listen(); print("ready", flush=True)
                c, _ = s.accept(); got = 0
                while True:
                    data = c.recv(65536)
                    if not data: break
                    got += len(data)
                c.sendall(b"r" * 3000); c.close(); print(got, flush=True)
            else:
                c = socket.create_connection((address, port)); c.sendall(b"q" * size); c.shutdown(socket.SHUT_WR)
                while c.recv(65536): pass
                c.close()
            """#

        /// The records of a JSON-SEQ file (RFC 7464: RS before each).
        static func records(_ file: URL) throws -> [[String: Any]] {
            let text = try String(contentsOf: file, encoding: .utf8)
            #expect(text.hasPrefix("\u{1E}"))
            return try text.split(separator: "\u{1E}").map { record in
                try #require(try JSONSerialization.jsonObject(with: Data(record.utf8)) as? [String: Any])
            }
        }

        /// Rules selecting both directions of TCP to `server`:`port`, with
        /// `events` as the EVENTS section (or `section` instead of it),
        /// compiled into `name`.o.
        static func compiledRules(
            server: String, port: Int, events: String, name: String, in directory: TemporaryDirectory,
            section: (key: String, value: String)? = nil
        ) throws -> URL {
            let rules = try RulesFile.write(
                [.init("to-server", "- \(server) - \(port) TCP"), .init("from-server", "\(server) - \(port) - TCP")],
                settings: section.map { [$0] } ?? [(key: "EVENTS", value: events)], to: directory)
            let object = directory.file("\(name).o")
            try RulesFile.compile(rules, to: object)
            return object
        }

        static func onlyTrace(in directory: URL) throws -> URL {
            let files = try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
            #expect(files.count == 1, "\(files)")
            return directory.appendingPathComponent(try #require(files.first))
        }

        /// Over IPv4 and IPv6 on an AF_PACKET socket, and over IPv4 on TCX,
        /// where a segment's direction comes from the hook.
        @Test(.kernel, arguments: zip([4, 6, 4], [AttachMode.socket, .socket, .tc]))
        func packetEventsAreTcpdumpsPacketsAndReplayGivesTheSame(ipVersion: Int, attach: AttachMode) throws {
            let lab = try NetworkLab()
            defer { lab.shutdown() }
            var client = lab.address(.sender)
            var server = lab.address(.receiver)
            if ipVersion == 6 {
                // The lab turns IPv6 off; this test wants it on its veth only.
                for (side, address) in [(NetworkLab.Side.sender, "fd7a::1"), (.receiver, "fd7a::2")] {
                    let device = lab.interface(side)
                    _ = try lab.run(in: side, ["sysctl", "-q", "-w", "net.ipv6.conf.\(device).disable_ipv6=0"])
                    let added = try lab.run(in: side, ["ip", "addr", "add", "\(address)/64", "dev", device, "nodad"])
                    #expect(added.status == 0, "\(added.summary)")
                }
                (client, server) = ("fd7a::1", "fd7a::2")
            }
            let directory = try TemporaryDirectory(prefix: "vtap-e2e-qlog")
            let port = Int.random(in: 20_000...60_000)
            let object = try Self.compiledRules(
                server: server, port: port, events: #"{"QLOG": true, "LEVELS": ["connection"]}"#, name: "qlog",
                in: directory)
            let script = directory.file("transfer.py")
            try Self.transfer.write(to: script, atomically: true, encoding: .utf8)
            let live = directory.file("live")
            let capture = try PacketCapture.start(
                in: lab, side: .sender, direction: "inout", file: directory.file("client.pcap"))
            let vtap = try VtapRun.start(
                in: lab, side: .sender, object: object, json: false, options: ["--qlog", live.path] + attach.options)
            let serving = try lab.start(in: .receiver, ["python3", script.path, "server", server, "\(port)", "0"])
            #expect(serving.waitForStandardOutput(containing: "ready", timeout: .seconds(20)))
            let sent = try lab.run(in: .sender, ["python3", script.path, "client", server, "\(port)", "300000"])
            let served = serving.wait(timeout: .seconds(30))
            #expect(sent.status == 0 && served.status == 0, "\(sent.summary) \(served.summary)")
            capture.waitUntilQuiet()
            Thread.sleep(forTimeInterval: 0.5)
            let outcome = vtap.stop()
            try capture.stop()
            #expect(outcome.endedCleanly, "\(outcome.result.summary)")
            #expect(
                outcome.result.standardError.contains("vtap: qlog: 1 trace (sqlog)"), "\(outcome.result.standardError)")

            let trace = try Self.onlyTrace(in: live)
            #expect(trace.pathExtension == "sqlog")
            let records = try Self.records(trace)
            let header = try #require(records.first)
            #expect(header["file_schema"] as? String == "urn:ietf:params:qlog:file:sequential")
            #expect(header["serialization_format"] as? String == "application/qlog+json-seq")
            let traceHeader = try #require(header["trace"] as? [String: Any])
            #expect((traceHeader["vantage_point"] as? [String: Any])?["type"] as? String == "client")
            let events = Array(records.dropFirst())
            #expect(events.first?["name"] as? String == "tcp:connection_started")
            #expect(events.last?["name"] as? String == "tcp:connection_closed")
            #expect((events.last?["data"] as? [String: Any])?["reason"] as? String == "fin")
            let times = events.compactMap { $0["time"] as? Double }
            #expect(times.count == events.count && zip(times, times.dropFirst()).allSatisfy { $0 <= $1 })

            // The client socket's state changes, and not the server's
            // (both ends are on this host).
            let states = events.filter { $0["name"] as? String == "tcp:connection_state_updated" }.compactMap {
                ($0["data"] as? [String: Any]).map { "\($0["old"] ?? "")>\($0["new"] ?? "")" }
            }
            // (CLOSE>SYN_SENT comes before the socket has its port: it names no connection.)
            #expect(states.first == "SYN_SENT>ESTABLISHED", "\(states)")
            #expect(states.contains("ESTABLISHED>FIN_WAIT1") && !states.contains { $0.contains("SYN_RECV") })

            // Every frame tcpdump saw is one packet event, in its order
            // within its direction (a segment and one crossing it may be in
            // either order between the directions: see below), with its
            // numbers, flags, window and length.
            let source = ipVersion == 6 ? "ipv6.src" : "ip.src"
            let frames = try CaptureAnalysis.frames(
                in: capture.file, filter: "tcp.port == \(port)",
                fields: [
                    source, "tcp.seq_raw", "tcp.ack_raw", "tcp.flags", "tcp.window_size_value", "tcp.len", "tcp.seq",
                    "tcp.ack",
                ])
            let packets = events.filter { ($0["name"] as? String ?? "").hasPrefix("tcp:packet_") }
            #expect(frames.count == packets.count, "\(frames.count) frames, \(packets.count) packet events")
            #expect(frames.count > 20)
            let sentFrames = frames.filter { $0.fields.first == client }
            let sentPackets = packets.filter { $0["name"] as? String == "tcp:packet_sent" }
            let receivedFrames = frames.filter { $0.fields.first != client }
            let receivedPackets = packets.filter { $0["name"] as? String == "tcp:packet_received" }
            #expect(sentFrames.count == sentPackets.count && receivedFrames.count == receivedPackets.count)
            for (frame, packet) in Array(zip(sentFrames, sentPackets)) + zip(receivedFrames, receivedPackets) {
                let f = frame.fields
                let data = try #require(packet["data"] as? [String: Any])
                let h = try #require(data["header"] as? [String: Any])
                let flags = try #require(UInt8(f[3].dropFirst(2), radix: 16))
                let names = h["flags"] as? [String] ?? []
                let acknowledges = flags & 0x10 != 0
                let expected: [Int?] = [
                    Int(f[1]), acknowledges ? Int(f[2]) : nil, Int(f[4]), Int(f[5]), Int(f[6]),
                    acknowledges ? Int(f[7]) : nil,
                ]
                let logged: [Int?] = [
                    h["sequence_number"] as? Int, h["acknowledgement_number"] as? Int, h["window"] as? Int,
                    data["payload_length"] as? Int, h["relative_sequence_number"] as? Int,
                    h["relative_acknowledgement_number"] as? Int,
                ]
                #expect(expected == logged, "frame \(f) vs \(packet)")
                let flagBits: [(UInt8, String)] = [
                    (0x02, "SYN"), (0x01, "FIN"), (0x04, "RST"), (0x08, "PSH"), (0x10, "ACK"),
                ]
                #expect(Set(names) == Set(flagBits.filter { flags & $0.0 != 0 }.map(\.1)), "\(f[3]) \(names)")
            }
            // The handshake's options by name, as tcpdump prints them.
            let syn = try #require(packets.first?["data"] as? [String: Any])
            let synOptions = ((syn["header"] as? [String: Any])?["options"] as? [[String: Any]] ?? []).compactMap {
                $0["kind"] as? String
            }
            #expect(Set(synOptions).isSuperset(of: ["mss", "sackOK", "TS", "wscale"]), "\(synOptions)")

            // Replay of the capture: the same trace, times aside.
            let replayed = directory.file("replayed")
            let replay = try CommandRunner.run(
                [BuiltProducts.vtap, "replay", object.path, capture.file.path, "--qlog", replayed.path],
                timeout: .seconds(60))
            #expect(replay.status == 0, "\(replay.summary)")
            let replayTrace = try Self.onlyTrace(in: replayed)
            #expect(replayTrace.lastPathComponent == trace.lastPathComponent)
            let replayEvents = Array(try Self.records(replayTrace).dropFirst())
            // Each kind of event in its own order: tcpdump sees a sent segment
            // after the tc hook and a received one before it, so a segment and
            // the answer crossing it may be in either order between the two
            // directions (a CI run on IPv6 had two swapped).
            func timeless(_ events: [[String: Any]]) -> [String: [NSDictionary]] {
                Dictionary(grouping: events) { $0["name"] as? String ?? "" }.mapValues { group in
                    group.map { event in
                        var event = event
                        event["time"] = nil
                        return event as NSDictionary
                    }
                }
            }
            // (A capture has no socket states.)
            #expect(
                timeless(replayEvents)
                    == timeless(events.filter { $0["name"] as? String != "tcp:connection_state_updated" }))
        }
    }
}

extension EndToEnd.Qlog {
    /// The prototype's exchange: an HTTP GET over MPTCP, the server
    /// waiting for the client's subflows before answering, until
    /// MPTCP_TCPINFO shows three established. (The client's path manager
    /// opens them only once the server has acknowledged data, so they
    /// cannot come before the request; without the wait the answer
    /// sometimes ended the connection while the joins were half done:
    /// once in eight runs, with SYN and SYN-ACK only.)
    static let mptcpGet = #"""
        import ctypes, socket, struct, sys, time
        role, address, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
        IPPROTO_MPTCP = 262
        SOL_MPTCP, MPTCP_TCPINFO, TCP_ESTABLISHED = 284, 2, 1
        libc = ctypes.CDLL(None, use_errno=True)
        def established(sock):
            # struct mptcp_subflow_data, then each subflow's tcp_info cut to 8 bytes.
            buffer = ctypes.create_string_buffer(16 + 8 * 8)
            struct.pack_into("IIII", buffer, 0, 16, 0, 0, 8)
            size = ctypes.c_uint32(len(buffer))
            if libc.getsockopt(sock.fileno(), SOL_MPTCP, MPTCP_TCPINFO, buffer, ctypes.byref(size)) != 0:
                return 0
            _, count, _, each = struct.unpack_from("IIII", buffer.raw, 0)
            return sum(1 for i in range(min(count, 8)) if buffer.raw[16 + i * each] == TCP_ESTABLISHED)
        if role == "server":
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM, IPPROTO_MPTCP)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind((address, port)); s.listen(); print("ready", flush=True)
            c, _ = s.accept(); request = b""
            while b"\r\n\r\n" not in request:
                request += c.recv(4096)
            deadline = time.time() + 10
            while established(c) < 3 and time.time() < deadline:
                time.sleep(0.05)
            print("subflows", established(c), flush=True)
            c.sendall(b"HTTP/1.0 200 OK\r\nContent-Length: 400000\r\n\r\n" + b"m" * 400000)
            c.close()
        else:
            c = socket.socket(socket.AF_INET, socket.SOCK_STREAM, IPPROTO_MPTCP)
            c.connect((address, port))
            c.sendall(b"GET / HTTP/1.0\r\nHost: vtap\r\n\r\n")
            got = 0
            while True:
                data = c.recv(65536)
                if not data: break
                got += len(data)
            c.close(); print(got, flush=True)
        """#

    /// Three veth pairs between the lab's namespaces, MPTCP endpoints on
    /// the client's two extra addresses: one connection, two subflows
    /// joining it. One trace file holds all three, the subflows under the
    /// first's group id, found from the packets' own MP_CAPABLE keys and
    /// MP_JOIN tokens; each subflow's packet events are tcpdump's packets
    /// of its 4-tuple, in order; replay of the capture gives the same.
    @Test(.kernel) func mptcpSubflowsAreGroupedUnderTheirConnection() throws {
        let lab = try NetworkLab()
        defer { lab.shutdown() }
        let clientInterfaces = try lab.addMPTCPPaths()
        let server = lab.address(.receiver)
        let directory = try TemporaryDirectory(prefix: "vtap-e2e-mptcp")
        let port = Int.random(in: 20_000...60_000)
        let object = try Self.compiledRules(
            server: server, port: port, events: #"{"QLOG": true}"#, name: "mptcp", in: directory)
        let script = directory.file("get.py")
        try Self.mptcpGet.write(to: script, atomically: true, encoding: .utf8)
        let capture = directory.file("client.pcap")
        let tcpdump = try lab.start(
            in: .sender,
            [
                "tcpdump", "-i", "any", "-w", capture.path, "-U", "--immediate-mode", "-n", "-Z", "root", "-s", "200",
                "--time-stamp-precision=nano", "-B", "131072", "tcp", "port", "\(port)",
            ])
        #expect(tcpdump.waitForStandardError(containing: "listening on", timeout: .seconds(20)))
        let live = directory.file("live")
        let vtap = try VtapRun.start(
            in: lab, side: .sender, object: object, interfaces: clientInterfaces, json: false,
            options: ["--qlog", live.path])
        let serving = try lab.start(in: .receiver, ["python3", script.path, "server", "0.0.0.0", "\(port)"])
        #expect(serving.waitForStandardOutput(containing: "ready", timeout: .seconds(20)))
        let fetched = try lab.run(in: .sender, ["python3", script.path, "client", server, "\(port)"])
        let served = serving.wait(timeout: .seconds(30))
        #expect(fetched.status == 0 && served.status == 0, "\(fetched.summary) \(served.summary)")
        #expect(served.standardOutput.contains("subflows 3\n"), "\(served.standardOutput)")
        Thread.sleep(forTimeInterval: 1)
        let outcome = vtap.stop()
        tcpdump.interrupt()
        _ = tcpdump.wait(timeout: .seconds(10))
        #expect(outcome.endedCleanly, "\(outcome.result.summary)")

        let trace = try Self.onlyTrace(in: live)
        let records = try Self.records(trace)
        let common = (records.first?["trace"] as? [String: Any])?["common_fields"] as? [String: Any]
        let root = try #require(common?["group_id"] as? String)
        let events = Array(records.dropFirst())
        let subflowStarts = events.filter { $0["name"] as? String == "tcp:subflow_started" }
        #expect(subflowStarts.count == 2, "\(events.compactMap { $0["name"] as? String })")
        for start in subflowStarts {
            #expect((start["data"] as? [String: Any])?["parent_group_id"] as? String == root)
        }
        #expect(events.first?["name"] as? String == "tcp:connection_started")
        #expect(events.contains { $0["name"] as? String == "tcp:connection_closed" && $0["group_id"] == nil })
        let times = events.compactMap { $0["time"] as? Double }
        #expect(zip(times, times.dropFirst()).allSatisfy { $0 <= $1 })

        // Each subflow (its group) against tcpdump's packets of its 4-tuple.
        let frames = try CaptureAnalysis.frames(
            in: capture, filter: "tcp.port == \(port)",
            fields: [
                "ip.src", "tcp.srcport", "tcp.dstport", "tcp.seq_raw", "tcp.ack_raw", "tcp.flags",
                "tcp.window_size_value", "tcp.len", "tcp.options.mptcp.rawdataack", "tcp.options.mptcp.rawdataseqno",
                "tcp.options.mptcp.subflowseqno", "tcp.options.mptcp.datalvllen",
            ])
        var mappings = 0
        let groups = Dictionary(grouping: events) { $0["group_id"] as? String ?? root }
        #expect(groups.count == 3)
        for (group, groupEvents) in groups {
            let start = try #require(groupEvents.first?["data"] as? [String: Any], "group \(group)")
            let clientPort = try #require(start["src_port"] as? Int)
            // Each direction in its order: tcpdump sees a sent packet after
            // the tc hook and a received one before it, so a segment and
            // the peer's answer crossing it may be in either order between
            // the two directions (as seen once in six runs here).
            let rows = frames.filter { $0.fields[1] == "\(clientPort)" || $0.fields[2] == "\(clientPort)" }
            let packets = groupEvents.filter { ($0["name"] as? String ?? "").hasPrefix("tcp:packet_") }
            #expect(rows.count == packets.count && rows.count >= 3, "group \(group): \(rows.count) frames")
            let sentRows = rows.filter { $0.fields[1] == "\(clientPort)" }
            let receivedRows = rows.filter { $0.fields[1] != "\(clientPort)" }
            let sent = packets.filter { $0["name"] as? String == "tcp:packet_sent" }
            let received = packets.filter { $0["name"] as? String == "tcp:packet_received" }
            #expect(sentRows.count == sent.count && receivedRows.count == received.count, "group \(group)")
            for (row, packet) in Array(zip(sentRows, sent)) + Array(zip(receivedRows, received)) {
                let f = row.fields
                let data = try #require(packet["data"] as? [String: Any])
                let h = try #require(data["header"] as? [String: Any])
                let flags = try #require(UInt8(f[5].dropFirst(2), radix: 16))
                let expected: [Int?] = [
                    Int(f[3]), flags & 0x10 != 0 ? Int(f[4]) : nil, Int(f[6]), Int(f[7]),
                ]
                let logged: [Int?] = [
                    h["sequence_number"] as? Int, h["acknowledgement_number"] as? Int, h["window"] as? Int,
                    data["payload_length"] as? Int,
                ]
                #expect(expected == logged, "group \(group): \(f) vs \(packet)")
                // MPTCP's data sequence signal, as Wireshark decodes it.
                let options = h["options"] as? [[String: Any]] ?? []
                let dss = options.first { $0["subtype"] as? String == "dss" } ?? [:]
                // (An MP_CAPABLE with data has a data-level length too: compared only with a DSS.)
                let keys = ["data_ack", "data_sequence_number", "subflow_sequence_number", "data_level_length"]
                let compared = dss.isEmpty ? 3 : 4
                #expect(
                    keys.prefix(compared).map { dss[$0] as? UInt64 } == f[8..<8 + compared].map { UInt64($0) },
                    "group \(group): \(f) vs \(dss)")
                if dss["data_sequence_number"] != nil { mappings += 1 }
            }
        }

        #expect(mappings > 10, "data sequence mappings seen: \(mappings)")

        // Replay of the capture: the same file, the same events per group.
        let replayed = directory.file("replayed")
        let replay = try CommandRunner.run(
            [BuiltProducts.vtap, "replay", object.path, capture.path, "--qlog", replayed.path], timeout: .seconds(60))
        #expect(replay.status == 0, "\(replay.summary)")
        let replayTrace = try Self.onlyTrace(in: replayed)
        #expect(replayTrace.lastPathComponent == trace.lastPathComponent)
        // Per group and direction in order; the other events (started,
        // closed) in the order of their names, as they may fall between
        // other packets at the two vantage points.
        func byGroup(_ events: [[String: Any]]) -> [String: [NSDictionary]] {
            Dictionary(grouping: events) { event in
                let name = event["name"] as? String ?? ""
                return "\(event["group_id"] as? String ?? root) \(name.hasPrefix("tcp:packet_") ? name : "other")"
            }.mapValues { group in
                let timeless = group.map { event in
                    var event = event
                    event["time"] = nil
                    return event as NSDictionary
                }
                return timeless.first?["name"] as? String == "tcp:packet_sent"
                    || timeless.first?["name"] as? String == "tcp:packet_received"
                    ? timeless : timeless.sorted { "\($0["name"] ?? "")" < "\($1["name"] ?? "")" }
            }
        }
        let replayGroups = byGroup(Array(try Self.records(replayTrace).dropFirst()))
        let liveGroups = byGroup(events)
        #expect(replayGroups == liveGroups, "\(Self.firstDifference(replayGroups, liveGroups))")
    }

    /// Where a replay's groups first part from the live run's: the group,
    /// the event's index and both events, for the failure message.
    static func firstDifference(_ replay: [String: [NSDictionary]], _ live: [String: [NSDictionary]]) -> String {
        guard Set(replay.keys) == Set(live.keys) else {
            return "groups: replay \(replay.keys.sorted()) live \(live.keys.sorted())"
        }
        for (group, replayed) in replay {
            let logged = live[group] ?? []
            guard let index = zip(replayed, logged).enumerated().first(where: { $0.element.0 != $0.element.1 })?.offset
            else {
                if replayed.count != logged.count {
                    return "group \(group): replay \(replayed.count) events, live \(logged.count); "
                        + "extra: \(replayed.count > logged.count ? replayed[logged.count] : logged[replayed.count])"
                }
                continue
            }
            return "group \(group) event \(index): replay \(replayed[index]) live \(logged[index])"
        }
        return "none"
    }
}

extension EndToEnd.Qlog {
    /// Bad `--qlog` requests: one line naming the problem, the documented
    /// exit code, nothing written.
    @Test(.kernel) func badQlogRequestsAreOneLineAndWriteNothing() throws {
        let directory = try TemporaryDirectory(prefix: "vtap-e2e-qlog-bad")
        let capture = RepositoryLayout.file("rules/seed-traffic.pcap").path
        let plain = try Self.compiledRules(
            server: "192.0.2.1", port: 80, events: #"{"LEVELS": ["socket"]}"#, name: "plain", in: directory)
        let traces = directory.file("traces")
        let noSegments = try CommandRunner.run(
            [BuiltProducts.vtap, "replay", plain.path, capture, "--qlog", traces.path], timeout: .seconds(60))
        #expect(noSegments.status == 1, "\(noSegments.summary)")
        #expect(noSegments.standardError.split(separator: "\n").count == 1, "\(noSegments.standardError)")
        #expect(noSegments.standardError.contains("writes no TCP segments"), "\(noSegments.standardError)")
        #expect(!FileManager.default.fileExists(atPath: traces.path))

        let qlog = try Self.compiledRules(
            server: "192.0.2.1", port: 80, events: #"{"QLOG": true}"#, name: "qlog", in: directory)
        let file = directory.file("a-file")
        try Data("x".utf8).write(to: file)
        let notADirectory = try CommandRunner.run(
            [BuiltProducts.vtap, "replay", qlog.path, capture, "--qlog", file.path], timeout: .seconds(60))
        #expect(notADirectory.status == 1, "\(notADirectory.summary)")
        #expect(notADirectory.standardError.contains("is not a directory"), "\(notADirectory.standardError)")
        let noParent = try CommandRunner.run(
            [BuiltProducts.vtap, "replay", qlog.path, capture, "--qlog", file.appendingPathComponent("sub").path],
            timeout: .seconds(60))
        #expect(noParent.status == 1 && noParent.standardError.contains("is not a directory"), "\(noParent.summary)")
        #expect(try String(contentsOf: file, encoding: .utf8) == "x")

        let badFormat = try CommandRunner.run(
            [BuiltProducts.vtap, "replay", qlog.path, capture, "--qlog", traces.path, "--qlog-format", "json"],
            timeout: .seconds(60))
        #expect(badFormat.status == 64, "\(badFormat.summary)")

        // The seed's capture has no TCP the rule selects: no trace, and it says so.
        let none = try CommandRunner.run(
            [BuiltProducts.vtap, "replay", qlog.path, capture, "--qlog", traces.path], timeout: .seconds(60))
        #expect(none.status == 0, "\(none.summary)")
        #expect(none.standardError.contains("vtap: qlog: 0 traces"), "\(none.standardError)")
        #expect(!FileManager.default.fileExists(atPath: traces.path), "created with the first trace only")
    }
}
