import VtapRuleModel

/// How one address family's packets find their first matching rule: a
/// decision DAG over the fields of the match key.
///
/// Each split node resolves one field for every candidate rule: the field's
/// domain is cut at every boundary of the candidates' value sets, so inside
/// each piece a candidate either matches that field entirely or not at all.
/// Candidates keep rule order, so the first candidate with no unresolved
/// field is the first match. Equal sub-problems (same resolved fields, same
/// candidates) are built once and shared. The cost per packet is one binary
/// search per field on the path, at most seven, whatever the rule count.
public struct DecisionPlan: Sendable {
    public typealias NodeID = Int32

    public enum Node: Sendable, Hashable {
        /// The rule index, or `nil` for no match.
        case leaf(Int32?)
        /// `children[i]` handles values in `[bounds[i-1], bounds[i])`, with
        /// `bounds` strictly increasing; `children.count == bounds.count + 1`.
        case split(field: MatchField, bounds: [UInt64], children: [NodeID])
        /// Rules checked in order, field by field: only where splitting would
        /// cost more than the work budget allows.
        case linear(candidates: [LinearCandidate])
    }

    public struct LinearCandidate: Sendable, Hashable {
        public var rule: Int32
        /// Fields still to check, with the values that match.
        public var checks: [FieldCheck]
    }

    public struct FieldCheck: Sendable, Hashable {
        public var field: MatchField
        public var values: IntervalSet<UInt64>
    }

    public let family: AddressFamily
    public let nodes: [Node]
    public let root: NodeID
    /// Whether some subtree fell back to linear checks.
    public let usedLinearFallback: Bool

    public subscript(id: NodeID) -> Node { nodes[Int(id)] }

    /// The rule the plan picks for `key`, or `nil`.
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
            case .linear(let candidates):
                return candidates.first { candidate in
                    candidate.checks.allSatisfy { $0.values.contains(key[$0.field]) }
                }?.rule
            }
        }
    }

    /// Rules that some packet can reach through this plan.
    public var reachableRules: Set<Int32> {
        var rules = Set<Int32>()
        for node in nodes {
            switch node {
            case .leaf(let rule?): rules.insert(rule)
            case .linear(let candidates): candidates.forEach { rules.insert($0.rule) }
            default: break
            }
        }
        return rules
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

extension DecisionPlan {
    /// Builds the plan for `family`. `workBudget` bounds the candidate-list
    /// entries the build may create; past it, remaining subtrees are linear.
    public static func build(_ ruleset: Ruleset, family: AddressFamily, workBudget: Int? = nil) -> DecisionPlan {
        let cubes = CubeBuilder.cubes(of: ruleset, family: family)
        var builder = PlanBuilder(
            family: family, cubes: cubes, workBudget: workBudget ?? (64 * cubes.count + 2_000_000))
        let root = builder.build(candidates: Array(cubes.indices.map(Int32.init)), resolved: 0)
        return DecisionPlan(
            family: family, nodes: builder.nodes, root: root, usedLinearFallback: builder.usedLinear)
    }
}

/// The recursive construction behind `DecisionPlan.build`.
struct PlanBuilder {
    let family: AddressFamily
    let cubes: [Cube]
    let workBudget: Int
    var nodes: [DecisionPlan.Node] = []
    var usedLinear = false
    private var work = 0
    private var memo: [Subproblem: DecisionPlan.NodeID] = [:]
    private var leaves: [Int32?: DecisionPlan.NodeID] = [:]
    private let fullDomains: [IntervalSet<UInt64>]
    /// Per cube, the fields whose set is not the whole domain.
    private let restricted: [UInt8]

    private struct Subproblem: Hashable {
        var resolved: UInt8
        var candidates: [Int32]
    }

    init(family: AddressFamily, cubes: [Cube], workBudget: Int) {
        self.family = family
        self.cubes = cubes
        self.workBudget = workBudget
        let fullDomains = MatchField.allCases.map { IntervalSet<UInt64>(0, $0.domainUpper(family)) }
        self.fullDomains = fullDomains
        self.restricted = cubes.map { cube in
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

    private static func fields(in mask: UInt8) -> [MatchField] {
        MatchField.allCases.filter { mask & (1 << $0.rawValue) != 0 }
    }

    private mutating func leaf(_ rule: Int32?) -> DecisionPlan.NodeID {
        if let id = leaves[rule] { return id }
        let id = append(.leaf(rule))
        leaves[rule] = id
        return id
    }

    private mutating func append(_ node: DecisionPlan.Node) -> DecisionPlan.NodeID {
        nodes.append(node)
        return DecisionPlan.NodeID(nodes.count - 1)
    }

    mutating func build(candidates input: [Int32], resolved: UInt8) -> DecisionPlan.NodeID {
        // Candidates after the first one that matches everything left are dead.
        var candidates: [Int32] = []
        candidates.reserveCapacity(input.count)
        var fields: UInt8 = 0
        for cube in input {
            let open = openFields(cube, resolved)
            candidates.append(cube)
            if open == 0 { break }
            fields |= open
        }
        guard let first = candidates.first else { return leaf(nil) }
        if fields == 0 || openFields(first, resolved) == 0 {
            return leaf(cubes[Int(first)].rule)
        }

        let key = Subproblem(resolved: resolved, candidates: candidates)
        if let id = memo[key] { return id }

        let id: DecisionPlan.NodeID
        if work > workBudget {
            id = linear(candidates, resolved)
        } else {
            let field = chooseField(candidates, resolved, among: fields)
            id = split(candidates, resolved, on: field)
        }
        memo[key] = id
        return id
    }

    private mutating func linear(_ candidates: [Int32], _ resolved: UInt8) -> DecisionPlan.NodeID {
        usedLinear = true
        let checks = candidates.map { cube in
            DecisionPlan.LinearCandidate(
                rule: cubes[Int(cube)].rule,
                checks: Self.fields(in: openFields(cube, resolved)).map {
                    DecisionPlan.FieldCheck(field: $0, values: cubes[Int(cube)].fields[$0.rawValue])
                })
        }
        return append(.linear(candidates: checks))
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

    /// The field whose split replicates candidates least: the sum of child
    /// list sizes, before sharing.
    private func chooseField(_ candidates: [Int32], _ resolved: UInt8, among fields: UInt8) -> MatchField {
        var best: (field: MatchField, cost: Int, pieces: Int)?
        for field in MatchField.allCases where fields & (1 << field.rawValue) != 0 {
            let bounds = boundaries(candidates, field)
            let pieces = bounds.count + 1
            var cost = 0
            let bit = UInt8(1) << field.rawValue
            for cube in candidates {
                guard restricted[Int(cube)] & bit != 0 else {
                    cost += pieces
                    continue
                }
                for piece in cubes[Int(cube)].fields[field.rawValue].intervals {
                    cost += pieceIndex(bounds, piece.upper) - pieceIndex(bounds, piece.lower) + 1
                }
            }
            if best == nil || cost < best!.cost || (cost == best!.cost && pieces < best!.pieces) {
                best = (field, cost, pieces)
            }
        }
        return best!.field
    }

    /// Index of the elementary piece containing `value`.
    private func pieceIndex(_ bounds: [UInt64], _ value: UInt64) -> Int {
        var lo = 0
        var hi = bounds.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if value < bounds[mid] { hi = mid } else { lo = mid + 1 }
        }
        return lo
    }

    private mutating func split(_ candidates: [Int32], _ resolved: UInt8, on field: MatchField) -> DecisionPlan.NodeID {
        let bounds = boundaries(candidates, field)
        let pieces = bounds.count + 1
        // Candidates restricted on this field, per piece; the others go everywhere.
        var perPiece = [[Int32]](repeating: [], count: pieces)
        var everywhere: [Int32] = []
        let bit = UInt8(1) << field.rawValue
        for cube in candidates {
            guard restricted[Int(cube)] & bit != 0 else {
                everywhere.append(cube)
                continue
            }
            for piece in cubes[Int(cube)].fields[field.rawValue].intervals {
                for index in pieceIndex(bounds, piece.lower)...pieceIndex(bounds, piece.upper) {
                    perPiece[index].append(cube)
                }
            }
        }

        let childResolved = resolved | (1 << field.rawValue)
        var byList: [[Int32]: DecisionPlan.NodeID] = [:]
        var children: [DecisionPlan.NodeID] = []
        children.reserveCapacity(pieces)
        for index in 0..<pieces {
            let list = perPiece[index]
            let child: DecisionPlan.NodeID
            if let known = byList[list] {
                child = known
            } else {
                let merged = Self.mergeInOrder(list, everywhere)
                work += merged.count
                child = build(candidates: merged, resolved: childResolved)
                byList[list] = child
            }
            children.append(child)
        }

        // Adjacent pieces that lead to the same node need no bound between them.
        var keptBounds: [UInt64] = []
        var keptChildren = [children[0]]
        for index in 1..<pieces where children[index] != keptChildren.last {
            keptBounds.append(bounds[index - 1])
            keptChildren.append(children[index])
        }
        if keptChildren.count == 1 { return keptChildren[0] }
        return appendSplit(field, keptBounds, keptChildren)
    }

    /// Most bounds one split node holds; wider splits become a tree of
    /// splits on the same field, so code can be cut between them.
    static let maxFanout = 256

    private mutating func appendSplit(
        _ field: MatchField, _ bounds: [UInt64], _ children: [DecisionPlan.NodeID]
    ) -> DecisionPlan.NodeID {
        if bounds.count <= Self.maxFanout {
            return append(.split(field: field, bounds: bounds, children: children))
        }
        // Groups of consecutive pieces, each a split; the group starts are
        // the bounds of the node above them.
        let groupSize = Self.maxFanout + 1
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
                    append(.split(field: field, bounds: Array(bounds[start..<(end - 1)]), children: Array(children[start..<end]))))
            }
            start = end
        }
        return appendSplit(field, groupBounds, groups)
    }

    /// Merges two lists of cube ids, each ascending, keeping cube order.
    static func mergeInOrder(_ a: [Int32], _ b: [Int32]) -> [Int32] {
        if a.isEmpty { return b }
        if b.isEmpty { return a }
        var out: [Int32] = []
        out.reserveCapacity(a.count + b.count)
        var i = 0
        var j = 0
        while i < a.count, j < b.count {
            if a[i] < b[j] {
                out.append(a[i])
                i += 1
            } else {
                out.append(b[j])
                j += 1
            }
        }
        out.append(contentsOf: a[i...])
        out.append(contentsOf: b[j...])
        return out
    }
}
