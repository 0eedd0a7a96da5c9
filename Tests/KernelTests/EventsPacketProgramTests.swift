import Testing
import VtapBPF
import VtapCompiler
import VtapDiagnostics
import VtapRuleModel
import VtapTestSupport

/// EVENTS adds programs beside the packet program and leaves the packet
/// program alone: loaded, its instructions are the same with every level
/// asked for as without EVENTS, so it costs the same per packet. The
/// kernel's program tag is a hash of the instructions with map references
/// blanked, so it compares the code, not where the maps landed.
@Suite(.kernel) struct EventsPacketProgramTests {
    static let rules = #"["10.0.0.0/8 - - 80 TCP", "- 192.168.0.0/16 1000-2000 - UDP", "- - - - ICMP"]"#
    static let sequence = #""PATTERN": "0xE7A5C318", "OFFSET": 4"#

    static func packetProgram(_ text: String, name: String) throws -> ProgramInfo {
        let compiled = try RulesCompiler.compile(SourceFile(path: name, text: text), options: .init(verify: false))
        let object = try BPFObject(elf: compiled.object, name: name)
        try object.load()
        return try object.program(named: ObjectContract.programName).info()
    }

    @Test func thePacketProgramIsTheSameWithEveryLevel() throws {
        let without = try Self.packetProgram(#"{"RULES": \#(Self.rules), \#(Self.sequence)}"#, name: "no-events.json")
        let with = try Self.packetProgram(
            #"{"RULES": \#(Self.rules), \#(Self.sequence), "EVENTS": {"LEVELS": ["socket", "connection", "protocol", "ip"]}}"#,
            name: "events.json")
        #expect(with.tag == without.tag, "instructions differ: \(with) against \(without)")
        #expect(with.translatedInstructionCount == without.translatedInstructionCount)
        #expect(with.jitedSize == without.jitedSize)

        // The comparison sees a change of one constant in the rules: the
        // tag is not the same for every packet program.
        let otherRules = Self.rules.replacingOccurrences(of: "80 TCP", with: "81 TCP")
        let other = try Self.packetProgram(#"{"RULES": \#(otherRules), \#(Self.sequence)}"#, name: "other.json")
        #expect(other.tag != without.tag)
    }
}
