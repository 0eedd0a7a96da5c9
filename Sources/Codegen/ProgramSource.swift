import Synchronization
import VtapRuleModel

/// How the program finds a packet's rule. Both walk the same decision plan.
public enum MatchStrategy: String, Sendable, CaseIterable, Codable {
    /// The plan as C code: every bound an immediate in a comparison.
    case inline = "decision-dag-inline"
    /// The plan as constant comparison nodes walked by a loop: compiles in
    /// time linear in its size, for rulesets too big to compile as code.
    case table = "decision-dag-table"

    /// Plans up to this many bounds compile as code in about a second.
    public static let inlineBoundLimit = 2_000

    public static func choose(for plans: [DecisionPlan]) -> MatchStrategy {
        plans.reduce(0) { $0 + $1.boundCount } <= inlineBoundLimit ? .inline : .table
    }
}

/// One C translation unit: a main file with every include expanded in
/// place except large generated data, which stays in headers of its own at
/// the unit's end (so line numbers agree with `text`).
public struct CompileUnit: Sendable {
    /// The main file's name, as clang, BTF line info and the verifier see it.
    public var name: String
    public var main: String
    public var headers: [(name: String, text: String)]

    /// The unit with its headers expanded too: what `--emit-c` writes.
    /// Built on demand: for large tables it is tens of megabytes.
    public var text: String {
        var lines = main.split(separator: "\n", omittingEmptySubsequences: false)
        if lines.last?.isEmpty == true { lines.removeLast() }
        var out = ""
        for line in lines {
            if let header = headers.first(where: { line == "#include \"\($0.name)\"" }) {
                out += "/* ---- \(header.name) ---- */\n" + header.text
            } else {
                out += line + "\n"
            }
        }
        return out
    }
}

/// The C for a ruleset, in two translation units that vtapc compiles apart
/// and links: the packet program, which depends on the rules only through
/// their settings (so one compile of it serves every ruleset with the same
/// settings), and the decision code, every rule constant inlined. These are
/// exactly what gets compiled and what `--emit-c` writes, so verifier line
/// numbers point into them.
public struct ProgramSource: Sendable {
    public static let fileName = "vtap_filter.bpf.c"
    public static let decisionsFileName = "vtap_match.bpf.c"
    public static let programName = "vtap_measure"

    /// vtap_filter.bpf.c with the settings: parsing, accounting, the
    /// programs. A comparison program's unit holds its matcher as well.
    public var program: CompileUnit
    /// vtap_match.bpf.c with the ruleset's decision code, linked to
    /// `program`; nil when `program` is the whole object.
    public var decisions: CompileUnit?
    /// Every unit, in link order.
    public var units: [CompileUnit] { [program] + (decisions.map { [$0] } ?? []) }
    public var plans: [DecisionPlan]
    public var strategy: MatchStrategy
    public var functionCount: Int
    /// Decision nodes, for the table strategy.
    public var tableNodes: Int
    /// Bytes of the decision table, for the table strategy.
    public var tableBytes: Int = 0
    /// Rules that no packet can reach: earlier rules together cover them.
    public var unreachableRules: [Int]
    /// Per family, the partitions a packet walks and the most decision nodes
    /// it visits in all of them.
    public func walk(_ family: AddressFamily) -> (partitions: Int, nodes: Int) {
        let partitions = plans.filter { $0.family == family }
        return (partitions.count, partitions.reduce(0) { $0 + $1.depth })
    }

    /// Set for the programs vtap-bench compares against; nil for vtap's own.
    public var comparison: ComparisonProgram? = nil

    public enum Failure: Error, Equatable, CustomStringConvertible {
        case missingTemplate(String)
        case tooManyFunctions(Int)
        case capacity(Classifier.CapacityExceeded)

        public var description: String {
            switch self {
            case .missingTemplate(let name): "template '\(name)' is not embedded in this build"
            case .tooManyFunctions(let count):
                "the ruleset needs \(count) decision functions, more than a BPF program may have"
            case .capacity(let error):
                "the ruleset exceeds the classifier's capacity: \(error)"
            }
        }
    }

    /// The generated settings the packet program includes, and the
    /// generated decision code the decisions unit includes.
    static let settingsHeaderName = "vtap_rules.h"
    static let decisionsHeaderName = "vtap_decisions.h"
    /// The table and its accessor stay headers of their own, at the end of
    /// the unit, rather than spliced into it.
    static let tableHeaderName = "vtap_table.h"
    static let tableIndexHeaderName = "vtap_table_index.h"
    static let keptHeaders: Set<String> = [tableHeaderName, tableIndexHeaderName]

    public static func generate(
        _ ruleset: Ruleset, strategy requested: MatchStrategy? = nil, limits: Classifier.Limits = .standard
    ) throws -> ProgramSource {
        let classifier: Classifier
        do {
            classifier = try Classifier.build(ruleset, limits: limits)
        } catch {
            throw Failure.capacity(error)
        }
        let plans = classifier.plans
        let strategy = requested ?? MatchStrategy.choose(for: plans)
        var functions = 0
        var tableNodes = 0
        var tableBytes = 0
        var rulesHeader = "/* Generated by vtapc from the checked rules. Strategy: \(strategy.rawValue). */\n"
        var tableHeaders: [(name: String, text: String)] = []
        switch strategy {
        case .inline:
            functions = try inlineFunctions(plans, into: &rulesHeader)
        case .table:
            let table = DecisionTable(plans: plans)
            // A link holds a word offset below 2^linkFieldShift.
            let budget = min(
                limits.tableBytesPerRule * ruleset.rules.count + limits.tableAllowance,
                4 << DecisionTable.linkFieldShift)
            guard table.bytes <= budget else {
                throw Failure.capacity(.table(bytes: table.bytes, budget: budget, rules: ruleset.rules.count))
            }
            tableNodes = table.nodeCount
            tableBytes = table.bytes
            let output = TableEmitter().emit(table)
            rulesHeader += output.declarations
            tableHeaders = [(tableHeaderName, output.table), (tableIndexHeaderName, output.index)]
        }

        let unreachable = classifier.unreachableRules(of: ruleset)
        var generated = [decisionsHeaderName: rulesHeader]
        for header in tableHeaders { generated[header.name] = header.text }
        let program = CompileUnit(
            name: fileName,
            main: try expand(fileName, generated: [settingsHeaderName: settingsDefines(ruleset)], keep: [], depth: 0),
            headers: [])
        let decisions = CompileUnit(
            name: decisionsFileName,
            main: try expand(decisionsFileName, generated: generated, keep: keptHeaders, depth: 0),
            headers: tableHeaders)
        var source = ProgramSource(
            program: program, decisions: decisions, plans: plans, strategy: strategy, functionCount: functions,
            tableNodes: tableNodes, unreachableRules: unreachable)
        source.tableBytes = tableBytes
        return source
    }

    /// Each partition as functions of its own; the family's entry takes the
    /// lowest rule any of them finds (-1, none, is the largest unsigned).
    private static func inlineFunctions(_ plans: [DecisionPlan], into rulesHeader: inout String) throws -> Int {
        var functions = 0
        for family in AddressFamily.allCases {
            let partitions = plans.filter { $0.family == family }
            let entry = "vtap_match_\(family.rawValue)"
            var entries: [String] = []
            for plan in partitions {
                let name = partitions.count == 1 ? entry : "\(entry)_p\(plan.partition)"
                let output: DecisionEmitter.Output
                do {
                    output = try DecisionEmitter().emit(plan, entry: name)
                } catch DecisionEmitter.Failure.tooManyFunctions(let count) {
                    throw Failure.tooManyFunctions(count)
                }
                functions += output.functionCount
                entries.append(name)
                rulesHeader +=
                    "\n/* \(family == .v4 ? "IPv4" : "IPv6") partition \(plan.partition): \(plan.splitCount) splits, "
                rulesHeader += "\(plan.boundCount) bounds, \(output.functionCount) functions */\n"
                rulesHeader += output.text
            }
            if partitions.count != 1 {
                rulesHeader += "\n__noinline int \(entry)(const struct vtap_match_key *key)\n{\n"
                rulesHeader += "\t__u32 best = 0xffffffffu, found;\n"
                for name in entries {
                    rulesHeader += "\tfound = (__u32)\(name)(key);\n\tif (found < best)\n\t\tbest = found;\n"
                }
                rulesHeader += "\treturn (int)best;\n}\n"
                functions += 1
            }
        }
        return functions
    }

    /// Rule constants other than the decision functions. Only numbers the
    /// generator formats itself go into the C; no rules-file text does.
    static func settingsDefines(_ ruleset: Ruleset) -> String {
        let settings = ruleset.settings
        var lines =
            [
                "/* Generated by vtapc. Every constant below comes from the checked rules. */",
                "#define VTAP_RULE_COUNT \(max(1, ruleset.rules.count))",
                "#define VTAP_SEQUENCE_THRESHOLD \(settings.sequenceThreshold)u",
                "#define VTAP_FLOW_TABLE_SIZE \(settings.flowTableSize)",
                "#define VTAP_DEFAULT_DIRECTION \(settings.direction.contractValue)",
                "#define VTAP_PATTERN_SEARCH_BYTES \(Limits.patternSearchBytes)",
            ] + eventDefines(settings.events, kpis: settings.kpis)
        switch settings.sequence {
        case .none:
            lines.append("#define VTAP_SEQUENCE_MODE VTAP_SEQUENCE_NONE")
            lines.append("#define VTAP_PATTERN_VALUE 0u")
            lines.append("#define VTAP_SEQUENCE_OFFSET 0")
        case .fixedOffset(let offset):
            lines.append("#define VTAP_SEQUENCE_MODE VTAP_SEQUENCE_FIXED")
            lines.append("#define VTAP_PATTERN_VALUE 0xffffffffu")
            lines.append("#define VTAP_SEQUENCE_OFFSET \(offset)")
        case .pattern(let pattern, let offset):
            lines.append("#define VTAP_SEQUENCE_MODE VTAP_SEQUENCE_PATTERN")
            lines.append("#define VTAP_PATTERN_VALUE 0x\(String(pattern, radix: 16))u")
            lines.append("#define VTAP_SEQUENCE_OFFSET (\(offset))")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// EVENTS and KPIS: which event programs the template compiles in, with
    /// their limits; nothing at all without either section. KPIS alone
    /// brings the ring buffer with EVENTS' defaults.
    static func eventDefines(_ events: Settings.Events?, kpis: Settings.KPIs?) -> [String] {
        guard let events = events ?? kpis.map({ _ in Settings.Events() }) else { return [] }
        let kpiDefines =
            kpis.map {
                ["#define VTAP_KPIS 1", "#define VTAP_KPI_EXPORT_NS (\($0.exportIntervalSeconds)ull * 1000000000ull)"]
                    + ($0.chosen.contains(.mptcp) ? ["#define VTAP_KPI_FOLLOW_MPTCP 1"] : [])
            } ?? []
        return kpiDefines + [
            "#define VTAP_EVENTS 1",
            "#define VTAP_CORE_FLAVOR \(CoreFlavor.next())",
            "#define VTAP_EVENT_RING_BYTES \(events.ringBufferBytes)",
            "#define VTAP_EVENT_MAX_PER_SECOND \(events.maxEventsPerSecond)ull",
        ] + events.levels.map { "#define VTAP_EVENT_\($0.rawValue.uppercased()) 1" }
            + (events.qlog ? ["#define VTAP_QLOG 1"] : []) + (events.latency ? ["#define VTAP_LATENCY 1"] : [])
    }

    /// A number per translation unit with CO-RE accesses in this process:
    /// templates/vtap_events.h says why its kernel struct names need one.
    enum CoreFlavor {
        private static let counter = Mutex(0)
        static func next() -> Int {
            counter.withLock {
                $0 += 1
                return $0
            }
        }
    }

    /// Replaces each `#include "name"` with the named template or generated
    /// file, once per name, except the names in `keep`.
    static func expand(
        _ name: String, generated: [String: String], keep: Set<String>, depth: Int
    ) throws -> String {
        guard let body = generated[name] ?? EmbeddedTemplates.files[name] else { throw Failure.missingTemplate(name) }
        // Generated files include nothing; splice them in whole.
        if generated[name] != nil { return body }
        var out = ""
        var included = Set<String>()
        for line in body.split(separator: "\n", omittingEmptySubsequences: false) {
            if let target = includeTarget(line), depth < 8, !keep.contains(target) {
                if included.insert(target).inserted {
                    out += "/* ---- \(target) ---- */\n"
                    out += try expand(target, generated: generated, keep: keep, depth: depth + 1)
                    out += "/* ---- end of \(target) ---- */\n"
                }
            } else {
                out += line + "\n"
            }
        }
        return out
    }

    private static func includeTarget(_ line: Substring) -> String? {
        let trimmed = line.drop { $0 == " " || $0 == "\t" }
        guard trimmed.hasPrefix("#include \"") else { return nil }
        let rest = trimmed.dropFirst("#include \"".count)
        guard let close = rest.firstIndex(of: "\"") else { return nil }
        return String(rest[..<close])
    }
}
