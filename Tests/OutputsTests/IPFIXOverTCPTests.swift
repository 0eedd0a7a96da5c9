import Foundation
import Testing
import VtapMetrics
import VtapOutputs
import VtapRuleModel
import VtapTestSupport

/// IPFIX over TCP (RFC 7011, 10.4) as tshark reads it off loopback: the
/// exporter's first connection starts with the templates; when the
/// collector hangs up, the exporter notices, counts what it could not
/// send as lost, and its next connection starts again with the
/// templates and sequence number 0; the templates are withdrawn at the end.
@Suite(.serialized) struct IPFIXOverTCPTests {
    /// A collector that takes two connections: it reads the first for a
    /// second and hangs up (a restart), then reads the second to its end.
    static let collector = #"""
        import socket, sys
        s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(); print("ready", flush=True)
        for session in range(2):
            c, _ = s.accept(); c.settimeout(1 if session == 0 else 30); got = 0
            try:
                while True:
                    data = c.recv(65536)
                    if not data: break
                    got += len(data)
            except socket.timeout:
                pass
            c.close(); print(f"session {session}: {got} bytes", flush=True)
        """#

    @Test(.kernel) func aRestartedCollectorGetsTheTemplatesAgain() throws {
        let directory = try TemporaryDirectory(prefix: "vtap-ipfix-tcp")
        let port = Int.random(in: 20_000...40_000)
        let capture = directory.file("ipfix.pcap")
        let tcpdump = try RunningCommand([
            "tcpdump", "-i", "lo", "-w", capture.path, "-U", "--immediate-mode", "-n", "tcp", "port", "\(port)",
        ])
        defer { tcpdump.terminate() }
        #expect(tcpdump.waitForStandardError(containing: "listening on", timeout: .seconds(20)))
        let script = directory.file("collector.py")
        try Self.collector.write(to: script, atomically: true, encoding: .utf8)
        let collecting = try RunningCommand(["python3", script.path, "\(port)"])
        defer { collecting.terminate() }
        #expect(collecting.waitForStandardOutput(containing: "ready", timeout: .seconds(20)))

        let collectorAddress = try #require(CollectorAddress("127.0.0.1:\(port)"))
        let exporter = try IPFIXExporter(collector: collectorAddress, transport: .tcp, observationDomain: 9)
        let first = (0..<3).map { IPFIXMessagesTests.connection($0) }
        exporter.export(first)
        #expect(collecting.waitForStandardOutput(containing: "session 0:", timeout: .seconds(10)))
        // The collector has hung up: the first send after may still be
        // taken by the kernel (the reset comes back), a later one fails.
        var attempts = 0
        while exporter.lastError == nil && attempts < 20 {
            exporter.export([IPFIXMessagesTests.connection(10 + attempts)])
            attempts += 1
            Thread.sleep(forTimeInterval: 0.1)
        }
        #expect(exporter.lastError != nil, "the exporter never noticed the collector hang up")
        #expect(exporter.recordsLost >= 1)
        let second = (20..<22).map { IPFIXMessagesTests.connection($0) }
        exporter.export(second)
        exporter.finish()
        #expect(collecting.waitForStandardOutput(containing: "session 1:", timeout: .seconds(10)))
        Thread.sleep(forTimeInterval: 0.5)
        tcpdump.interrupt()
        _ = tcpdump.wait(timeout: .seconds(10))

        // tshark's reading of both TCP streams.
        let expert = try CommandRunner.check(
            ["tshark", "-n", "-r", capture.path, "-d", "tcp.port==\(port),cflow", "-z", "expert,warn", "-q"])
        #expect(!expert.standardOutput.contains("Malformed"), "\(expert.standardOutput)")
        let rows = try CommandRunner.check(
            [
                "tshark", "-n", "-r", capture.path, "-d", "tcp.port==\(port),cflow", "-Y", "cflow", "-T", "fields",
                "-E", "separator=\t", "-E", "aggregator=,", "-e", "tcp.stream", "-e", "cflow.sequence", "-e",
                "cflow.od_id", "-e", "cflow.template_id", "-e", "cflow.srcport", "-e", "cflow.template_field_count",
            ]
        ).standardOutput.split(separator: "\n").map { $0.split(separator: "\t", omittingEmptySubsequences: false) }
        let streams = Dictionary(grouping: rows, by: { String($0[0]) })
        #expect(streams.count == 2, "\(rows)")
        for (stream, messages) in streams {
            let opening = try #require(messages.first)
            // Each connection opens with the templates (both, in full) and sequence 0.
            #expect(opening[1] == "0" && opening[2] == "9", "stream \(stream): \(opening)")
            #expect(opening[3].hasPrefix("256,257"), "stream \(stream): \(opening)")
        }
        let streamIDs = streams.keys.sorted()
        let ports = { (stream: String) in
            (streams[stream] ?? []).flatMap { $0[4].split(separator: ",").map(String.init) }.filter { !$0.isEmpty }
        }
        // The first connection carried the first batch; the second, the
        // records after the reconnection (what went into the void between
        // is lost, as counted).
        #expect(Array(ports(streamIDs[0]).prefix(3)) == first.map { "\($0.localPort)" })
        #expect(ports(streamIDs[1]) == second.map { "\($0.localPort)" }, "\(rows)")
        // The withdrawal closes the second: template ids with no fields.
        let last = try #require(streams[streamIDs[1]]?.last)
        #expect(last[3] == "256,257" && last[5] == "0,0", "\(last)")
    }
}
