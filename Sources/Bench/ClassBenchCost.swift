import Foundation
import VtapBPF
import VtapCodegen
import VtapCompiler
import VtapDiagnostics
import VtapRuleGen
import VtapRuleModel
import VtapRuntime

/// vtap on the packet-classification field's standard workload: every
/// ClassBench set (`../shared/seed-data/classbench`), its own trace's
/// headers, beside a 1-rule program, the naive chain and Linear Bit-Vector
/// Search (bpf-iptables' algorithm), all from the same template.
///
/// Per set: the `vtapc` process (wall time, peak RSS, verifier work), the
/// classifier's bytes per rule and partitions, and per program the p50 and
/// worst ns per header over a sample of the trace. The sample is evenly
/// spread over the trace, plus the headers with vtap's longest walks and
/// the headers whose first rule comes last (or that match none): the
/// worst cases of vtap and of the scanning peers. Each header's figure is
/// the median of `runs` timed runs of `repeat` test_runs. The 1-rule
/// program has one rule that matches everything, so every header pays the
/// same accounting as in vtap and the ratio is the cost of matching.
public enum ClassBenchBenchmark {
    public static let allSets = [1000, 10000, 100_000].flatMap { size in
        ["acl1", "fw1", "ipc1"].map { "\($0)_\(size)" }
    }

    public static func run(_ options: BenchOptions, vtapc: String?) throws -> ClassBenchSection {
        var section = ClassBenchSection(
            note:
                "Headers per set: \(options.classBenchSample) spread over the trace plus the \(options.classBenchExtremes) "
                + "deepest for vtap and the \(options.classBenchExtremes) that match last or not at all; each the median of "
                + "\(options.runs) runs of up to \(options.classBenchRepeat) test_runs, programs in turn, the slowest headers "
                + "of each program timed \(options.runs) times more. 1 rule: `- - - - -`.")
        let directory = options.seedData.appendingPathComponent("classbench")
        guard FileManager.default.fileExists(atPath: directory.path) else {
            throw BenchMismatch(description: "no ClassBench data at \(directory.path) (set VTAP_SEED_DATA)")
        }
        let one = try ProgramUnderTest(.vtap, rulesText: #"{"RULES": ["- - - - -"]}"#, name: "one-rule.json")
        for name in options.classBenchSets {
            options.log("  \(name)")
            section.sets.append(try measure(name, directory: directory, one: one, options: options, vtapc: vtapc))
        }
        return section
    }

    static func measure(
        _ name: String, directory: URL, one: ProgramUnderTest, options: BenchOptions, vtapc: String?
    ) throws -> ClassBenchSetCost {
        let filters = try ClassBench.filters(
            ClassBench.read(directory.appendingPathComponent("\(name).filters.gz").path))
        let headers = try ClassBench.trace(ClassBench.read(directory.appendingPathComponent("\(name).trace.gz").path))
        let text = ClassBench.rulesFile(filters)
        let rulesFile = options.workDirectory.appendingPathComponent("\(name).json")
        try text.write(to: rulesFile, atomically: true, encoding: .utf8)

        var result = ClassBenchSetCost(name: name, rules: filters.count, headers: headers.count)
        if let vtapc {
            options.log("    vtapc \(name)")
            let object = options.workDirectory.appendingPathComponent("\(name).o")
            let process = try SpawnedProcess.run(
                vtapc, [rulesFile.path, "-o", object.path, "-v", "--max-diagnostics", "1"])
            result.compile = CompileCost(
                rules: filters.count,
                strategy: CompileCostBenchmark.strategy(
                    manifest: object.deletingPathExtension().appendingPathExtension("manifest.json")) ?? "?",
                wallSeconds: process.wallSeconds, peakRSSBytes: process.peakRSSBytes,
                verifiedInstructions: CompileCostBenchmark.verified(process.stderr),
                objectBytes: (try? FileManager.default.attributesOfItem(atPath: object.path)[.size] as? Int) ?? 0,
                phases: CompileCostBenchmark.phases(process.stderr),
                failure: process.status == 0 ? nil : "vtapc exited \(process.status): \(process.stderr.suffix(300))")
        }

        options.log("    loading vtap, naive chain, LBVS")
        var loaded: [(name: String, program: ProgramUnderTest)] = [("1 rule", one)]
        let vtap = try ProgramUnderTest(.vtap, rulesText: text, name: "\(name).json")
        loaded.insert(("vtap", vtap), at: 0)
        if let figures = vtap.compiled.manifest.build.classifier {
            result.bytesPerRule = figures.bytesPerRule
            result.partitions = figures.partitions["v4"]
            result.walkBound = figures.walkBound["v4"]
        }
        for (label, comparison) in [("naive chain", ComparisonProgram.naiveChain), ("LBVS", .lbvs)] {
            if comparison == .naiveChain, filters.count > options.naiveChainLimit {
                result.programs.append(
                    ClassBenchProgramCost(
                        program: label, failure: "not attempted above \(options.naiveChainLimit) rules"))
                continue
            }
            do {
                loaded.append(
                    (label, try ProgramUnderTest(.comparison(comparison), rulesText: text, name: "\(name).json")))
            } catch let error as CompileError {
                result.programs.append(
                    ClassBenchProgramCost(
                        program: label, failure: "does not load: " + PacketCostBenchmark.firstLine(error.message)))
            } catch {
                result.programs.append(
                    ClassBenchProgramCost(program: label, failure: PacketCostBenchmark.firstLine("\(error)")))
            }
        }

        let sample = Self.sample(
            headers, ruleset: vtap.compiled.ruleset, source: vtap.compiled.source, options: options)
        result.sampled = sample.count
        let frames = sample.map { BenchFrame.frame($0.fields) }
        let expected = sample.map { vtap.compiled.ruleset.firstMatch($0.fields)?.index }
        let packets = zip(sample, frames).map { BenchPacket(kind: .none, fields: $0.fields, frame: $1) }
        for (label, program) in loaded {
            // Every program must pick the reference's rule for every sampled
            // header before it is timed (the 1-rule program: rule 0).
            for (index, frame) in frames.enumerated() {
                let verdict = try program.session.run(
                    frame: frame, timestampNanoseconds: UInt64(index + 1) * 1_000, wireLength: frame.count)
                let want: Verdict =
                    label == "1 rule" ? .matched(rule: 0) : expected[index].map { .matched(rule: $0) } ?? .unmatched
                guard verdict == want else {
                    throw BenchMismatch(
                        description: "\(label) on \(name), header \(sample[index]): \(verdict), reference \(want)")
                }
            }
            try program.calibrate(Array(packets.prefix(32)), repeatCount: options.classBenchRepeat, options: options)
        }
        // Round-robin: each header on every program in turn, run after run,
        // so that a slow moment of a shared machine lands on all of them.
        var runs = [String: [[Double]]](
            uniqueKeysWithValues: loaded.map { ($0.name, [[Double]](repeating: [], count: packets.count)) })
        for _ in 0..<options.runs {
            for (index, packet) in packets.enumerated() {
                for (label, program) in loaded {
                    runs[label]?[index].append(try program.time(packet, repeat: program.repeatCount))
                }
            }
        }
        // The slowest headers of each program are timed again as often: a
        // worst case should be the header, not a busy moment of the machine.
        var suspects = Set<Int>()
        for (_, perHeader) in runs {
            let medians = perHeader.map(median)
            suspects.formUnion(
                medians.indices.sorted { medians[$0] > medians[$1] }.prefix(options.classBenchExtremes / 2))
        }
        for _ in 0..<options.runs {
            for index in suspects.sorted() {
                for (label, program) in loaded {
                    runs[label]?[index].append(try program.time(packets[index], repeat: program.repeatCount))
                }
            }
        }
        let costs = runs.mapValues { $0.map(median) }
        for (label, program) in loaded {
            guard let perHeader = costs[label] else { continue }
            let sorted = perHeader.sorted()
            result.programs.append(
                ClassBenchProgramCost(
                    program: label, p50: median(perHeader), worst: sorted.last,
                    matchBytes: program.matchBytes, verifiedInstructions: program.verifiedInstructions,
                    repeatCount: program.repeatCount))
        }
        result.programs.sort { order($0.program) < order($1.program) }
        return result
    }

    static func order(_ label: String) -> Int { ["vtap", "1 rule", "naive chain", "LBVS"].firstIndex(of: label) ?? 9 }

    /// Headers spread over the trace, and each program's worst cases.
    static func sample(_ headers: [ClassBench.Header], ruleset: Ruleset, source: ProgramSource, options: BenchOptions)
        -> [ClassBench.Header]
    {
        let step = max(1, headers.count / max(1, options.classBenchSample))
        var chosen = Set(stride(from: 0, to: headers.count, by: step).prefix(options.classBenchSample))
        let table = DecisionTable(plans: source.plans)
        let walks = headers.indices.map { table.evaluate(MatchKey(headers[$0].fields), family: .v4).visits }
        chosen.formUnion(headers.indices.sorted { walks[$0] > walks[$1] }.prefix(options.classBenchExtremes))
        // The reference's first rule, from the table (checked against the
        // reference on every timed header before timing).
        let firstRules = headers.indices.map {
            table.evaluate(MatchKey(headers[$0].fields), family: .v4).rule.map(Int.init) ?? Int.max
        }
        chosen.formUnion(headers.indices.sorted { firstRules[$0] > firstRules[$1] }.prefix(options.classBenchExtremes))
        return chosen.sorted().map { headers[$0] }
    }
}

// MARK: - Report

public struct ClassBenchSection: Codable, Sendable {
    public var sets: [ClassBenchSetCost] = []
    public var note: String
    public init(sets: [ClassBenchSetCost] = [], note: String) {
        self.sets = sets
        self.note = note
    }
}

public struct ClassBenchSetCost: Codable, Sendable {
    /// e.g. `acl1_10000`.
    public var name: String
    public var rules: Int
    public var headers: Int
    /// Headers timed.
    public var sampled = 0
    /// The `vtapc` process on the set.
    public var compile: CompileCost?
    /// vtap's decision table, per rule.
    public var bytesPerRule: Double?
    public var partitions: Int?
    /// Most decision nodes one IPv4 packet visits.
    public var walkBound: Int?
    public var programs: [ClassBenchProgramCost] = []

    public init(name: String, rules: Int, headers: Int) {
        self.name = name
        self.rules = rules
        self.headers = headers
    }

    public func program(_ label: String) -> ClassBenchProgramCost? { programs.first { $0.program == label } }

    enum CodingKeys: String, CodingKey {
        case name, rules, headers, sampled, compile, partitions, programs
        case bytesPerRule = "bytes_per_rule"
        case walkBound = "walk_bound"
    }
}

public struct ClassBenchProgramCost: Codable, Sendable {
    /// `vtap`, `1 rule`, `naive chain`, `LBVS`.
    public var program: String
    public var failure: String?
    /// Median and largest over the sampled headers of each header's ns.
    public var p50: Double?
    public var worst: Double?
    /// Bytes of match data (vtap's table, LBVS's bit vectors).
    public var matchBytes: Int?
    public var verifiedInstructions: Int?
    public var repeatCount: Int = 0

    public init(
        program: String, failure: String? = nil, p50: Double? = nil, worst: Double? = nil, matchBytes: Int? = nil,
        verifiedInstructions: Int? = nil, repeatCount: Int = 0
    ) {
        self.program = program
        self.failure = failure
        self.p50 = p50
        self.worst = worst
        self.matchBytes = matchBytes
        self.verifiedInstructions = verifiedInstructions
        self.repeatCount = repeatCount
    }

    enum CodingKeys: String, CodingKey {
        case program, failure, p50, worst
        case matchBytes = "match_bytes"
        case verifiedInstructions = "verified_instructions"
        case repeatCount = "repeat"
    }
}
