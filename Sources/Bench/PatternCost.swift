import Foundation
import VtapRuleModel

/// The PATTERN sequence-number search, by where the pattern sits. One UDP
/// rule; every case runs the same frame length, so only the search differs.
///
/// BPF_PROG_TEST_RUN takes frames up to one page less the skb's overhead
/// (3,712 bytes here), so the payload it can show the program ends at
/// about 3,670 bytes, not at the 5,000-byte search limit: "far" is the
/// farthest position test_run reaches, and "absent" scans all of it.
public enum PatternCostBenchmark {
    static let pattern: UInt32 = 0xE7A5_C318
    static let offset = 4

    public static func run(_ options: BenchOptions) throws -> PatternCostSection {
        let withPattern = """
            {"RULES": ["- - - - UDP"], "PATTERN": "0x\(String(pattern, radix: 16, uppercase: true))", "OFFSET": \(offset)}
            """
        let withoutPattern = #"{"RULES": ["- - - - UDP"]}"#
        let searching = try ProgramUnderTest(.vtap, rulesText: withPattern, name: "pattern.json")
        let plain = try ProgramUnderTest(.vtap, rulesText: withoutPattern, name: "no-pattern.json")

        let frameLimit = searching.session.runnableLimit
        let payloadBytes = frameLimit - 14 - 20 - 8
        let far = payloadBytes - offset - 4
        let cases: [(name: String, program: ProgramUnderTest, at: Int?)] = [
            ("none", plain, nil), ("start", searching, 0), ("far", searching, far), ("absent", searching, nil),
        ]
        let fields = PacketFields(
            source: .v4(0x0A00_0001), destination: .v4(0x0A00_0002), protocolNumber: 17,
            ports: .init(source: 4000, destination: 5000))
        var packets: [BenchPacket] = []
        var found: [Bool] = []
        for (index, test) in cases.enumerated() {
            var payload = [UInt8](repeating: 0x5a, count: payloadBytes)
            let sequence = UInt32(1000 + index)
            if let at = test.at {
                payload.replaceSubrange(at..<at + 4, with: bytes(pattern))
                payload.replaceSubrange(at + offset..<at + offset + 4, with: bytes(sequence))
            }
            let packet = BenchPacket(
                kind: .first, fields: fields, frame: BenchFrame.frame(fields, payload: payload), expectedRule: 0)
            packets.append(packet)
            let before = try test.program.session.measurement.snapshot().rules[0]
            try test.program.session.run(
                frame: packet.frame, timestampNanoseconds: UInt64(index + 1) * 1_000_000, wireLength: packet.frame.count
            )
            let after = try test.program.session.measurement.snapshot().rules[0]
            guard after.packets == before.packets + 1 else {
                throw BenchMismatch(description: "pattern case \(test.name): the packet was not counted under its rule")
            }
            let seen = after.sequenceCount == before.sequenceCount + 1
            let expectedSeen = test.at != nil
            if seen != expectedSeen || (seen && after.sequenceLast != sequence) {
                throw BenchMismatch(
                    description:
                        "pattern case \(test.name): sequence number \(seen ? "found" : "not found") (last \(after.sequenceLast.map(String.init) ?? "-")), expected \(expectedSeen ? "\(sequence)" : "none")"
                )
            }
            found.append(seen)
        }
        try searching.calibrate(Array(packets.dropFirst()), options: options)
        try plain.calibrate([packets[0]], options: options)

        var samples = [[Double]](repeating: [], count: cases.count)
        for _ in 0..<options.runs {
            for (index, test) in cases.enumerated() {
                samples[index].append(try test.program.time(packets[index], repeat: test.program.repeatCount))
            }
        }
        var section = PatternCostSection()
        section.cases = cases.indices.map { index in
            PatternCase(
                name: cases[index].name, patternOffset: cases[index].at, payloadBytes: payloadBytes,
                nanoseconds: median(samples[index]), samples: samples[index], sequenceFound: found[index])
        }
        section.note =
            "test_run takes frames up to \(frameLimit) bytes here, so the farthest pattern it can show is at payload byte \(far) of \(payloadBytes), not at the 5,000-byte search limit; a live socket searches up to 5,000 bytes at the same cost per byte"
        return section
    }

    private static func bytes(_ value: UInt32) -> [UInt8] {
        [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: value >> UInt32($0)) }
    }
}
