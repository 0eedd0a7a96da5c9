import Foundation
import VtapDiagnostics
import VtapRuleGen

// vtap-rulegen COUNT [MIX] [SEED] > rules.json
// vtap-rulegen classbench FILTERS[.gz] > rules.json
let mixes = RulesetGenerator.Mix.allCases.map(\.rawValue) + AdversarialRulesets.Shape.allCases.map(\.rawValue)
let usage = """
    usage: vtap-rulegen COUNT [MIX] [SEED]
           vtap-rulegen classbench FILTERS[.gz]
    MIX: \(mixes.joined(separator: ", ")) (default realistic)

    """
let arguments = Array(CommandLine.arguments.dropFirst())

/// Standard output, or a one-line error and exit 1 when it cannot take
/// the file (a closed pipe, a full disk).
func emit(_ text: String) {
    do {
        try StandardStreams.writeOutput(text)
    } catch {
        StandardStreams.writeError("vtap-rulegen: cannot write standard output: \(error.localizedDescription)\n")
        exit(1)
    }
}

if arguments.first == "classbench" {
    guard arguments.count == 2 else {
        StandardStreams.writeError(usage)
        exit(64)
    }
    do {
        let filters = try ClassBench.filters(ClassBench.read(arguments[1]))
        emit(ClassBench.rulesFile(filters))
    } catch {
        StandardStreams.writeError("vtap-rulegen: \(arguments[1]): \(error)\n")
        exit(1)
    }
    exit(0)
}
guard let count = arguments.first.flatMap(Int.init), count > 0 else {
    StandardStreams.writeError(usage)
    exit(64)
}
let mixName = arguments.count > 1 ? arguments[1] : RulesetGenerator.Mix.realistic.rawValue
let seed = arguments.count > 2 ? UInt64(arguments[2]) ?? 1 : 1
if let mix = RulesetGenerator.Mix(rawValue: mixName) {
    var generator = RulesetGenerator(mix: mix, seed: seed)
    emit(generator.file(ruleCount: count))
} else if let shape = AdversarialRulesets.Shape(rawValue: mixName) {
    var generator = AdversarialRulesets(shape: shape, seed: seed)
    emit(generator.file(ruleCount: count))
} else {
    StandardStreams.writeError("vtap-rulegen: unknown mix '\(mixName)' (\(mixes.joined(separator: ", ")))\n")
    exit(64)
}
