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
            if role == "server":
                s = socket.socket(family); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
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

        static func onlyTrace(in directory: URL) throws -> URL {
            let files = try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
            #expect(files.count == 1, "\(files)")
            return directory.appendingPathComponent(try #require(files.first))
        }

        @Test(.kernel, arguments: [4, 6])
        func packetEventsAreTcpdumpsPacketsAndReplayGivesTheSame(ipVersion: Int) throws {
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
            let rules = try RulesFile.write(
                [.init("to-server", "- \(server) - \(port) TCP"), .init("from-server", "\(server) - \(port) - TCP")],
                settings: ["EVENTS": #"{"QLOG": true}"#], to: directory)
            let object = directory.file("qlog.o")
            try RulesFile.compile(rules, to: object)
            let script = directory.file("transfer.py")
            try Self.transfer.write(to: script, atomically: true, encoding: .utf8)
            let live = directory.file("live")
            let capture = try PacketCapture.start(
                in: lab, side: .sender, direction: "inout", file: directory.file("client.pcap"))
            let vtap = try VtapRun.start(
                in: lab, side: .sender, object: object, json: false, options: ["--qlog", live.path])
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

            // Every frame tcpdump saw is one packet event, in its order,
            // with its numbers, flags, window and length.
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
            for (frame, packet) in zip(frames, packets) {
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
                #expect(packet["name"] as? String == (f[0] == client ? "tcp:packet_sent" : "tcp:packet_received"))
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
            func timeless(_ events: [[String: Any]]) -> [NSDictionary] {
                events.map { event in
                    var event = event
                    event["time"] = nil
                    return event as NSDictionary
                }
            }
            #expect(timeless(replayEvents) == timeless(events))
        }
    }
}
