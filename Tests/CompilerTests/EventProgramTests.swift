import Foundation
import Testing
import VtapCompiler
import VtapDiagnostics
import VtapRuleModel

/// An object holds the event programs its rules file asks for, and no
/// others: without EVENTS, no tracepoint program, no ring buffer.
@Suite struct EventProgramTests {
    static func manifest(_ text: String) throws -> Manifest {
        try RulesCompiler.compile(SourceFile(path: "r.json", text: text), options: .init(verify: false)).manifest
    }

    static let eventMaps: Set<String> = [
        ObjectContract.eventsMap, ObjectContract.eventStatsMap, ObjectContract.eventRateMap,
    ]

    @Test func noEventsMeansNoEventProgramAndNoRingBuffer() throws {
        let manifest = try Self.manifest(#"{"RULES": ["- - - 80 TCP"]}"#)
        #expect(manifest.programs.map(\.name) == ObjectContract.packetProgramNames)
        #expect(manifest.maps.allSatisfy { $0.type != "ringbuf" && !Self.eventMaps.contains($0.name) })
        #expect(manifest.structLayout(named: ObjectContract.eventStruct) == nil)
        #expect(manifest.slots.events == nil)
    }

    @Test func eachLevelBringsItsTracepointsOnly() throws {
        let expected: [(levels: String, tracepoints: Set<String>)] = [
            (#"["socket"]"#, ["sock_send_length", "sock_recv_length"]),
            (#"["connection"]"#, ["inet_sock_set_state"]),
            // UDP and ICMP at the device: they have no tracepoints of their own.
            (
                #"["protocol"]"#,
                ["tcp_retransmit_skb", "tcp_send_reset", "tcp_receive_reset", "netif_receive_skb", "net_dev_xmit"]
            ),
            (#"["ip"]"#, ["netif_receive_skb", "net_dev_xmit"]),
        ]
        for (levels, tracepoints) in expected {
            let manifest = try Self.manifest(#"{"RULES": ["- - - 80 TCP"], "EVENTS": {"LEVELS": \#(levels)}}"#)
            let events = manifest.programs.filter { $0.role == "events" }
            #expect(
                Set(events.map { String($0.attach.dropFirst("raw_tracepoint:".count)) }) == tracepoints, "\(levels)")
            #expect(events.allSatisfy { $0.type == "raw_tracepoint" && $0.attach.hasPrefix("raw_tracepoint:") })
            #expect(manifest.programs.filter { $0.role == "measure" }.map(\.name) == ObjectContract.packetProgramNames)
            #expect(Set(manifest.maps.map(\.name)).isSuperset(of: Self.eventMaps))
            #expect(manifest.slots.events == EventStatSlot.allCases.map(\.name))
        }
    }

    @Test func ringBufferSizeAndEventLayoutComeFromTheObject() throws {
        let manifest = try Self.manifest(
            #"{"RULES": ["- - - - -"], "EVENTS": {"LEVELS": ["socket"], "RING_BUFFER_SIZE": 65536}}"#)
        #expect(manifest.map(named: ObjectContract.eventsMap)?.maxEntries == 65536)
        #expect(manifest.map(named: ObjectContract.eventsMap)?.type == "ringbuf")
        let event = try #require(manifest.structLayout(named: ObjectContract.eventStruct))
        #expect(event.field("time_ns")?.offset == 0)
        #expect(event.field("local_addr")?.size == 16)
        #expect(event.size % 8 == 0)
    }
}
