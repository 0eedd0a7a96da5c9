import Testing
import VtapCompiler
import VtapDiagnostics
import VtapMetrics
import VtapRuleModel
import VtapRuntime
import VtapTestSupport

/// Each way of finding a UDP sequence number works in the program itself:
/// no PATTERN, a fixed OFFSET, and a PATTERN searched in the payload.
@Suite(.kernel) struct SequenceModeTests {
    static func datagram(_ payload: [UInt8]) -> [UInt8] {
        PacketBuilder().ipv4(from: "10.0.0.1", to: "10.0.0.2").udp(from: 4000, to: 5000).payload(payload).bytes
    }

    static func counters(rules: String, payloads: [[UInt8]]) throws -> Counters {
        let compiled = try RulesCompiler.compile(
            SourceFile(path: "modes.json", text: rules), options: .init(verify: false))
        let session = try ReplaySession(
            try MeasurementObject(elf: compiled.object, manifest: compiled.manifest, origin: "modes"))
        for (i, payload) in payloads.enumerated() {
            let frame = Self.datagram(payload)
            try session.run(frame: frame, timestampNanoseconds: UInt64(i + 1) * 1_000_000, wireLength: frame.count)
        }
        return try session.measurement.snapshot().rules[0]
    }

    static func number(_ value: UInt32) -> [UInt8] {
        [UInt8(value >> 24), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)]
    }

    @Test func fixedOffset() throws {
        let payloads =
            [1, 2, 3, 5].map { [UInt8](repeating: 0xAA, count: 8) + Self.number($0) + [0, 0] } + [
                [UInt8](repeating: 0, count: 10)
            ]
        let c = try Self.counters(
            rules: #"{"RULES": ["- - - - UDP"], "PATTERN": "0xFFFFFFFF", "OFFSET": 8}"#, payloads: payloads)
        #expect(c.sequenceCount == 4)
        #expect(c.sequenceSmall == 1)
        #expect(c.sequenceLost == 1)
        #expect(c.sequenceMissing == 1)
        #expect(c.sequenceLast == 5)
    }

    @Test func patternAtAnyAlignment() throws {
        let payloads = [7, 8, 8, 9].enumerated().map { i, n in
            [UInt8](repeating: 0x11, count: 3 + i) + [0xE7, 0xA5, 0xC3, 0x18] + Self.number(UInt32(n))
        }
        let c = try Self.counters(
            rules: #"{"RULES": ["- - - - UDP"], "PATTERN": "0xE7A5C318", "OFFSET": 4}"#, payloads: payloads)
        #expect(c.sequenceCount == 4)
        #expect(c.sequenceReverse == 1)
        #expect(c.sequenceLast == 9)
    }

    @Test func noPatternTracksNoUDP() throws {
        let c = try Self.counters(rules: #"{"RULES": ["- - - - UDP"]}"#, payloads: [Self.number(1), Self.number(9)])
        #expect(c.packets == 2)
        #expect(c.sequenceCount == 0)
        #expect(c.sequenceMissing == 0)
    }
}
