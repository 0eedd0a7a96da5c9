import Foundation
import VtapRuleGen

// vtap-rulegen COUNT [realistic|hosts] [SEED] > rules.json
let arguments = Array(CommandLine.arguments.dropFirst())
guard let count = arguments.first.flatMap(Int.init), count > 0 else {
    FileHandle.standardError.write(Data("usage: vtap-rulegen COUNT [realistic|hosts] [SEED]\n".utf8))
    exit(64)
}
let mix = arguments.count > 1 ? RulesetGenerator.Mix(rawValue: arguments[1]) : .realistic
guard let mix else {
    FileHandle.standardError.write(Data("vtap-rulegen: unknown mix '\(arguments[1])' (realistic or hosts)\n".utf8))
    exit(64)
}
var generator = RulesetGenerator(mix: mix, seed: arguments.count > 2 ? UInt64(arguments[2]) ?? 1 : 1)
FileHandle.standardOutput.write(Data(generator.file(ruleCount: count).utf8))
