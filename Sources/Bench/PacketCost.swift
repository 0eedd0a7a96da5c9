import Foundation
import VtapBPF
import VtapCodegen
import VtapCompiler
import VtapDiagnostics
import VtapRuleGen
import VtapRuleModel
import VtapRuntime

/// The program under comparison: vtap's own, or one of the comparisons.
public enum ComparedProgram: Hashable, Sendable, CustomStringConvertible {
    case vtap
    case comparison(ComparisonProgram)

    public static let all: [ComparedProgram] = [
        .vtap, .comparison(.floor), .comparison(.naiveChain), .comparison(.rulesMap), .comparison(.lbvs),
    ]

    public var description: String {
        switch self {
        case .vtap: "vtap"
        case .comparison(let program): program.rawValue
        }
    }
}

/// A failure that makes the benchmark worthless: a compared program that
/// counts packets differently from the reference.
public struct BenchMismatch: Error, CustomStringConvertible {
    public var description: String
}

/// One compared program, compiled and loaded for test_run.
final class ProgramUnderTest {
    let program: ComparedProgram
    let compiled: CompiledRuleset
    let session: ReplaySession
    var repeatCount = 0

    /// Bit vectors beyond this are not loaded: the kernel would have to
    /// find gigabytes for them (the table says how many).
    static let bitVectorLimit = 2 << 30

    init(_ program: ComparedProgram, rulesText: String, name: String) throws {
        self.program = program
        let comparison: ComparisonProgram? = if case .comparison(let c) = program { c } else { nil }
        compiled = try RulesCompiler.compile(
            SourceFile(path: name, text: rulesText), options: .init(verify: true, comparison: comparison))
        var tables: BitVectorTables?
        if comparison == .lbvs {
            let built = BitVectorTables(compiled.ruleset)
            guard built.bytes <= Self.bitVectorLimit else {
                throw BenchMismatch(description: "not loaded: its bit vectors need \(built.bytes >> 20) MiB")
            }
            tables = built
        }
        matchBytes = tables?.bytes ?? compiled.manifest.build.classifier?.tableBytes
        let object = try MeasurementObject(
            elf: compiled.object, manifest: compiled.manifest, origin: "\(program) \(name)")
        session = try ReplaySession(object)
        if comparison == .rulesMap { try fillRulesMap() }
        if let tables { try fillBitVectors(tables) }
    }

    /// Bytes of match data: vtap's decision table, the bit vectors.
    let matchBytes: Int?

    var strategy: String { compiled.manifest.build.strategy }
    var verifiedInstructions: Int? { compiled.verification?.programs.first?.stats?.instructionsProcessed }

    /// The map-driven matcher's rules go in after load, as its design has it.
    private func fillRulesMap() throws {
        let entries = RulesMapEntries(compiled.ruleset)
        let bpf = session.measurement.bpfObject
        for (name, list) in [("vtap_rules_v4", entries.v4), ("vtap_rules_v6", entries.v6)] {
            let map = try bpf.map(named: name)
            for (index, entry) in list.enumerated() {
                try map.update(key: Self.key(UInt32(index)), value: entry.bytes)
            }
        }
        let counts = try bpf.map(named: "vtap_rules_count")
        try counts.update(key: Self.key(0), value: Self.key(UInt32(entries.v4.count)))
        try counts.update(key: Self.key(1), value: Self.key(UInt32(entries.v6.count)))
    }

    /// The bit-vector matcher's intervals, vectors and rules go in after
    /// load, as bpf-iptables fills its maps.
    private func fillBitVectors(_ tables: BitVectorTables) throws {
        let bpf = session.measurement.bpfObject
        let fields = try bpf.map(named: "vtap_lbvs_fields")
        let rules = try bpf.map(named: "vtap_lbvs_rules")
        for (index, family) in [tables.v4, tables.v6].enumerated() {
            for (number, field) in family.fields.enumerated() {
                var value = Self.words([UInt64(field.bounds.count), UInt64(field.base)] + field.bounds)
                value += [UInt8](repeating: 0, count: 8 * (tables.maxBounds - field.bounds.count))
                try fields.update(key: Self.key(UInt32(index * MatchField.allCases.count + number)), value: value)
            }
            let vectors = try bpf.map(named: index == 0 ? "vtap_lbvs_vectors_v4" : "vtap_lbvs_vectors_v6")
            for interval in 0..<family.intervals {
                let slice = family.vectors[(interval * tables.words)..<((interval + 1) * tables.words)]
                try vectors.update(key: Self.key(UInt32(interval)), value: Self.words(Array(slice)))
            }
            var ruleBytes: [UInt8] = []
            for entry in 0..<(tables.words * 64) {
                let rule = entry < family.rules.count ? family.rules[entry] : 0
                withUnsafeBytes(of: rule.littleEndian) { ruleBytes += $0 }
            }
            try rules.update(key: Self.key(UInt32(index)), value: ruleBytes)
        }
    }

    static func words(_ values: [UInt64]) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(values.count * 8)
        for value in values { withUnsafeBytes(of: value.littleEndian) { bytes += $0 } }
        return bytes
    }

    static func key(_ value: UInt32) -> [UInt8] { withUnsafeBytes(of: value.littleEndian) { Array($0) } }

    /// Runs each packet once and checks the verdicts and the counter maps
    /// against the reference: the floor must count nothing, every other
    /// program each packet under the reference's rule.
    func checkCounters(_ packets: [BenchPacket]) throws {
        var verdicts: [Verdict] = []
        for (index, packet) in packets.enumerated() {
            verdicts.append(
                try session.run(
                    frame: packet.frame, timestampNanoseconds: UInt64(index + 1) * 1_000, wireLength: packet.frame.count
                ))
        }
        let snapshot = try session.measurement.snapshot()
        let isFloor = program == .comparison(.floor)
        let expectedVerdicts: [Verdict] = packets.map { packet in
            if isFloor { return .unmatched }
            return packet.expectedRule.map { .matched(rule: $0) } ?? .unmatched
        }
        var expectedPerRule: [Int: UInt64] = [:]
        if !isFloor {
            for packet in packets { if let rule = packet.expectedRule { expectedPerRule[rule, default: 0] += 1 } }
        }
        var countedPerRule: [Int: UInt64] = [:]
        for (rule, counters) in snapshot.rules.enumerated() where counters.packets > 0 {
            countedPerRule[rule] = counters.packets
        }
        let expectedUnmatched = isFloor ? 0 : UInt64(packets.filter { $0.expectedRule == nil }.count)

        var problems: [String] = []
        if verdicts != expectedVerdicts { problems.append("verdicts \(verdicts), expected \(expectedVerdicts)") }
        if countedPerRule != expectedPerRule {
            problems.append(
                "per-rule packet counters \(countedPerRule.sorted { $0.key < $1.key }), expected \(expectedPerRule.sorted { $0.key < $1.key })"
            )
        }
        if snapshot.unmatched.packets != expectedUnmatched {
            problems.append("unmatched counter \(snapshot.unmatched.packets), expected \(expectedUnmatched)")
        }
        if snapshot.malformed.packets != 0 {
            problems.append("\(snapshot.malformed.packets) packets counted malformed")
        }
        if !problems.isEmpty {
            throw BenchMismatch(
                description: "\(program) on \(compiled.ruleset.rules.count) rules: " + problems.joined(separator: "; "))
        }
    }

    /// The kernel's mean ns per run over `count` repetitions of `packet`.
    func time(_ packet: BenchPacket, repeat count: Int) throws -> Double {
        // Sets the replay time and lengths for this frame, then times it.
        try session.run(frame: packet.frame, timestampNanoseconds: 1, wireLength: packet.frame.count)
        let result = try session.measurement.program.testRun(packet: Self.runnable(packet.frame), repeat: count)
        return Double(result.averageDurationNanoseconds)
    }

    /// Every packet on every program, the programs in turn, run after run,
    /// so that a slow phase of a shared machine lands on all of them alike:
    /// per program (in `programs`' order), the samples by packet kind.
    static func timeInTurn(
        _ programs: [ProgramUnderTest], _ packets: [BenchPacket], runs: Int, beforeRun: (Int) -> Void = { _ in }
    ) throws -> [[String: [Double]]] {
        var samples = [[String: [Double]]](repeating: [:], count: programs.count)
        for run in 0..<runs {
            beforeRun(run)
            for (index, program) in programs.enumerated() {
                for packet in packets {
                    samples[index][packet.kind.rawValue, default: []].append(
                        try program.time(packet, repeat: program.repeatCount))
                }
            }
        }
        return samples
    }

    /// As `ReplaySession` pads frames: test_run takes at least 256 bytes here.
    static func runnable(_ frame: [UInt8]) -> [UInt8] {
        frame.count >= 256 ? frame : frame + [UInt8](repeating: 0, count: 256 - frame.count)
    }

    /// Fewer repetitions for a program so slow that `repeatCount` would
    /// take longer than `seconds`.
    func calibrate(_ packets: [BenchPacket], repeatCount wanted: Int? = nil, options: BenchOptions) throws {
        let wanted = wanted ?? options.repeatCount
        let probe = max(10, min(1_000, wanted))
        let slowest = try packets.map { try time($0, repeat: probe) }.max() ?? 1
        let affordable = Int(options.secondsPerTimedRun * 1e9 / max(slowest, 1))
        repeatCount = max(100, min(wanted, affordable))
    }
}

public enum PacketCostBenchmark {
    /// Deterministic realistic rules (`vtap-rulegen`'s), as a rules file.
    public static func rulesText(count: Int) -> String {
        var generator = RulesetGenerator(mix: .realistic, seed: 1)
        return generator.file(ruleCount: count)
    }

    public static func run(_ options: BenchOptions) throws -> PacketCostSection {
        var section = PacketCostSection()
        for count in options.ruleCounts {
            section.rulesets.append(try measure(ruleCount: count, options: options))
        }
        return section
    }

    static func measure(ruleCount: Int, options: BenchOptions) throws -> RulesetCost {
        let text = rulesText(count: ruleCount)
        let name = "rules-\(ruleCount).json"
        var loaded: [ProgramUnderTest] = []
        var costs: [ComparedProgram: ProgramCost] = [:]
        for program in ComparedProgram.all {
            if program == .comparison(.naiveChain), ruleCount > options.naiveChainLimit {
                costs[program] = ProgramCost(
                    program: program.description, strategy: program.description,
                    failure: "not attempted above \(options.naiveChainLimit) rules (see docs/performance.md)")
                continue
            }
            options.log("  \(ruleCount) rules: compiling and loading \(program)")
            do {
                loaded.append(try ProgramUnderTest(program, rulesText: text, name: name))
            } catch let error as CompileError {
                if program == .vtap { throw error }
                costs[program] = ProgramCost(
                    program: program.description, strategy: program.description,
                    failure: "does not load: " + Self.firstLine(error.message))
            } catch let error as BenchMismatch {
                costs[program] = ProgramCost(
                    program: program.description, strategy: program.description, failure: error.description)
            } catch {
                if program == .vtap { throw error }
                costs[program] = ProgramCost(
                    program: program.description, strategy: program.description,
                    failure: "does not load: " + Self.firstLine("\(error)"))
            }
        }
        guard let reference = loaded.first(where: { $0.program == .vtap }) else {
            throw BenchMismatch(description: "vtap did not load")
        }
        let packets = try BenchPacketChooser.packets(for: reference.compiled.ruleset)
        for program in loaded {
            try program.checkCounters(packets)
            try program.calibrate(packets, options: options)
        }

        let samples = try ProgramUnderTest.timeInTurn(loaded, packets, runs: options.runs) { run in
            options.log("  \(ruleCount) rules: timed run \(run + 1)/\(options.runs)")
        }
        for (program, perKind) in zip(loaded, samples) {
            costs[program.program] = ProgramCost(
                program: program.program.description, strategy: program.strategy,
                nanoseconds: perKind.mapValues(median), samples: perKind, repeatCount: program.repeatCount,
                verifiedInstructions: program.verifiedInstructions, objectBytes: program.compiled.object.count,
                countersAgree: true)
        }
        return RulesetCost(
            rules: ruleCount,
            packets: packets.map {
                PacketDescription(
                    kind: $0.kind.rawValue, expectedRule: $0.expectedRule, summary: $0.summary,
                    frameBytes: $0.frame.count)
            },
            programs: ComparedProgram.all.compactMap { costs[$0] })
    }

    static func firstLine(_ text: String) -> String {
        let line = text.split(separator: "\n").first.map(String.init) ?? text
        return line.count > 160 ? String(line.prefix(160)) + "…" : line
    }
}
