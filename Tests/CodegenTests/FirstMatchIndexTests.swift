import Testing
import VtapCodegen
import VtapDiagnostics
import VtapRuleModel
import VtapSema
import VtapTestSupport

/// The fast reference the ClassBench tests rely on gives the linear scan's
/// answer: on random rulesets with every field form, and on a sample of
/// each ClassBench trace.
@Suite struct FirstMatchIndexTests {
    @Test(arguments: 0..<20)
    func agreesWithTheScanOnRandomRulesets(seed: Int) {
        var random = RandomRulesets(seed: UInt64(seed) &+ 77)
        let ruleset = random.ruleset(count: 80)
        let index = FirstMatchIndex(ruleset)
        for _ in 0..<500 {
            let packet = random.packet()
            #expect(index.firstMatch(packet) == ruleset.firstMatch(packet)?.index, "seed \(seed): \(packet)")
        }
    }

    @Test(.seedData, arguments: ClassBenchSet.all.filter { !$0.hasSuffix("_100000") })
    func agreesWithTheScanOnClassBench(name: String) throws {
        let set = try ClassBenchSet(name)
        let ruleset = try ClassBenchStructureTests.ruleset(set)
        let index = FirstMatchIndex(ruleset)
        let step = max(1, set.headers.count / 500)
        for header in stride(from: 0, to: set.headers.count, by: step).map({ set.headers[$0] }) {
            guard let fields = ClassBenchSet.packet(header).fields else { continue }
            #expect(index.firstMatch(fields) == ruleset.firstMatch(fields)?.index, "\(name): \(header)")
        }
    }
}
