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

    /// The PATTERN search against a reference (the first place the four
    /// bytes occur whole, the number OFFSET bytes on, missing if it does
    /// not fit), one datagram a flow: at every place in the payload's head
    /// and across the boundaries of the search's words and 256-byte
    /// windows, far out, cut off at the payload's end, behind partial
    /// patterns and in random filler.
    @Test func patternSearchAgreesWithTheReferenceEverywhere() throws {
        let pattern: [UInt8] = [0xE7, 0xA5, 0xC3, 0x18]
        let compiled = try RulesCompiler.compile(
            SourceFile(
                path: "pattern.json", text: #"{"RULES": ["- - - - UDP"], "PATTERN": "0xE7A5C318", "OFFSET": 4}"#),
            options: .init(verify: false))
        let session = try ReplaySession(
            try MeasurementObject(elf: compiled.object, manifest: compiled.manifest, origin: "pattern"))
        let room = session.runnableLimit - 14 - 20 - 8
        var random = SplitMix64(seed: 15)
        var cases: [[UInt8]] = []
        var places = Array(0..<40)
        for boundary in [256, 512, 768, 1024, 2048] { places += Array(boundary - 12...boundary + 12) }
        places += (0..<40).map { _ in Int.random(in: 0..<(room - 8), using: &random) }
        places += [room - 8]
        for (n, place) in places.enumerated() {
            var filler = n % 2 == 0 ? [UInt8](repeating: 0x41, count: place) : random.bytes(place)
            // A partial pattern, and an overlapping start, before the real one.
            if place >= 9 && n % 3 == 0 { filler.replaceSubrange(place - 9..<place - 6, with: pattern.prefix(3)) }
            if place >= 1 && n % 5 == 0 { filler[place - 1] = pattern[0] }
            let number = Self.number(UInt32(n) &* 2_654_435_761)
            let tail = random.bytes(Int.random(in: 0...12, using: &random))
            cases.append(filler + pattern + number + tail)
        }
        // Cut off: the number partly there, the pattern partly there.
        cases.append([UInt8](repeating: 0x41, count: 300) + pattern + [1, 2, 3])
        cases.append([UInt8](repeating: 0x41, count: 300) + pattern.prefix(3))
        cases.append(random.bytes(room))

        for (n, payload) in cases.enumerated() {
            let before = try session.measurement.snapshot().rules[0]
            let frame = PacketBuilder().ipv4(from: "10.0.0.1", to: "10.0.0.2")
                .udp(from: UInt16(1000 + n), to: 5000).payload(payload).bytes
            try session.run(frame: frame, timestampNanoseconds: UInt64(n + 1) * 1_000_000, wireLength: frame.count)
            let after = try session.measurement.snapshot().rules[0]

            let searched = min(payload.count, Limits.patternSearchBytes)
            let at = searched < 4 ? nil : (0...(searched - 4)).first { Array(payload[$0..<$0 + 4]) == pattern }
            if let at, at + 8 <= payload.count {
                let expected = payload[at + 4..<at + 8].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
                #expect(after.sequenceCount == before.sequenceCount + 1, "case \(n): pattern at \(at) not found")
                #expect(after.sequenceLast == expected, "case \(n): pattern at \(at)")
            } else {
                #expect(
                    after.sequenceMissing == before.sequenceMissing + 1,
                    "case \(n): \(at.map { "pattern at \($0), number cut off" } ?? "no pattern") but counted")
            }
        }
    }
}
