import Foundation
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
if arguments.first == "classbench" {
    guard arguments.count == 2 else {
        FileHandle.standardError.write(Data(usage.utf8))
        exit(64)
    }
    do {
        let filters = try ClassBench.filters(ClassBench.read(arguments[1]))
        FileHandle.standardOutput.write(Data(ClassBench.rulesFile(filters).utf8))
    } catch {
        FileHandle.standardError.write(Data("vtap-rulegen: \(arguments[1]): \(error)\n".utf8))
        exit(1)
    }
    exit(0)
}
guard let count = arguments.first.flatMap(Int.init), count > 0 else {
    FileHandle.standardError.write(Data(usage.utf8))
    exit(64)
}
let mixName = arguments.count > 1 ? arguments[1] : RulesetGenerator.Mix.realistic.rawValue
let seed = arguments.count > 2 ? UInt64(arguments[2]) ?? 1 : 1
if let mix = RulesetGenerator.Mix(rawValue: mixName) {
    var generator = RulesetGenerator(mix: mix, seed: seed)
    FileHandle.standardOutput.write(Data(generator.file(ruleCount: count).utf8))
} else if let shape = AdversarialRulesets.Shape(rawValue: mixName) {
    var generator = AdversarialRulesets(shape: shape, seed: seed)
    FileHandle.standardOutput.write(Data(generator.file(ruleCount: count).utf8))
} else {
    FileHandle.standardError.write(Data("vtap-rulegen: unknown mix '\(mixName)' (\(mixes.joined(separator: ", ")))\n".utf8))
    exit(64)
}
