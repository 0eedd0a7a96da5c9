import Foundation
import Testing
import VtapCodegen
import VtapCompiler
import VtapDiagnostics
import VtapRuleModel
import VtapTestSupport

/// The generated C compiles cleanly (no clang warnings) and reproducibly.
@Suite struct GeneratedCTests {
    static func hostRuleset(_ count: Int) -> Ruleset {
        Ruleset(
            rules: (0..<count).map { index in
                let host = UInt32(0x0A00_0000) + UInt32(index) * 7
                return Rule(
                    index: index, name: nil, source: "", location: SourceLocation(line: 1, column: 1),
                    range: SourceRange(at: 0), sourceAddress: AddressMatch(v4: IntervalSet(host, host), v6: .empty),
                    destinationAddress: .any, sourcePort: .any, destinationPort: .ports(IntervalSet(80, 80)),
                    protocols: ProtocolMatch(numbers: IntervalSet(6, 6)))
            }, settings: Settings(sequence: .pattern(0xE7A5_C318, offset: 4)))
    }

    @Test(arguments: [1, 7, 23])
    func randomRulesetsCompileWithoutWarnings(seed: Int) throws {
        var random = RandomRulesets(seed: UInt64(seed))
        let ruleset = random.ruleset(count: 30, settings: Settings(sequence: .fixedOffset(8)))
        let source = try ProgramSource.generate(ruleset)
        #expect(source.units.map(\.name) == [ProgramSource.fileName, ProgramSource.decisionsFileName])
        for unit in source.units {
            let output = Clang.compile(main: (unit.name, unit.text), headers: [])
            #expect(output.status == .ok, "\(unit.name): \(output.diagnostics)")
            #expect(output.diagnostics.isEmpty, "\(unit.name): \(output.diagnostics)")
            if let dir = ProcessInfo.processInfo.environment["VTAP_DUMP_DIR"], let object = output.object {
                try Data(object).write(to: URL(fileURLWithPath: "\(dir)/random\(seed)-\(unit.name).o"))
                try unit.text.write(toFile: "\(dir)/random\(seed)-\(unit.name)", atomically: true, encoding: .utf8)
            }
        }
    }

    @Test func tenThousandHostsCompile() throws {
        let source = try ProgramSource.generate(Self.hostRuleset(10_000))
        let decisions = try #require(source.decisions)
        let start = ContinuousClock.now
        let output = Clang.compile(main: (decisions.name, decisions.text), headers: [])
        let elapsed = ContinuousClock.now - start
        #expect(output.status == .ok, "\(output.diagnostics)")
        if let dir = ProcessInfo.processInfo.environment["VTAP_DUMP_DIR"], let object = output.object {
            try Data(object).write(to: URL(fileURLWithPath: "\(dir)/hosts10k.o"))
            try decisions.text.write(toFile: "\(dir)/hosts10k.c", atomically: true, encoding: .utf8)
            print("10k hosts: \(source.functionCount) functions, compile \(elapsed)")
        }
    }
}
