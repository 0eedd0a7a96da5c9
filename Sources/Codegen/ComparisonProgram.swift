import VtapRuleModel

/// Programs compiled from the same rules and template as vtap's, for
/// `vtap-bench` to compare against; never chosen by `vtapc`. Each keeps
/// the template's parsing and accounting, so they differ only where named.
public enum ComparisonProgram: String, Sendable, CaseIterable, Codable {
    /// Parsing only: the program returns right after the headers are
    /// parsed (`VTAP_FLOOR`), before matching and accounting.
    case floor
    /// One `if` per rule, in rule order, every constant inlined: what the
    /// 2021 seed generated. Its size grows with the ruleset.
    case naiveChain = "naive-chain"
    /// Generic code; the rules as ranges in BPF array maps filled at load
    /// time, scanned in order (see `templates/vtap_rules_map.h`).
    case rulesMap = "rules-map"
    /// Linear Bit-Vector Search, bpf-iptables' matcher: one interval lookup
    /// per field, the bit vectors ANDed (see `templates/vtap_lbvs.h`).
    case lbvs
}

extension ProgramSource {
    /// The C for a comparison program. Plans are not built (the chain and
    /// the map need none), so `plans` and `unreachableRules` are empty.
    public static func generate(_ ruleset: Ruleset, comparison: ComparisonProgram) throws -> ProgramSource {
        var rulesHeader = settingsDefines(ruleset)
        rulesHeader += "/* Comparison program for vtap-bench: \(comparison.rawValue). */\n"
        var functions = 0
        switch comparison {
        case .floor:
            rulesHeader += "#define VTAP_FLOOR 1\n"
            rulesHeader += Self.noMatchFunctions
        case .naiveChain:
            for family in AddressFamily.allCases {
                rulesHeader += NaiveChainEmitter.emit(ruleset, family: family)
            }
            functions = 2
        case .rulesMap:
            let entries = RulesMapEntries(ruleset)
            rulesHeader += "#define VTAP_RULES_MAP 1\n"
            rulesHeader += "#define VTAP_RULES_MAP_V4_CAPACITY \(max(1, entries.v4.count))\n"
            rulesHeader += "#define VTAP_RULES_MAP_V6_CAPACITY \(max(1, entries.v6.count))\n"
            functions = 2
        case .lbvs:
            let tables = BitVectorTables(ruleset)
            rulesHeader += "#define VTAP_LBVS 1\n"
            rulesHeader += "#define VTAP_LBVS_BOUNDS \(tables.maxBounds)\n"
            rulesHeader += "#define VTAP_LBVS_WORDS \(tables.words)\n"
            rulesHeader += "#define VTAP_LBVS_INTERVALS_V4 \(tables.v4.intervals)\n"
            rulesHeader += "#define VTAP_LBVS_INTERVALS_V6 \(tables.v6.intervals)\n"
            functions = 2
        }
        let main = try expand(fileName, generated: [settingsHeaderName: rulesHeader], keep: keptHeaders, depth: 0)
        return ProgramSource(
            program: CompileUnit(name: fileName, main: main, headers: []), decisions: nil, plans: [], strategy: .inline,
            functionCount: functions, tableNodes: 0,
            unreachableRules: [], comparison: comparison)
    }

    private static let noMatchFunctions = """
        __noinline int vtap_match_v4(const struct vtap_match_key *key) { return -1; }
        __noinline int vtap_match_v6(const struct vtap_match_key *key) { return -1; }

        """
}

/// The seed's matcher: for each rule in order, one `if` over its fields.
enum NaiveChainEmitter {
    static func emit(_ ruleset: Ruleset, family: AddressFamily) -> String {
        var out = "\n__noinline int vtap_match_\(family.rawValue)(const struct vtap_match_key *key)\n{\n"
        out += "\tif (!key)\n\t\treturn -1;\n"
        // Each test reads the key from memory, as the seed's per-rule tests
        // did: with the fields in registers, the verifier narrows their
        // ranges at every rule, cannot prune, and gives up near 1,000 rules.
        out += "\tconst volatile struct vtap_match_key *k = key;\n"
        for field in MatchField.allCases {
            out += "#define \(field.cMember) (k->\(field.cMember))\n"
        }
        for rule in ruleset.rules {
            let cubes = CubeBuilder.cubes(of: rule, family: family)
            if cubes.isEmpty { continue }
            let condition = cubes.map { cube -> String in
                let tests = MatchField.allCases.compactMap { test($0, cube.fields[$0.rawValue], family) }
                return tests.isEmpty ? "1" : "(" + tests.joined(separator: " && ") + ")"
            }.joined(separator: " || ")
            out += "\tif (\(condition))\n\t\treturn \(rule.index);\n"
        }
        out += "\treturn -1;\n}\n"
        for field in MatchField.allCases { out += "#undef \(field.cMember)\n" }
        return out
    }

    /// The C test that `field` is in `set`, or nil when every value is.
    private static func test(_ field: MatchField, _ set: IntervalSet<UInt64>, _ family: AddressFamily) -> String? {
        let upper = field.domainUpper(family)
        if set.intervals.contains(where: { $0.lower == 0 && $0.upper >= upper }) { return nil }
        let name = field.cMember
        let pieces = set.intervals.compactMap { piece -> String? in
            if piece.lower > upper { return nil }
            if piece.lower == piece.upper { return "\(name) == \(piece.lower)ULL" }
            if piece.lower == 0 { return "\(name) <= \(piece.upper)ULL" }
            if piece.upper >= upper { return "\(name) >= \(piece.lower)ULL" }
            return "(\(name) >= \(piece.lower)ULL && \(name) <= \(piece.upper)ULL)"
        }
        if pieces.isEmpty { return "0" }
        return pieces.count == 1 ? pieces[0] : "(" + pieces.joined(separator: " || ") + ")"
    }
}

/// The map-driven matcher's entries: every rule as boxes of single ranges
/// (the product of its fields' intervals), in rule order, per family.
public struct RulesMapEntries: Sendable {
    public struct Entry: Sendable, Equatable {
        public var lower: [UInt64]
        public var upper: [UInt64]
        public var rule: UInt32

        /// `struct vtap_rule_entry`, little-endian.
        public var bytes: [UInt8] {
            var out: [UInt8] = []
            out.reserveCapacity(MatchField.allCases.count * 16 + 8)
            for value in lower + upper { withUnsafeBytes(of: value.littleEndian) { out += $0 } }
            withUnsafeBytes(of: rule.littleEndian) { out += $0 }
            out += [0, 0, 0, 0]
            return out
        }
    }

    public var v4: [Entry] = []
    public var v6: [Entry] = []

    public init(_ ruleset: Ruleset) {
        for family in AddressFamily.allCases {
            var entries: [Entry] = []
            for cube in CubeBuilder.cubes(of: ruleset, family: family) {
                var boxes: [(lower: [UInt64], upper: [UInt64])] = [([], [])]
                for field in MatchField.allCases {
                    let pieces = cube.fields[field.rawValue].intervals
                    boxes = boxes.flatMap { box in
                        pieces.map { (box.lower + [$0.lower], box.upper + [$0.upper]) }
                    }
                }
                entries += boxes.map { Entry(lower: $0.lower, upper: $0.upper, rule: UInt32(cube.rule)) }
            }
            if family == .v4 { v4 = entries } else { v6 = entries }
        }
    }

    /// The rule the scan picks: the reference for the map's content.
    public func firstMatch(_ key: MatchKey, family: AddressFamily) -> Int32? {
        let entries = family == .v4 ? v4 : v6
        for entry in entries
        where MatchField.allCases.allSatisfy({
            key[$0] >= entry.lower[$0.rawValue] && key[$0] <= entry.upper[$0.rawValue]
        }) {
            return Int32(entry.rule)
        }
        return nil
    }
}
