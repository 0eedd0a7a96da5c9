import VtapRuleModel

/// Emits a `DecisionPlan` as C functions with every bound inlined as a
/// numeric literal.
///
/// The plan is cut into global (`__noinline`, non-static) functions: the
/// verifier checks each one once on its own, and each stays well inside the
/// +-32767 instruction reach of a BPF jump. Inside a function, nodes are
/// labelled blocks joined by `goto`, so shared nodes are emitted once.
struct DecisionEmitter {
    /// Estimated instructions per function; real sizes stay far below the
    /// jump reach even when the estimate is off by a factor of three.
    var functionBudget = 8_000
    /// Shared subtrees at most this large are copied rather than called.
    var copyLimit = 48
    /// BPF allows 256 functions per program; leave room for the template's.
    var maxFunctions = 200

    struct Output {
        var text: String
        var functionCount: Int
        var estimatedInstructions: Int
    }

    enum Failure: Error, Equatable {
        /// The plan needs more functions than a BPF program may have.
        case tooManyFunctions(Int)
    }

    func emit(_ plan: DecisionPlan, entry: String) throws -> Output {
        var job = Job(plan: plan, emitter: self, entry: entry)
        return try job.run()
    }
}

private struct Job {
    let plan: DecisionPlan
    let emitter: DecisionEmitter
    let entry: String
    private var treeSize: [Int]
    private var functionRoots: [DecisionPlan.NodeID: String] = [:]
    private var queue: [DecisionPlan.NodeID] = []
    private var estimated = 0

    init(plan: DecisionPlan, emitter: DecisionEmitter, entry: String) {
        self.plan = plan
        self.emitter = emitter
        self.entry = entry
        self.treeSize = Self.treeSizes(plan, cap: emitter.functionBudget + 1)
    }

    mutating func run() throws -> DecisionEmitter.Output {
        functionRoots[plan.root] = entry
        queue = [plan.root]
        var functions: [String] = []
        var index = 0
        while index < queue.count {
            functions.append(emitFunction(root: queue[index]))
            index += 1
            if queue.count > emitter.maxFunctions { throw DecisionEmitter.Failure.tooManyFunctions(queue.count) }
        }
        // Functions call each other in any order: declare them all first.
        let prototypes = queue.map {
            "__noinline int \(functionRoots[$0] ?? entry)(const struct vtap_match_key *key);\n"
        }
        let text = prototypes.joined() + "\n" + functions.joined(separator: "\n")
        return .init(text: text, functionCount: functions.count, estimatedInstructions: estimated)
    }

    /// Instruction estimate of each node's subtree as a tree (shared nodes
    /// counted at every use), saturating at `cap`.
    private static func treeSizes(_ plan: DecisionPlan, cap: Int) -> [Int] {
        var sizes = [Int](repeating: -1, count: plan.nodes.count)
        func size(_ id: DecisionPlan.NodeID) -> Int {
            if sizes[Int(id)] >= 0 { return sizes[Int(id)] }
            var total = ownCost(plan[id], plan.family)
            for child in Set(Self.successors(plan[id])) where total < cap {
                total += size(child)
            }
            sizes[Int(id)] = min(total, cap)
            return sizes[Int(id)]
        }
        // Children always have lower ids than their parents, so one pass
        // in id order fills every size without deep recursion.
        for id in plan.nodes.indices { _ = size(DecisionPlan.NodeID(id)) }
        return sizes
    }

    private static func successors(_ node: DecisionPlan.Node) -> [DecisionPlan.NodeID] {
        switch node {
        case .leaf: []
        case .split(_, _, let children): children
        case .check(_, let pass, let fail): [pass, fail]
        }
    }

    private static func ownCost(_ node: DecisionPlan.Node, _ family: AddressFamily) -> Int {
        switch node {
        case .leaf:
            return 2
        case .split(let field, let bounds, let children):
            let compare = bounds.reduce(0) { $0 + Self.compareCost(field, $1, family) }
            return compare + children.count
        case .check(let ranges, _, _):
            return ranges.reduce(2) {
                $0 + Self.compareCost($1.field, $1.lower, family) + Self.compareCost($1.field, $1.upper, family)
            }
        }
    }

    /// A 64-bit constant above the signed 32-bit immediate range needs a
    /// two-slot load before the jump.
    private static func compareCost(_ field: MatchField, _ bound: UInt64, _ family: AddressFamily) -> Int {
        field.isNarrow(family) || bound < 0x8000_0000 ? 1 : 3
    }

    private mutating func emitFunction(root: DecisionPlan.NodeID) -> String {
        let name = functionRoots[root] ?? entry
        // Nodes emitted or waiting to be, in this function.
        var scheduled: Set<DecisionPlan.NodeID> = [root]
        var pending: [DecisionPlan.NodeID] = [root]
        var usedFields = Set<MatchField>()
        var body = ""
        var size = 0
        // Subtree estimates of scheduled nodes not yet emitted: room they will take.
        var reserved = treeSize[Int(root)]

        while let id = pending.popLast() {
            let own = Self.ownCost(plan[id], plan.family)
            size += own
            reserved -= treeSize[Int(id)]
            body += "n\(id):\n"
            switch plan[id] {
            case .leaf(let rule):
                body += "\treturn \(rule.map(String.init) ?? "-1");\n"
            case .split(let field, let bounds, let children):
                usedFields.insert(field)
                var edges: [String] = []
                for child in children {
                    edges.append(
                        edge(to: child, scheduled: &scheduled, pending: &pending, committed: &reserved, emitted: size))
                }
                body += search(field, bounds, edges, lo: 0, hi: edges.count - 1, depth: 1)
            case .check(let ranges, let pass, let fail):
                ranges.forEach { usedFields.insert($0.field) }
                let tests = ranges.map {
                    "\($0.field.cMember) >= \(literal($0.lower, $0.field)) && \($0.field.cMember) <= \(literal($0.upper, $0.field))"
                }
                let passEdge = edge(
                    to: pass, scheduled: &scheduled, pending: &pending, committed: &reserved, emitted: size)
                let failEdge = edge(
                    to: fail, scheduled: &scheduled, pending: &pending, committed: &reserved, emitted: size)
                body += "\tif (\(tests.joined(separator: " && ")))\n\t\t\(passEdge)\n\t\(failEdge)\n"
            }
        }
        estimated += size

        var text = "__noinline int \(name)(const struct vtap_match_key *key)\n{\n"
        text += "\tif (!key)\n\t\treturn -1;\n"
        for field in MatchField.allCases where usedFields.contains(field) {
            let type = field.isNarrow(plan.family) ? "__u32" : "__u64"
            text += "\tconst \(type) \(field.cMember) = key->\(field.cMember);\n"
        }
        text += body + "}\n"
        return text
    }

    /// The statement that continues at `child`: a return, a jump within this
    /// function, or a call of another.
    private mutating func edge(
        to child: DecisionPlan.NodeID, scheduled: inout Set<DecisionPlan.NodeID>,
        pending: inout [DecisionPlan.NodeID], committed reserved: inout Int, emitted size: Int
    ) -> String {
        if case .leaf(let rule) = plan[child] {
            return "return \(rule.map(String.init) ?? "-1");"
        }
        if let callee = functionRoots[child] {
            return "return \(callee)(key);"
        }
        if scheduled.contains(child) { return "goto n\(child);" }
        let subtree = treeSize[Int(child)]
        let room = emitter.functionBudget - size - reserved
        // Small subtrees may overrun the budget by up to one budget again,
        // rather than each becoming a function of its own.
        if subtree <= room || (subtree <= emitter.copyLimit && subtree <= room + emitter.functionBudget) {
            scheduled.insert(child)
            pending.append(child)
            reserved += subtree
            return "goto n\(child);"
        }
        let callee = "\(entry)_\(queue.count)"
        functionRoots[child] = callee
        queue.append(child)
        return "return \(callee)(key);"
    }

    /// Binary search over `bounds`; `edges[i]` continues for piece `i`.
    private func search(
        _ field: MatchField, _ bounds: [UInt64], _ edges: [String], lo: Int, hi: Int, depth: Int
    ) -> String {
        let indent = String(repeating: "\t", count: depth)
        if lo == hi { return "\(indent)\(edges[lo])\n" }
        let mid = (lo + hi) / 2
        var text = "\(indent)if (\(field.cMember) < \(literal(bounds[mid], field)))\(comment(bounds[mid], field)) {\n"
        text += search(field, bounds, edges, lo: lo, hi: mid, depth: depth + 1)
        text += "\(indent)}\n"
        text += search(field, bounds, edges, lo: mid + 1, hi: hi, depth: depth)
        return text
    }

    private func membership(_ field: MatchField, _ values: IntervalSet<UInt64>) -> String {
        let name = field.cMember
        let tests = values.intervals.map { piece in
            piece.lower == piece.upper
                ? "\(name) == \(literal(piece.lower, field))"
                : "(\(name) >= \(literal(piece.lower, field)) && \(name) <= \(literal(piece.upper, field)))"
        }
        return "(" + tests.joined(separator: " || ") + ")"
    }

    private func literal(_ value: UInt64, _ field: MatchField) -> String {
        switch field {
        case .proto, .sport, .dport: "\(value)u"
        default: field.isNarrow(plan.family) ? "0x\(String(value, radix: 16))u" : "0x\(String(value, radix: 16))ULL"
        }
    }

    /// IPv4 bounds read better as dotted quads.
    private func comment(_ value: UInt64, _ field: MatchField) -> String {
        guard plan.family == .v4, field == .srcLo || field == .dstLo, value <= UInt64(UInt32.max) else { return "" }
        let octets = [24, 16, 8, 0].map { String((value >> UInt64($0)) & 0xff) }
        return " /* \(octets.joined(separator: ".")) */"
    }
}
