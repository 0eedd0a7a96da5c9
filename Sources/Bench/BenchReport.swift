import Foundation

/// Everything one `vtap-bench` run measured, written as JSON
/// (`bpf-out/bench/bench.json`). Every figure in one report comes from the
/// same run on the same machine: compare ratios within a report, not
/// absolute numbers across machines.
///
/// Sections are optional so a run can skip some (`--only`), and so parts
/// measured elsewhere (`startup`, `live_overhead`: `Startup*.swift`,
/// `Live*.swift`) fill their own without touching the rest.
public struct BenchReport: Codable, Sendable {
    public var schema: Int = 1
    public var environment: BenchEnvironment
    public var mode: BenchMode
    /// BPF_PROG_TEST_RUN ns/packet: every compared program × ruleset size × packet.
    public var packetCost: PacketCostSection?
    /// Every ClassBench set over its own trace, beside the peers.
    public var classBench: ClassBenchSection?
    /// The PATTERN sequence-number search, by where the pattern sits.
    public var patternCost: PatternCostSection?
    /// The packet program with and without EVENTS.
    public var eventsCost: EventsCostSection?
    /// The packet program at each attach mode's receive hook (test_run).
    public var attachCost: LiveOverheadSection?
    /// The `vtapc` process per ruleset size.
    public var compileCost: CompileCostSection?
    /// Start-up time against BCC.
    public var startup: StartupSection?
    /// Cost of a live `vtap run` on real traffic.
    public var liveOverhead: LiveOverheadSection?
    /// What KPIS costs a TCP transfer, beside bpftrace.
    public var kpiCost: LiveOverheadSection?
    /// Each performance target (README, Performance) with the measured figure.
    public var targets: [TargetCheck] = []

    public init(environment: BenchEnvironment, mode: BenchMode) {
        self.environment = environment
        self.mode = mode
    }

    enum CodingKeys: String, CodingKey {
        case schema, environment, mode, targets
        case packetCost = "packet_cost"
        case classBench = "classbench"
        case patternCost = "pattern_cost"
        case eventsCost = "events_cost"
        case attachCost = "attach_cost"
        case compileCost = "compile_cost"
        case startup
        case liveOverhead = "live_overhead"
        case kpiCost = "kpi_cost"
    }

    public func json() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try encoder.encode(self)
    }
}

public struct BenchEnvironment: Codable, Sendable {
    public var kernel: String
    public var cpus: Int
    public var cpuModel: String
    public var date: String
    public var vtapVersion: String

    public init(kernel: String, cpus: Int, cpuModel: String, date: String, vtapVersion: String) {
        self.kernel = kernel
        self.cpus = cpus
        self.cpuModel = cpuModel
        self.date = date
        self.vtapVersion = vtapVersion
    }

    enum CodingKeys: String, CodingKey {
        case kernel, cpus, date
        case cpuModel = "cpu_model"
        case vtapVersion = "vtap_version"
    }
}

public struct BenchMode: Codable, Sendable {
    public var quick: Bool
    /// test_run repetitions per timed run (the kernel reports their mean).
    public var repeatCount: Int
    /// Timed runs per figure; the figure is their median.
    public var runs: Int
    public var ruleCounts: [Int]

    public init(quick: Bool, repeatCount: Int, runs: Int, ruleCounts: [Int]) {
        self.quick = quick
        self.repeatCount = repeatCount
        self.runs = runs
        self.ruleCounts = ruleCounts
    }

    enum CodingKeys: String, CodingKey {
        case quick, runs
        case repeatCount = "repeat"
        case ruleCounts = "rule_counts"
    }
}

// MARK: - Per-packet cost

public struct PacketCostSection: Codable, Sendable {
    public var rulesets: [RulesetCost] = []
    public init() {}
}

/// One ruleset size: its packets and every compared program's cost on each.
public struct RulesetCost: Codable, Sendable {
    public var rules: Int
    /// Which rule (0-based) each packet kind matches by the reference semantics; nil: none.
    public var packets: [PacketDescription]
    public var programs: [ProgramCost]

    public init(rules: Int, packets: [PacketDescription], programs: [ProgramCost]) {
        self.rules = rules
        self.packets = packets
        self.programs = programs
    }
}

public struct PacketDescription: Codable, Sendable {
    /// `first`, `last` or `none`.
    public var kind: String
    public var expectedRule: Int?
    public var summary: String
    public var frameBytes: Int

    public init(kind: String, expectedRule: Int?, summary: String, frameBytes: Int) {
        self.kind = kind
        self.expectedRule = expectedRule
        self.summary = summary
        self.frameBytes = frameBytes
    }

    enum CodingKeys: String, CodingKey {
        case kind, summary
        case expectedRule = "expected_rule"
        case frameBytes = "frame_bytes"
    }
}

/// One compared program on one ruleset.
public struct ProgramCost: Codable, Sendable {
    /// `vtap`, `floor`, `naive-chain`, `rules-map`.
    public var program: String
    /// The matcher inside it (e.g. `decision-dag-inline`).
    public var strategy: String
    /// Why it has no figures (does not compile, load, or fit the time box).
    public var failure: String?
    /// Per packet kind: median ns per run.
    public var nanoseconds: [String: Double]
    /// All runs' ns, per packet kind, for the spread.
    public var samples: [String: [Double]]
    /// test_run repetitions used (reduced for very slow programs).
    public var repeatCount: Int
    public var verifiedInstructions: Int?
    public var objectBytes: Int?
    /// The program counted each packet under the same rule as the reference (floor: counted nothing).
    public var countersAgree: Bool

    public init(
        program: String, strategy: String, failure: String? = nil, nanoseconds: [String: Double] = [:],
        samples: [String: [Double]] = [:], repeatCount: Int = 0, verifiedInstructions: Int? = nil,
        objectBytes: Int? = nil, countersAgree: Bool = false
    ) {
        self.program = program
        self.strategy = strategy
        self.failure = failure
        self.nanoseconds = nanoseconds
        self.samples = samples
        self.repeatCount = repeatCount
        self.verifiedInstructions = verifiedInstructions
        self.objectBytes = objectBytes
        self.countersAgree = countersAgree
    }

    enum CodingKeys: String, CodingKey {
        case program, strategy, failure, nanoseconds, samples
        case repeatCount = "repeat"
        case verifiedInstructions = "verified_instructions"
        case objectBytes = "object_bytes"
        case countersAgree = "counters_agree"
    }
}

// MARK: - Events

public struct EventsCostSection: Codable, Sendable {
    public var rules: Int
    /// The two loaded packet programs have the same kernel tag.
    public var sameInstructions: Bool
    public var packets: [Packet] = []

    public struct Packet: Codable, Sendable {
        /// `first`, `last`, `none`: which rule the packet matches.
        public var kind: String
        public var withoutEvents: Double
        public var withEvents: Double

        enum CodingKeys: String, CodingKey {
            case kind
            case withoutEvents = "without_events_ns"
            case withEvents = "with_events_ns"
        }
    }

    public init(rules: Int, sameInstructions: Bool) {
        self.rules = rules
        self.sameInstructions = sameInstructions
    }

    enum CodingKeys: String, CodingKey {
        case rules, packets
        case sameInstructions = "same_instructions"
    }
}

// MARK: - Pattern search

public struct PatternCostSection: Codable, Sendable {
    public var cases: [PatternCase] = []
    /// Why the far case is not at 5,000 bytes.
    public var note: String = ""
    public init() {}
}

public struct PatternCase: Codable, Sendable {
    /// `start`, `far`, `absent`, and `none` (same packet, no PATTERN setting).
    public var name: String
    /// Payload offset of the pattern; nil when absent.
    public var patternOffset: Int?
    public var payloadBytes: Int
    public var nanoseconds: Double
    public var samples: [Double]
    /// The sequence number the program read (checked against the packet's).
    public var sequenceFound: Bool

    public init(
        name: String, patternOffset: Int?, payloadBytes: Int, nanoseconds: Double, samples: [Double],
        sequenceFound: Bool
    ) {
        self.name = name
        self.patternOffset = patternOffset
        self.payloadBytes = payloadBytes
        self.nanoseconds = nanoseconds
        self.samples = samples
        self.sequenceFound = sequenceFound
    }

    enum CodingKeys: String, CodingKey {
        case name, nanoseconds, samples
        case patternOffset = "pattern_offset"
        case payloadBytes = "payload_bytes"
        case sequenceFound = "sequence_found"
    }
}

// MARK: - Compile cost

public struct CompileCostSection: Codable, Sendable {
    public var rulesets: [CompileCost] = []
    public init() {}
}

public struct CompileCost: Codable, Sendable {
    public var rules: Int
    public var strategy: String
    /// Whole `vtapc` process: parse, check, C, clang, manifest, verifier, write.
    public var wallSeconds: Double
    public var peakRSSBytes: Int
    public var verifiedInstructions: Int?
    public var objectBytes: Int
    /// vtapc -v's phases, seconds.
    public var phases: [String: Double]
    public var failure: String?

    public init(
        rules: Int, strategy: String, wallSeconds: Double, peakRSSBytes: Int, verifiedInstructions: Int?,
        objectBytes: Int, phases: [String: Double], failure: String? = nil
    ) {
        self.rules = rules
        self.strategy = strategy
        self.wallSeconds = wallSeconds
        self.peakRSSBytes = peakRSSBytes
        self.verifiedInstructions = verifiedInstructions
        self.objectBytes = objectBytes
        self.phases = phases
        self.failure = failure
    }

    enum CodingKeys: String, CodingKey {
        case rules, strategy, phases, failure
        case wallSeconds = "wall_seconds"
        case peakRSSBytes = "peak_rss_bytes"
        case verifiedInstructions = "verified_instructions"
        case objectBytes = "object_bytes"
    }
}

// MARK: - Start-up and live overhead (driven by scripts)

/// Start-up time: `vtap` (compile + load + attach) against BCC. Filled by
/// the start-up benchmark (`Startup*.swift`); free-form rows so that part
/// can evolve on its own.
public struct StartupSection: Codable, Sendable {
    public var rows: [BenchRow] = []
    public var note: String?
    public init(rows: [BenchRow] = [], note: String? = nil) {
        self.rows = rows
        self.note = note
    }
}

/// Overhead of a live measurement on real traffic. Filled by `Live*.swift`.
public struct LiveOverheadSection: Codable, Sendable {
    public var rows: [BenchRow] = []
    public var note: String?
    public init(rows: [BenchRow] = [], note: String? = nil) {
        self.rows = rows
        self.note = note
    }
}

/// A named measurement with its unit: the common shape of rows whose
/// columns differ by section.
public struct BenchRow: Codable, Sendable {
    public var name: String
    public var values: [String: Double]
    public var unit: String
    public var failure: String?

    public init(name: String, values: [String: Double], unit: String, failure: String? = nil) {
        self.name = name
        self.values = values
        self.unit = unit
        self.failure = failure
    }
}

// MARK: - Targets

public struct TargetCheck: Codable, Sendable {
    public var target: String
    public var measured: String
    public var holds: Bool?

    public init(target: String, measured: String, holds: Bool?) {
        self.target = target
        self.measured = measured
        self.holds = holds
    }
}
