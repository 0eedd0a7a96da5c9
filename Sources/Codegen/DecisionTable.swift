import VtapRuleModel

/// A classifier's decision plans laid out as the program reads them: one
/// node per plan split, in an array of 32-bit words that the program walks
/// in a `bpf_loop` (see `vtap_match_table`), so the table's size costs
/// memory, not instructions or verifier time. Shared plan nodes stay
/// shared.
///
/// A node at word offset `at`:
///
///     at + 0                 header: field | wide << 3 | count << 8
///     at + 1 ...             count bounds, ascending: one word each, or two
///                            (low word first) when `wide`
///     then count + 1 links   child i takes values in [bound i-1, bound i)
///
/// A link is a node's word offset, or `linkLeaf | (rule + 1)` (0: no rule).
/// Narrow nodes serve fields whose values fit 32 bits (every IPv4 field,
/// ports and protocol); address halves of IPv6 are wide.
public struct DecisionTable: Sendable {
    public static let linkLeaf: UInt32 = 0x8000_0000
    /// Most bounds in one node: the walker's search is unrolled this far.
    public static let maxBounds = DecisionPlan.maxFanout
    public static let maxSteps = 8
    /// The largest node, in words: no node starts closer than this to the
    /// end of its chunk, so every read the walker makes stays inside it.
    public static let maxNodeWords = 1 + 2 * maxBounds + maxBounds + 1
    /// Words per chunk: each chunk is one read-only map, whose value may not
    /// exceed 4 MiB.
    public static let defaultChunkWords = 1 << 19

    public let chunkWords: Int
    public private(set) var words: [UInt32] = []
    public private(set) var nodeCount = 0
    /// Entry links of each family's partitions, in partition order.
    public private(set) var roots: [AddressFamily: [UInt32]] = [:]
    /// Node visits on the longest walk from each node (0 for a leaf).
    private var heights: [UInt32: Int] = [:]
    /// The lowest rule any walk from each node ends at.
    private var lowestRules: [UInt32: UInt32] = [:]

    public init(plans: [DecisionPlan], chunkWords: Int = DecisionTable.defaultChunkWords) {
        precondition(chunkWords > 2 * Self.maxNodeWords, "a chunk must hold the largest node")
        self.chunkWords = chunkWords
        for plan in plans {
            var links = [DecisionPlan.NodeID: UInt32]()
            // Plan node ids grow from children to parents: children first.
            for id in plan.nodes.indices {
                links[DecisionPlan.NodeID(id)] = append(plan[DecisionPlan.NodeID(id)], plan.family, links)
            }
            roots[plan.family, default: []].append(links[plan.root] ?? Self.linkLeaf)
        }
    }

    public static func leafLink(_ rule: Int32?) -> UInt32 {
        linkLeaf | (rule.map { UInt32($0) + 1 } ?? 0)
    }

    private mutating func append(
        _ node: DecisionPlan.Node, _ family: AddressFamily, _ links: [DecisionPlan.NodeID: UInt32]
    ) -> UInt32 {
        switch node {
        case .leaf(let rule):
            return Self.leafLink(rule)
        case .split(let field, let bounds, let children):
            let wide = !field.isNarrow(family)
            let size = 1 + bounds.count * (wide ? 2 : 1) + children.count
            // Nodes never straddle a chunk, nor start in its last words.
            let offsetInChunk = words.count % chunkWords
            if offsetInChunk + Self.maxNodeWords > chunkWords {
                words += [UInt32](repeating: 0, count: chunkWords - offsetInChunk)
            }
            let at = UInt32(words.count)
            words.append(UInt32(field.rawValue) | (wide ? 8 : 0) | UInt32(bounds.count) << 8)
            for bound in bounds {
                words.append(UInt32(truncatingIfNeeded: bound))
                if wide { words.append(UInt32(truncatingIfNeeded: bound >> 32)) }
            }
            var height = 0
            var lowest = UInt32.max
            for child in children {
                let link = links[child] ?? Self.linkLeaf
                words.append(link)
                height = max(height, heights[link] ?? 0)
                lowest = min(lowest, self.lowest(link))
            }
            assert(words.count - Int(at) == size)
            heights[at] = height + 1
            lowestRules[at] = lowest
            nodeCount += 1
            return at
        }
    }

    /// The rule `key` reaches: the lowest over `family`'s partitions. Reads
    /// the words as the BPF walker does (`vtap_walk_step`, `vtap_visit`),
    /// so tests of it test the layout; `visits` counts the steps the
    /// walker's loop takes, which `walkBound` must cover.
    public func evaluate(_ key: MatchKey, family: AddressFamily) -> (rule: Int32?, visits: Int) {
        var best: UInt32 = .max
        var visits = 0
        for (index, root) in (roots[family] ?? []).enumerated() {
            // A partition that holds no rule below the best so far is skipped.
            var at = index == 0 || lowest(root) < best ? root : Self.linkLeaf
            while at & Self.linkLeaf == 0 {
                at = visit(at, key)
                visits += 1
            }
            visits += 1
            let found = (at & ~Self.linkLeaf) &- 1
            if found < best { best = found }
        }
        return (best == .max ? nil : Int32(best), visits)
    }

    private func visit(_ at: UInt32, _ key: MatchKey) -> UInt32 {
        let node = Int(at)
        let header = words[node]
        let field = MatchField(rawValue: Int(header & 7)) ?? .proto
        let width = header & 8 != 0 ? 2 : 1
        let count = Int((header >> 8) & 0xFF)
        let value = key[field]
        func bound(_ index: Int) -> UInt64 {
            width == 2
                ? UInt64(words[node + 1 + 2 * index]) | UInt64(words[node + 2 + 2 * index]) << 32
                : UInt64(words[node + 1 + index])
        }
        // What is left to search is [position, position + left]: halve it
        // until one bound remains, then test that one.
        var position = 0
        var left = count
        while left > 1 {
            let half = left >> 1
            if bound(position + half - 1) <= value { position += half }
            left -= half
        }
        if left == 1, bound(position) <= value { position += 1 }
        return words[node + 1 + width * count + position]
    }

    /// The lowest rule below `link`, which the walker compares with the
    /// best so far before walking a partition.
    public func lowest(_ link: UInt32) -> UInt32 { lowestRules[link] ?? Self.lowestOf(link) }

    private static func lowestOf(_ link: UInt32) -> UInt32 {
        link & linkLeaf != 0 ? (link & ~linkLeaf) &- 1 : .max
    }

    /// Bytes the program holds for the table.
    public var bytes: Int { words.count * 4 }

    /// The most nodes one walk from `link` visits.
    public func height(_ link: UInt32) -> Int { heights[link] ?? 0 }

    /// The most nodes one packet of `family` visits: the longest walk of
    /// every partition, one after the other.
    public func walkBound(_ family: AddressFamily) -> Int {
        (roots[family] ?? []).reduce(0) { $0 + height($1) }
    }

    /// The longest walk from one root, in nodes.
    public var depth: Int {
        roots.values.flatMap { $0 }.map(height).max() ?? 0
    }
}
