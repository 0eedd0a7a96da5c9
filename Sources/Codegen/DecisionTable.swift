import VtapRuleModel

/// A classifier's decision plans laid out as the program reads them: one
/// node per plan split, in an array of 32-bit words that the program walks
/// in a `bpf_loop` (see `vtap_match_table`), so the table's size costs
/// memory, not instructions or verifier time. Shared plan nodes stay
/// shared.
///
/// A node at word offset `at`, with `count` bounds and `levels` the least
/// `h` such that 2^h - 1 >= count:
///
///     at + 0                 header: field | wide << 3 | levels << 4 | count << 8
///     at + 1 ...             2^levels - 1 bound slots in breadth-first order
///                            of the complete search tree over the sorted
///                            bounds (slot i's children are 2i and 2i + 1),
///                            padded with the largest value; one word each,
///                            or two (low word first) when `wide`
///     then count + 1 links   child r takes values in [bound r-1, bound r)
///
/// A check node tests up to seven ranges at once:
///
///     at + 0                 header: 7 | count << 8
///     at + 1 ...             count ranges of 5 words: field, lower (low word,
///                            high word), upper (low, high)
///     then 2 links           pass (every range holds the key's field), fail
///
/// The walker descends `levels` times, `i = 2i + (value >= slot[i])`, and
/// `i - 2^levels` is the number of bounds at or below the value (the
/// breadth-first layout is Eytzinger's). It takes two levels a step,
/// reading a slot and both of its children at once, so that a node of
/// `levels` levels waits for about `levels / 2` loads in a row. A value
/// that reaches the padding is at or above every real bound, and takes the
/// last link.
///
/// A link is a node's word offset with the field it searches above it,
/// `offset | field << linkFieldShift` (`checkField` for a check node), or
/// `linkLeaf | (rule + 1)` (0: no rule). The field travels in the link so
/// that the walker reads the key's value while it loads the node, not
/// after: a visit is a chain of dependent loads, and this takes one out.
/// Narrow nodes serve fields whose values fit 32 bits (every IPv4 field,
/// ports and protocol); address halves of IPv6 are wide.
public struct DecisionTable: Sendable {
    public static let linkLeaf: UInt32 = 0x8000_0000
    /// Where a link's field starts; below it, the node's word offset.
    public static let linkFieldShift = 28
    static let linkOffsetMask: UInt32 = (1 << linkFieldShift) - 1
    /// Most bounds in one node: the walker's search is unrolled this far.
    public static let maxBounds = DecisionPlan.maxFanout
    public static let maxSteps = 8
    /// The largest node, in words: no node starts closer than this to the
    /// end of its chunk, so every read the walker makes stays inside it.
    public static let maxNodeWords = 1 + 2 * 255 + 256
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

    /// The least h with 2^h - 1 >= count.
    static func levels(_ count: Int) -> Int {
        var levels = 0
        while (1 << levels) - 1 < count { levels += 1 }
        return levels
    }

    /// The sorted bounds in breadth-first order of a complete search tree
    /// of 2^levels - 1 slots, the slots past the bounds holding the largest
    /// value (an in-order walk of the tree fills slots in sorted order).
    static func searchOrder(_ bounds: [UInt64], levels: Int) -> [UInt64] {
        let slots = (1 << levels) - 1
        var out = [UInt64](repeating: .max, count: slots)
        var next = 0
        func fill(_ slot: Int) {
            guard slot <= slots else { return }
            fill(2 * slot)
            if next < bounds.count { out[slot - 1] = bounds[next] }
            next += 1
            fill(2 * slot + 1)
        }
        fill(1)
        return out
    }

    public static func leafLink(_ rule: Int32?) -> UInt32 {
        linkLeaf | (rule.map { UInt32($0) + 1 } ?? 0)
    }

    private mutating func append(
        _ node: DecisionPlan.Node, _ family: AddressFamily, _ links: [DecisionPlan.NodeID: UInt32]
    ) -> UInt32 {
        var body: [UInt32]
        let successors: [UInt32]
        switch node {
        case .leaf(let rule):
            return Self.leafLink(rule)
        case .split(let field, let bounds, let children):
            let wide = !field.isNarrow(family)
            let levels = Self.levels(bounds.count)
            body = [UInt32(field.rawValue) | (wide ? 8 : 0) | UInt32(levels) << 4 | UInt32(bounds.count) << 8]
            for bound in Self.searchOrder(bounds, levels: levels) {
                body.append(UInt32(truncatingIfNeeded: bound))
                if wide { body.append(UInt32(truncatingIfNeeded: bound >> 32)) }
            }
            successors = children.map { links[$0] ?? Self.linkLeaf }
            body +=
                successors
                + [UInt32](repeating: successors.last ?? Self.linkLeaf, count: (1 << levels) - successors.count)
        case .check(let ranges, let pass, let fail):
            body = [Self.checkField | UInt32(ranges.count) << 8]
            for range in ranges {
                body += [UInt32(range.field.rawValue)] + Self.halves(range.lower) + Self.halves(range.upper)
            }
            successors = [links[pass] ?? Self.linkLeaf, links[fail] ?? Self.linkLeaf]
            body += successors
        }
        // Nodes never straddle a chunk, nor start in its last words.
        let offsetInChunk = words.count % chunkWords
        if offsetInChunk + Self.maxNodeWords > chunkWords {
            words += [UInt32](repeating: 0, count: chunkWords - offsetInChunk)
        }
        let lowest = successors.map(lowest).min() ?? .max
        precondition(words.count <= Self.linkOffsetMask, "the table outgrew its links (ProgramSource bounds it)")
        let link = UInt32(words.count) | (body[0] & 7) << Self.linkFieldShift
        words += body
        heights[link] = 1 + (successors.map { heights[$0] ?? 0 }.max() ?? 0)
        lowestRules[link] = lowest
        nodeCount += 1
        return link
    }

    /// The field number of a check node's header: above every key field.
    static let checkField: UInt32 = 7

    private static func halves(_ value: UInt64) -> [UInt32] {
        [UInt32(truncatingIfNeeded: value), UInt32(truncatingIfNeeded: value >> 32)]
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

    private func visit(_ link: UInt32, _ key: MatchKey) -> UInt32 {
        let node = Int(link & Self.linkOffsetMask)
        let header = words[node]
        let linkField = (link >> UInt32(Self.linkFieldShift)) & 7
        if linkField == Self.checkField {
            let count = Int((header >> 8) & 0xFF)
            var pass = true
            for entry in 0..<count {
                let base = node + 1 + 5 * entry
                let value = key[MatchField(rawValue: Int(words[base] & 7)) ?? .proto]
                let lower = UInt64(words[base + 1]) | UInt64(words[base + 2]) << 32
                let upper = UInt64(words[base + 3]) | UInt64(words[base + 4]) << 32
                pass = pass && value >= lower && value <= upper
            }
            return words[node + 1 + 5 * count + (pass ? 0 : 1)]
        }
        let field = MatchField(rawValue: Int(linkField)) ?? .proto
        let width = header & 8 != 0 ? 2 : 1
        let levels = Int((header >> 4) & 0xF)
        let value = key[field]
        func slot(_ index: Int) -> UInt64 {
            width == 2
                ? UInt64(words[node + 2 * index - 1]) | UInt64(words[node + 2 * index]) << 32
                : UInt64(words[node + index])
        }
        var index = 1
        for _ in 0..<levels { index = 2 * index + (value >= slot(index) ? 1 : 0) }
        return words[node + index + (width - 1) * ((1 << levels) - 1)]
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
