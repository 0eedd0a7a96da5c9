import VtapRuleModel

/// The maps of the Linear Bit-Vector Search matcher (`templates/vtap_lbvs.h`,
/// vtap-bench only): per family and field, the elementary intervals of the
/// rule boxes, and per interval a bit vector of the boxes that cover it.
public struct BitVectorTables: Sendable {
    public struct Field: Sendable, Equatable {
        /// Ascending; interval k is [bounds[k-1], bounds[k]), the first from 0.
        public var bounds: [UInt64]
        /// Index of this field's first interval in the family's vector map.
        public var base: Int
        public var intervals: Int { bounds.count + 1 }
    }

    public struct Family: Sendable {
        /// The rule of each box, in rule order: bit e of a vector is box e.
        public var rules: [UInt32]
        public var fields: [Field]
        /// Every interval's vector, fields one after the other, `words` each.
        public var vectors: [UInt64]
        public var intervals: Int { fields.reduce(0) { $0 + $1.intervals } }
    }

    public let words: Int
    public let v4: Family
    public let v6: Family

    public init(_ ruleset: Ruleset) {
        let entries = RulesMapEntries(ruleset)
        let words = max(1, (max(entries.v4.count, entries.v6.count) + 63) / 64)
        self.words = words
        v4 = Self.family(entries.v4, .v4, words: words)
        v6 = Self.family(entries.v6, .v6, words: words)
    }

    /// The largest number of bounds of one field: the size the program's
    /// field value is declared with.
    public var maxBounds: Int { max(1, (v4.fields + v6.fields).map(\.bounds.count).max() ?? 0) }

    /// Bytes of every map the matcher needs: its memory, as loaded.
    public var bytes: Int {
        let vectors = (v4.intervals + v6.intervals) * words * 8
        let fields = 2 * MatchField.allCases.count * (16 + 8 * maxBounds)
        return vectors + fields + 2 * words * 64 * 4
    }

    private static func family(_ entries: [RulesMapEntries.Entry], _ family: AddressFamily, words: Int) -> Family {
        var fields: [Field] = []
        var vectors: [UInt64] = []
        for field in MatchField.allCases {
            let upper = field.domainUpper(family)
            var cuts = Set<UInt64>()
            for entry in entries {
                let lower = entry.lower[field.rawValue]
                let top = entry.upper[field.rawValue]
                if lower > 0 { cuts.insert(lower) }
                if top < upper { cuts.insert(top + 1) }
            }
            let bounds = cuts.sorted()
            fields.append(Field(bounds: bounds, base: vectors.count / words))
            // A sweep over the intervals: boxes start covering at their lower
            // bound's interval and stop after their upper bound's.
            var starting = [[Int]](repeating: [], count: bounds.count + 1)
            var ending = [[Int]](repeating: [], count: bounds.count + 2)
            for (index, entry) in entries.enumerated() {
                starting[PlanBuilder.pieceIndex(bounds, entry.lower[field.rawValue])].append(index)
                ending[PlanBuilder.pieceIndex(bounds, entry.upper[field.rawValue]) + 1].append(index)
            }
            var running = [UInt64](repeating: 0, count: words)
            for interval in 0...bounds.count {
                for index in ending[interval] { running[index / 64] &= ~(UInt64(1) << UInt64(index % 64)) }
                for index in starting[interval] { running[index / 64] |= UInt64(1) << UInt64(index % 64) }
                vectors += running
            }
        }
        return Family(rules: entries.map(\.rule), fields: fields, vectors: vectors)
    }

    /// The rule a packet's key picks: the reference for the maps' content.
    public func firstMatch(_ key: MatchKey, family: AddressFamily) -> Int32? {
        let tables = family == .v4 ? v4 : v6
        var found: Int?
        for word in 0..<words {
            var x = UInt64.max
            for field in MatchField.allCases {
                let table = tables.fields[field.rawValue]
                let interval = PlanBuilder.pieceIndex(table.bounds, key[field])
                x &= tables.vectors[(table.base + interval) * words + word]
            }
            if x != 0 {
                found = word * 64 + x.trailingZeroBitCount
                break
            }
        }
        return found.flatMap { $0 < tables.rules.count ? Int32(tables.rules[$0]) : nil }
    }
}
