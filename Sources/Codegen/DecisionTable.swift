import VtapRuleModel

/// A `DecisionPlan` flattened into comparison nodes: each compares one key
/// field with a bound and names its two successors. Shared plan nodes stay
/// shared. The program walks it in a loop (see `vtap_match_table`), so its
/// size costs memory, not instructions or verifier time.
public struct DecisionTable: Sendable {
    public struct Node: Sendable, Hashable {
        public var bound: UInt64
        public var field: MatchField
        /// Taken when the field is below `bound`.
        public var below: Target
        public var atOrAbove: Target
    }

    public enum Target: Sendable, Hashable {
        case node(Int)
        /// The rule index, or `nil` for no match.
        case leaf(Int32?)
    }

    public private(set) var nodes: [Node] = []
    /// Entry point of each family's plan.
    public private(set) var roots: [AddressFamily: Target] = [:]

    public init(plans: [DecisionPlan]) {
        for plan in plans {
            var flattener = Flattener(plan: plan, table: self)
            let root = flattener.target(plan.root)
            self = flattener.table
            roots[plan.family] = root
        }
    }

    /// The rule `key` reaches from `family`'s root.
    public func evaluate(_ key: MatchKey, family: AddressFamily) -> Int32? {
        var at = roots[family] ?? .leaf(nil)
        while case .node(let index) = at {
            let node = nodes[index]
            at = key[node.field] >= node.bound ? node.atOrAbove : node.below
        }
        if case .leaf(let rule) = at { return rule }
        return nil
    }

    /// The longest walk from any root, in comparisons.
    public var depth: Int {
        var memo = [Int](repeating: -1, count: nodes.count)
        func depth(_ target: Target) -> Int {
            guard case .node(let index) = target else { return 0 }
            if memo[index] >= 0 { return memo[index] }
            // Successors always have lower indices, so this recursion is shallow
            // when filled in index order below.
            let d = 1 + max(depth(nodes[index].below), depth(nodes[index].atOrAbove))
            memo[index] = d
            return d
        }
        for index in nodes.indices { _ = depth(.node(index)) }
        return roots.values.map(depth).max() ?? 0
    }

    fileprivate mutating func append(_ node: Node) -> Target {
        nodes.append(node)
        return .node(nodes.count - 1)
    }
}

private struct Flattener {
    let plan: DecisionPlan
    var table: DecisionTable
    var done: [DecisionPlan.NodeID: DecisionTable.Target] = [:]

    init(plan: DecisionPlan, table: DecisionTable) {
        self.plan = plan
        self.table = table
    }

    /// Plan node ids grow from children to parents, so flattening in id
    /// order finds every successor already flattened.
    mutating func target(_ root: DecisionPlan.NodeID) -> DecisionTable.Target {
        for id in 0...Int(root) {
            let node = DecisionPlan.NodeID(id)
            if done[node] == nil { done[node] = flatten(node) }
        }
        return done[root] ?? .leaf(nil)
    }

    private mutating func flatten(_ id: DecisionPlan.NodeID) -> DecisionTable.Target {
        switch plan[id] {
        case .leaf(let rule):
            return .leaf(rule)
        case .split(let field, let bounds, let children):
            let targets = children.map { done[$0] ?? .leaf(nil) }
            return search(field, bounds, targets, lo: 0, hi: targets.count - 1)
        case .linear(let candidates):
            // Last candidate first, so each can fall through to the next.
            var next: DecisionTable.Target = .leaf(nil)
            for candidate in candidates.reversed() {
                var pass: DecisionTable.Target = .leaf(candidate.rule)
                for check in candidate.checks.reversed() {
                    pass = membership(check, pass: pass, fail: next)
                }
                next = pass
            }
            return next
        }
    }

    /// A balanced tree of comparisons choosing among `targets`.
    private mutating func search(
        _ field: MatchField, _ bounds: [UInt64], _ targets: [DecisionTable.Target], lo: Int, hi: Int
    ) -> DecisionTable.Target {
        if lo == hi { return targets[lo] }
        let mid = (lo + hi) / 2
        let below = search(field, bounds, targets, lo: lo, hi: mid)
        let above = search(field, bounds, targets, lo: mid + 1, hi: hi)
        return table.append(.init(bound: bounds[mid], field: field, below: below, atOrAbove: above))
    }

    /// Goes to `pass` when the field's value is in the check's set.
    private mutating func membership(
        _ check: DecisionPlan.FieldCheck, pass: DecisionTable.Target, fail: DecisionTable.Target
    ) -> DecisionTable.Target {
        // The domain as alternating segments, each from its start value on.
        var segments: [(start: UInt64, target: DecisionTable.Target)] = []
        var cursor: UInt64? = 0
        for piece in check.values.intervals {
            guard let from = cursor else { break }
            if piece.lower > from { segments.append((from, fail)) }
            segments.append((piece.lower, pass))
            cursor = piece.upper == .max ? nil : piece.upper + 1
        }
        if let from = cursor { segments.append((from, fail)) }
        let bounds = segments.dropFirst().map(\.start)
        return search(check.field, Array(bounds), segments.map(\.target), lo: 0, hi: segments.count - 1)
    }
}
