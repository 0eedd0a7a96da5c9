import Foundation

/// EVENTS adds tracepoint programs beside the packet program and leaves the
/// packet program alone: the same 1,000 rules with and without every
/// level, timed on the same packets in the same run, and the kernel's tag
/// of each loaded packet program (a hash of its instructions with map
/// references blanked) compared.
public enum EventsCostBenchmark {
    static let ruleCount = 1_000
    static let levels = #"{"LEVELS": ["socket", "connection", "protocol", "ip"]}"#

    public static func run(_ options: BenchOptions) throws -> EventsCostSection {
        let text = PacketCostBenchmark.rulesText(count: ruleCount)
        guard let brace = text.firstIndex(of: "{") else {
            throw BenchMismatch(description: "the generated rules file has no object")
        }
        let withEvents = text[...brace] + "\"EVENTS\": \(levels)," + text[text.index(after: brace)...]
        let programs = [
            try ProgramUnderTest(.vtap, rulesText: text, name: "no-events.json"),
            try ProgramUnderTest(.vtap, rulesText: String(withEvents), name: "events.json"),
        ]
        let packets = try BenchPacketChooser.packets(for: programs[0].compiled.ruleset)
        for program in programs {
            try program.checkCounters(packets)
            try program.calibrate(packets, options: options)
        }
        let samples = try ProgramUnderTest.timeInTurn(programs, packets, runs: options.runs)
        let tags = try programs.map { try $0.session.measurement.program.info().tag }
        var section = EventsCostSection(rules: ruleCount, sameInstructions: tags[0] == tags[1])
        section.packets = packets.map { packet in
            let kind = packet.kind.rawValue
            return EventsCostSection.Packet(
                kind: kind, withoutEvents: median(samples[0][kind] ?? []), withEvents: median(samples[1][kind] ?? []))
        }
        return section
    }
}
