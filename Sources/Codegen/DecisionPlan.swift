import VtapRuleModel

/// How packets of one address family find their first matching rule among
/// the rules of one partition: a decision DAG over the fields of the match
/// key.
///
/// Each split node resolves one field for every candidate rule: the field's
/// domain is cut at every boundary of the candidates' value sets, so inside
/// each piece a candidate either matches that field entirely or not at all.
/// Candidates keep rule order, so the first candidate with no unresolved
/// field is the partition's first match. Equal sub-problems (same resolved
/// fields, same candidates) are built once and shared. A packet does one
/// search per field on its path, at most seven, whatever the rule count.
///
/// A `Classifier` holds several of these per family: rules whose copies
/// would multiply in one DAG move to the next partition (see `PlanBuilder`).
public struct DecisionPlan: Sendable {
    public typealias NodeID = Int32

    public enum Node: Sendable, Hashable {
        /// The rule index, or `nil` for no match.
        case leaf(Int32?)
        /// `children[i]` handles values in `[bounds[i-1], bounds[i])`, with
        /// `bounds` strictly increasing; `children.count == bounds.count + 1`.
        case split(field: MatchField, bounds: [UInt64], children: [NodeID])
        /// Every range holds the key's field: `pass`, else `fail`. One
        /// rule's remaining fields tested at once, where splitting on each
        /// in turn would cost a node per field.
        case check(ranges: [FieldRange], pass: NodeID, fail: NodeID)
    }

    public struct FieldRange: Sendable, Hashable {
        public var field: MatchField
        public var lower: UInt64
        public var upper: UInt64

        public func contains(_ key: MatchKey) -> Bool { key[field] >= lower && key[field] <= upper }
    }

    /// Most candidates left where a check node may be used: each one a
    /// packet may test, where a split would separate them all at once.
    public static let checkCandidates = 2

    public let family: AddressFamily
    /// Position among the family's partitions, from 0.
    public let partition: Int
    public let nodes: [Node]
    public let root: NodeID
    /// Rules this partition holds whole (none of their cubes moved on).
    public let homeRules: Int
    /// Rules some packet reaches through this partition, counting only
    /// cubes the partition holds whole: a rule missing from every
    /// partition's set is covered by earlier rules and never matches.
    public let reachableRules: Set<Int32>
    /// Candidate-list entries the build created: its time and memory.
    public let work: Int

    public subscript(id: NodeID) -> Node { nodes[Int(id)] }

    /// Most bounds one split holds: wider cuts become a tree of splits on
    /// the same field, so the table walker's search has a fixed length and
    /// inline code can be cut between them.
    public static let maxFanout = 255

    /// The first rule of this partition that matches `key`, or `nil`.
    public func evaluate(_ key: MatchKey) -> Int32? {
        var id = root
        while true {
            switch nodes[Int(id)] {
            case .leaf(let rule):
                return rule
            case .split(let field, let bounds, let children):
                let value = key[field]
                var lo = 0
                var hi = bounds.count
                while lo < hi {
                    let mid = (lo + hi) / 2
                    if value < bounds[mid] { hi = mid } else { lo = mid + 1 }
                }
                id = children[lo]
            case .check(let ranges, let pass, let fail):
                id = ranges.allSatisfy { $0.contains(key) } ? pass : fail
            }
        }
    }

    /// Splits on the longest path from the root: the nodes a packet visits
    /// in this partition, at most.
    public var depth: Int {
        var depths = [Int](repeating: 0, count: nodes.count)
        // Children always have lower ids than their parents.
        for (index, node) in nodes.enumerated() {
            switch node {
            case .leaf: break
            case .split(_, _, let children): depths[index] = 1 + (children.map { depths[Int($0)] }.max() ?? 0)
            case .check(_, let pass, let fail): depths[index] = 1 + max(depths[Int(pass)], depths[Int(fail)])
            }
        }
        return nodes.isEmpty ? 0 : depths[Int(root)]
    }

    /// The lowest rule any leaf names: a packet whose best rule so far is
    /// lower need not walk this partition.
    public var lowestRule: Int32? {
        nodes.reduce(nil as Int32?) { lowest, node in
            if case .leaf(let rule?) = node, rule < (lowest ?? .max) { return rule }
            return lowest
        }
    }

    public var splitCount: Int {
        nodes.count { if case .split = $0 { true } else { false } }
    }

    public var boundCount: Int {
        nodes.reduce(0) { sum, node in
            if case .split(_, let bounds, _) = node { sum + bounds.count } else { sum }
        }
    }
}

/// The recursive construction of one partition's DAG.
///
/// The DAG of a whole ruleset can grow with the product of the rule counts:
/// when rules that are wide in one field and narrow in another (`- 10.0.0.1
/// - 80 TCP`) meet rules shaped the other way (`10.2.0.0/16 - - - -`),
/// whichever field is cut first copies one kind into every piece of the
/// other. So every cube may be copied into at most `placementLimit` pieces
/// of one partition; a cube that would exceed it moves, whole, to the next
/// partition, and the packet's rule is the lowest of the partitions'
/// answers. Copies already made stay where they are: a rule found in two
/// partitions is still the same rule, so the minimum is unchanged. The
/// last partition moves nothing and is bounded by `workBudget` instead.
///
/// Early rules may be copied more (`earlyFactor`): a packet's answer is
/// often an early rule, and a later partition whose rules all come after
/// the answer found so far is not walked, so keeping early rules in the
/// first partition saves the later walks (ClassBench fw1 10k: 16 to 13
/// nodes a packet on average, for 2% more table).
///
/// A piece closes once a candidate matches all of it: later candidates
/// there are dead and are not placed, so a long ladder of overlapping
/// ranges costs one entry per piece, not one per rule and piece.
struct PlanBuilder {
    struct OverBudget: Error {
        var work: Int
        var bounds: Int
    }

    let family: AddressFamily
    let cubes: [Cube]
    /// Copies of one cube allowed in this partition; `nil` in the last.
    let placementLimit: Int?
    /// Cubes of rules before this one get `earlyFactor` times the limit.
    let earlyRules: Int32
    let earlyFactor: Int
    /// The field of the first split, when set and some candidate restricts
    /// it; otherwise the cheapest, as for every other split.
    var rootField: MatchField?
    /// Whether `chooseField` leaves out pieces closed on the way.
    var countsClosing = false
    let workBudget: Int
    /// Bounds the partition's splits may hold: its share of the table.
    let boundBudget: Int
    private(set) var nodes: [DecisionPlan.Node] = []
    /// Cubes that move to the next partition, in cube order once sorted.
    private(set) var moved: [Int32] = []
    private(set) var work = 0
    private(set) var bounds = 0
    /// Cubes that are the first candidate of some leaf.
    private(set) var leading = Set<Int32>()

    private var placements: [Int32]
    private var isMoved: [Bool]
    private var memo: [Subproblem: DecisionPlan.NodeID] = [:]
    private var leaves: [Int32?: DecisionPlan.NodeID] = [:]
    /// Per cube, the fields whose set is not the whole domain.
    private let restricted: [UInt8]

    private struct Subproblem: Hashable {
        var resolved: UInt8
        var candidates: [Int32]
    }

    init(
        family: AddressFamily, cubes: [Cube], placementLimit: Int?, workBudget: Int, boundBudget: Int,
        earlyRules: Int32 = 0, earlyFactor: Int = 1
    ) {
        self.family = family
        self.cubes = cubes
        self.placementLimit = placementLimit
        self.earlyRules = earlyRules
        self.earlyFactor = earlyFactor
        self.workBudget = workBudget
        self.boundBudget = boundBudget
        placements = [Int32](repeating: 0, count: cubes.count)
        isMoved = [Bool](repeating: false, count: cubes.count)
        let fullDomains = MatchField.allCases.map { IntervalSet<UInt64>(0, $0.domainUpper(family)) }
        restricted = cubes.map { cube in
            MatchField.allCases.reduce(UInt8(0)) { mask, field in
                cube.fields[field.rawValue] == fullDomains[field.rawValue] ? mask : mask | 1 << field.rawValue
            }
        }
    }

    /// Fields of `cube` that still restrict packets, given the resolved
    /// ones, as a bit mask of `MatchField.rawValue`s.
    private func openFields(_ cube: Int32, _ resolved: UInt8) -> UInt8 {
        restricted[Int(cube)] & ~resolved
    }

    private mutating func leaf(_ rule: Int32?) -> DecisionPlan.NodeID {
        if let id = leaves[rule] { return id }
        let id = append(.leaf(rule))
        leaves[rule] = id
        return id
    }

    private mutating func append(_ node: DecisionPlan.Node) -> DecisionPlan.NodeID {
        if case .split(_, let splitBounds, _) = node { bounds += splitBounds.count }
        nodes.append(node)
        return DecisionPlan.NodeID(nodes.count - 1)
    }

    mutating func build(candidates input: [Int32], resolved: UInt8) throws(OverBudget) -> DecisionPlan.NodeID {
        // Candidates after the first one that matches everything left are
        // dead; cubes moved on since this list was made are answered by a
        // later partition.
        var candidates: [Int32] = []
        candidates.reserveCapacity(input.count)
        var fields: UInt8 = 0
        for cube in input where !isMoved[Int(cube)] {
            let open = openFields(cube, resolved)
            candidates.append(cube)
            if open == 0 { break }
            fields |= open
        }
        guard let first = candidates.first else { return leaf(nil) }
        if openFields(first, resolved) == 0 {
            leading.insert(first)
            return leaf(cubes[Int(first)].rule)
        }

        let key = Subproblem(resolved: resolved, candidates: candidates)
        if let id = memo[key] { return id }
        let id: DecisionPlan.NodeID
        if let ranges = checkRanges(candidates, resolved) {
            leading.insert(first)
            let pass = leaf(cubes[Int(first)].rule)
            work += candidates.count
            let fail = try build(candidates: Array(candidates.dropFirst()), resolved: resolved)
            id = append(.check(ranges: ranges, pass: pass, fail: fail))
        } else {
            var field = chooseField(candidates, among: fields, resolved: resolved)
            if resolved == 0, let forced = rootField, fields & (1 << forced.rawValue) != 0 { field = forced }
            id = try split(candidates, resolved, on: field)
        }
        memo[key] = id
        return id
    }

    /// The first candidate's open fields as one range each, when few
    /// candidates are left and it has more than one such field: then one
    /// check node replaces a split per field.
    private func checkRanges(_ candidates: [Int32], _ resolved: UInt8) -> [DecisionPlan.FieldRange]? {
        guard candidates.count <= DecisionPlan.checkCandidates, let first = candidates.first else { return nil }
        let open = openFields(first, resolved)
        guard open.nonzeroBitCount >= 2 else { return nil }
        var ranges: [DecisionPlan.FieldRange] = []
        for field in MatchField.allCases where open & (1 << field.rawValue) != 0 {
            let intervals = cubes[Int(first)].fields[field.rawValue].intervals
            guard intervals.count == 1 else { return nil }
            ranges.append(.init(field: field, lower: intervals[0].lower, upper: intervals[0].upper))
        }
        return ranges
    }

    /// Elementary boundaries on `field`: every place a candidate's set starts
    /// or ends. Values in `[b[i-1], b[i])` are alike for every candidate.
    private func boundaries(_ candidates: [Int32], _ field: MatchField) -> [UInt64] {
        let upper = field.domainUpper(family)
        let bit = UInt8(1) << field.rawValue
        var cuts: [UInt64] = []
        for cube in candidates where restricted[Int(cube)] & bit != 0 {
            for piece in cubes[Int(cube)].fields[field.rawValue].intervals {
                if piece.lower > 0 { cuts.append(piece.lower) }
                if piece.upper < upper { cuts.append(piece.upper + 1) }
            }
        }
        cuts.sort()
        var unique: [UInt64] = []
        unique.reserveCapacity(cuts.count)
        for cut in cuts where cut != unique.last { unique.append(cut) }
        return unique
    }

    /// The field whose split copies candidates least: the sum, over
    /// candidates, of the pieces each lands in. A cube that would move on
    /// counts as the limit, the copies it would have cost here.
    ///
    /// With `countsClosing`, pieces closed by an earlier candidate are not
    /// counted, as `split` will not place anything there: the cost is then
    /// exact for this split, at the price of a pass per field. The plain
    /// count is what ClassBench's partitions were tuned on; the exact one
    /// finds the order that lets a wide rule close pieces (a rule that is
    /// the whole address space but one prefix, split on its address only
    /// after its ports and protocol are resolved).
    private func chooseField(_ candidates: [Int32], among fields: UInt8, resolved: UInt8) -> MatchField {
        var best: (field: MatchField, cost: Int, pieces: Int)?
        var spans: [(Int, Int)] = []
        for field in MatchField.allCases where fields & (1 << field.rawValue) != 0 {
            let bounds = boundaries(candidates, field)
            let pieces = bounds.count + 1
            let cap = placementLimit.map { $0 + 1 } ?? Int.max
            var cost = 0
            let bit = UInt8(1) << field.rawValue
            var open = OpenPieces(count: countsClosing ? pieces : 0)
            for cube in candidates {
                pieceSpans(of: cube, on: field, bounds, into: &spans)
                if !countsClosing {
                    cost += min(spans.reduce(0) { $0 + $1.1 - $1.0 + 1 }, cap)
                    continue
                }
                if open.isEmpty { break }
                if openFields(cube, resolved | bit) == 0 {
                    for (lower, upper) in spans {
                        open.visit(from: lower, through: upper, closing: true) { _ in cost += 1 }
                    }
                } else {
                    var landing = 0
                    for (lower, upper) in spans where landing < cap {
                        landing += open.count(from: lower, through: upper, stoppingAfter: cap - landing)
                    }
                    cost += min(landing, cap)
                }
                // Already worse than the best field: the rest cannot help.
                if let current = best, cost > current.cost { break }
            }
            if let current = best, cost > current.cost || (cost == current.cost && pieces >= current.pieces) {
                continue
            }
            best = (field, cost, pieces)
        }
        // `fields` is never empty here: the first candidate has an open field.
        return best?.field ?? .proto
    }

    /// The pieces of a split on `field` at `bounds` that `cube` lands in,
    /// as ranges of piece indices: every piece for a cube that does not
    /// restrict the field.
    private func pieceSpans(of cube: Int32, on field: MatchField, _ bounds: [UInt64], into spans: inout [(Int, Int)]) {
        spans.removeAll(keepingCapacity: true)
        guard restricted[Int(cube)] & (1 << field.rawValue) != 0 else {
            spans.append((0, bounds.count))
            return
        }
        for piece in cubes[Int(cube)].fields[field.rawValue].intervals {
            spans.append((Self.pieceIndex(bounds, piece.lower), Self.pieceIndex(bounds, piece.upper)))
        }
    }

    /// Index of the elementary piece containing `value`.
    static func pieceIndex(_ bounds: [UInt64], _ value: UInt64) -> Int {
        var lo = 0
        var hi = bounds.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if value < bounds[mid] { hi = mid } else { lo = mid + 1 }
        }
        return lo
    }

    private mutating func split(
        _ candidates: [Int32], _ resolved: UInt8, on field: MatchField
    ) throws(OverBudget) -> DecisionPlan.NodeID {
        let bounds = boundaries(candidates, field)
        let pieces = bounds.count + 1
        let childResolved = resolved | (1 << field.rawValue)
        var perPiece = [[Int32]](repeating: [], count: pieces)
        var open = OpenPieces(count: pieces)
        var spans: [(Int, Int)] = []

        for cube in candidates {
            if open.isEmpty { break }
            pieceSpans(of: cube, on: field, bounds, into: &spans)
            // A cube that matches all of every piece it lands in closes
            // them: each piece is closed once, so its copies cost at most
            // the split's own size and never multiply further down. Other
            // cubes may land in at most `placementLimit` pieces in all.
            let closes = openFields(cube, childResolved) == 0
            if !closes, let total = placementLimit {
                // One copy is always allowed (it copies nothing); counting
                // stops past that or the limit, where the answer no longer matters.
                let allowed = cubes[Int(cube)].rule < earlyRules ? total * earlyFactor : total
                let limit = max(1, allowed - Int(placements[Int(cube)]))
                var landing = 0
                for (lower, upper) in spans where landing <= limit {
                    landing += open.count(from: lower, through: upper, stoppingAfter: limit + 1 - landing)
                }
                if landing == 0 { continue }
                if landing > limit {
                    isMoved[Int(cube)] = true
                    moved.append(cube)
                    continue
                }
            }
            var landed = 0
            for (lower, upper) in spans {
                open.visit(from: lower, through: upper, closing: closes) {
                    perPiece[$0].append(cube)
                    landed += 1
                }
            }
            placements[Int(cube)] += Int32(clamping: landed)
            work += landed
            if work > workBudget { throw OverBudget(work: work, bounds: self.bounds) }
        }

        var byList: [[Int32]: DecisionPlan.NodeID] = [:]
        var children: [DecisionPlan.NodeID] = []
        children.reserveCapacity(pieces)
        for index in 0..<pieces {
            let list = perPiece[index]
            let child: DecisionPlan.NodeID
            if let known = byList[list] {
                child = known
            } else {
                child = try build(candidates: list, resolved: childResolved)
                byList[list] = child
            }
            children.append(child)
        }
        let id = appendSplit(field, bounds, children)
        if self.bounds > boundBudget { throw OverBudget(work: work, bounds: self.bounds) }
        return id
    }

    /// Appends the split, without bounds between adjacent pieces that lead
    /// to the same node; a split left with one child is that child.
    private mutating func appendSplit(
        _ field: MatchField, _ bounds: [UInt64], _ children: [DecisionPlan.NodeID]
    ) -> DecisionPlan.NodeID {
        var keptBounds: [UInt64] = []
        var keptChildren = [children[0]]
        for index in 1..<children.count where children[index] != keptChildren.last {
            keptBounds.append(bounds[index - 1])
            keptChildren.append(children[index])
        }
        if keptChildren.count == 1 { return keptChildren[0] }
        return appendWide(field, keptBounds, keptChildren)
    }

    /// A split of more than `maxFanout` bounds becomes a tree of splits on
    /// the same field, each within the walker's unrolled search.
    private mutating func appendWide(
        _ field: MatchField, _ bounds: [UInt64], _ children: [DecisionPlan.NodeID]
    ) -> DecisionPlan.NodeID {
        if bounds.count <= DecisionPlan.maxFanout {
            return append(.split(field: field, bounds: bounds, children: children))
        }
        // Groups of consecutive pieces, each a split; the group starts are
        // the bounds of the node above them. Equal-sized groups keep every
        // walk the same length.
        let groupCount = (children.count + DecisionPlan.maxFanout) / (DecisionPlan.maxFanout + 1)
        let groupSize = (children.count + groupCount - 1) / groupCount
        var groupBounds: [UInt64] = []
        var groups: [DecisionPlan.NodeID] = []
        var start = 0
        while start < children.count {
            let end = min(start + groupSize, children.count)
            if start > 0 { groupBounds.append(bounds[start - 1]) }
            if end - start == 1 {
                groups.append(children[start])
            } else {
                groups.append(
                    append(
                        .split(
                            field: field, bounds: Array(bounds[start..<(end - 1)]),
                            children: Array(children[start..<end]))))
            }
            start = end
        }
        return appendWide(field, groupBounds, groups)
    }
}

/// The pieces of one split that no candidate has closed yet, with the next
/// open piece found in near-constant time (path-halving union-find), so a
/// cube spanning many closed pieces costs nothing for them.
struct OpenPieces {
    /// `next[i]`: a piece at or after `i` that may be open; `count` is the end.
    private var next: [Int32]
    private(set) var openCount: Int

    init(count: Int) {
        next = (0...count).map(Int32.init)
        openCount = count
    }

    var isEmpty: Bool { openCount == 0 }

    private mutating func find(_ index: Int) -> Int {
        var at = index
        while Int(next[at]) != at {
            next[at] = next[Int(next[at])]
            at = Int(next[at])
        }
        return at
    }

    /// Open pieces in `lower...upper`, counting at most `cap` of them.
    mutating func count(from lower: Int, through upper: Int, stoppingAfter cap: Int?) -> Int {
        var total = 0
        var at = find(lower)
        while at <= upper {
            total += 1
            if let cap, total >= cap { return total }
            at = find(at + 1)
        }
        return total
    }

    /// Calls `body` for each open piece in `lower...upper`, then closes
    /// them if `closing`.
    mutating func visit(from lower: Int, through upper: Int, closing: Bool, _ body: (Int) -> Void) {
        var at = find(lower)
        while at <= upper {
            body(at)
            if closing {
                next[at] = Int32(at + 1)
                openCount -= 1
            }
            at = find(at + 1)
        }
    }
}
