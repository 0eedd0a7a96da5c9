import Testing
import VtapBPF
import VtapDiagnostics
import VtapRuleModel

@testable import VtapCompiler

/// A rejected program is summarised, with the generated C line it failed on
/// and, when that line is a rule's decision, the rule.
@Suite struct VerifierRejectionTests {
    static let log = """
        func#3 @123
        0: R1=ctx() R10=fp0
        ; if (!key) @ vtap_filter.bpf.c:612
        0: (15) if r1 == 0x0 goto pc+3
        ; return 1; @ vtap_filter.bpf.c:640
        5: (b4) w0 = 1
        6: (95) exit
        ; return 2; @ vtap_filter.bpf.c:652
        7: (79) r2 = *(u64 *)(r1 +64)
        invalid access to memory, mem_size=56 off=64 size=8
        R1 min value is outside of the allowed memory range
        processed 8 insns (limit 1000000) max_states_per_insn 0 total_states 1 peak_states 1 mark_read 1
        """

    static func rules(_ count: Int) -> [Rule] {
        (0..<count).map {
            Rule(
                index: $0, name: $0 == 2 ? "voice" : nil, source: "rule \($0)",
                location: SourceLocation(line: 10 + $0, column: 9), range: SourceRange(at: 100 * $0),
                sourceAddress: .any, destinationAddress: .any, sourcePort: .any, destinationPort: .any,
                protocols: .any)
        }
    }

    @Test func rejectionPointsAtTheRuleWhoseCodeFailed() {
        let rejection = VerifierRejection(program: "vtap_measure", log: VerifierLog(Self.log), rules: Self.rules(4))
        #expect(rejection.error == "R1 min value is outside of the allowed memory range")
        #expect(rejection.source?.line == 652)
        #expect(rejection.rule?.index == 2)
        #expect(rejection.headline.contains("rule 3 'voice', line 12"))
        #expect(rejection.headline.contains("vtap_filter.bpf.c:652"))
        #expect(rejection.excerpt.contains("lines omitted"))
    }

    @Test func templateLinesNameNoRule() {
        let log = """
            ; __u32 field = node->field; @ vtap_filter.bpf.c:66073
            1108: (61) r2 = *(u32 *)(r4 +16)
            R4 unbounded memory access, make sure to bounds check any such access
            """
        let rejection = VerifierRejection(program: "vtap_measure", log: VerifierLog(log), rules: Self.rules(4))
        #expect(rejection.rule == nil)
        #expect(rejection.headline.contains("R4 unbounded memory access"))
        // `return N;` beyond the rules, or without its semicolon, is not a rule.
        #expect(VerifierRejection.rule(in: "return 9;", Self.rules(4)) == nil)
        #expect(VerifierRejection.rule(in: "return 1 + x;", Self.rules(4)) == nil)
        #expect(VerifierRejection.rule(in: "\treturn 3;", Self.rules(4))?.index == 3)
    }
}
