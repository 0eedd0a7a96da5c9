import VtapRuleModel

/// The whole ruleset as decision DAGs: per address family, a few
/// partitions, each a `DecisionPlan` over some of the rules. A packet walks
/// every partition of its family and takes the lowest rule found: the
/// first match, as the rules file orders them.
///
/// Partitions come from the build itself, not from a guess about rule
/// shapes: the first partition takes every rule, and a rule that would be
/// copied into more than `Limits.placementLimits[0]` pieces moves to the next
/// (see `PlanBuilder`). On ClassBench's firewall sets that separates rules
/// wide in the source from rules wide in the destination, the way EffiCuts'
/// categories do, but without fixed thresholds.
public struct Classifier: Sendable {
    /// Every family's partitions: IPv4's in order, then IPv6's.
    public let plans: [DecisionPlan]

    public struct Limits: Sendable, Equatable {
        /// Partitions per family: each costs one walk per packet.
        public var maxPartitions: Int
        /// Copies of one rule part allowed in a partition before it moves
        /// on, tried in turn: the first while the partition stays within
        /// `quickWorkPerCube`, the smaller ones when it does not.
        public var placementLimits: [Int]
        /// Larger limits, tried when a partition would keep no rule at all
        /// (every part wider than the limit): better a bigger partition
        /// than one that only passes everything on.
        public var progressLimits: [Int]
        /// A partition's bounds: at most this many per rule part it was
        /// given, plus `allowance`. Keeps the table linear in the rules.
        public var boundsPerCube: Int
        /// Candidate-list entries one partition build may create per rule
        /// part of the family, plus `allowance`: bounds vtapc's time and
        /// memory. The first limit gets `quickWorkPerCube`, so a ruleset
        /// that needs the stricter ones finds out early.
        public var workPerCube: Int
        public var quickWorkPerCube: Int
        public var allowance: Int
        /// The whole table: at most this many bytes per rule, plus
        /// `tableAllowance`.
        public var tableBytesPerRule: Int
        public var tableAllowance: Int
        /// A remainder of at most this many rule parts, or this fraction of
        /// the family's, is built as the last partition if it fits.
        public var tailCubes = 256
        public var tailFraction = 8
        public var tailBoundsPerCube = 2
        /// Rules in the first 1/`earlyDivisor` of the file may be copied
        /// `earlyFactor` times as often before they move on.
        public var earlyDivisor = 2
        public var earlyFactor = 4

        /// No last partition for a small remainder: every part moves on as
        /// the limits say (tests of the moving).
        public func withoutTail() -> Limits {
            var limits = self
            limits.tailCubes = 0
            limits.tailFraction = .max
            return limits
        }

        public init(
            maxPartitions: Int = 32, placementLimits: [Int] = [16, 2, 1], progressLimits: [Int] = [64, 256],
            boundsPerCube: Int = 32, workPerCube: Int = 256, quickWorkPerCube: Int = 32, allowance: Int = 1 << 16,
            tableBytesPerRule: Int = 1024, tableAllowance: Int = 1 << 20
        ) {
            self.maxPartitions = maxPartitions
            self.placementLimits = placementLimits
            self.progressLimits = progressLimits
            self.boundsPerCube = boundsPerCube
            self.workPerCube = workPerCube
            self.quickWorkPerCube = quickWorkPerCube
            self.allowance = allowance
            self.tableBytesPerRule = tableBytesPerRule
            self.tableAllowance = tableAllowance
        }

        public static let standard = Limits()
    }

    /// A ruleset the classifier cannot hold within its limits.
    public enum CapacityExceeded: Error, Sendable, Equatable, CustomStringConvertible {
        /// After `partitions` partitions, `left` of the family's `parts`
        /// rule parts still did not fit the last one's `bounds` bounds.
        case partitions(family: AddressFamily, parts: Int, left: Int, partitions: Int, bounds: Int)
        /// The table would take `bytes`, more than `budget` for `rules` rules.
        case table(bytes: Int, budget: Int, rules: Int)

        public var description: String {
            switch self {
            case .partitions(let family, let parts, let left, let partitions, let bounds):
                "\(left) of the \(parts) \(family == .v4 ? "IPv4" : "IPv6") rule parts do not fit \(partitions) "
                    + "partition\(partitions == 1 ? "" : "s") (the last may hold \(bounds) bounds)"
            case .table(let bytes, let budget, let rules):
                "the decision table needs \(bytes) bytes for \(rules) rules, more than its \(budget)"
            }
        }
    }

    public init(plans: [DecisionPlan]) {
        self.plans = plans
    }

    public static func build(_ ruleset: Ruleset, limits: Limits = .standard) throws(CapacityExceeded) -> Classifier {
        var plans: [DecisionPlan] = []
        for family in AddressFamily.allCases {
            plans += try build(CubeBuilder.cubes(of: ruleset, family: family), family: family, limits: limits)
        }
        return Classifier(plans: plans)
    }

    static func build(_ cubes: [Cube], family: AddressFamily, limits: Limits) throws(CapacityExceeded) -> [DecisionPlan]
    {
        var plans: [DecisionPlan] = []
        var input = cubes.indices.map(Int32.init)
        let partitions = max(1, limits.maxPartitions)
        let workBudget = limits.workPerCube * cubes.count + limits.allowance
        let lastRule = cubes.map(\.rule).max() ?? 0
        let earlyRules = Int32((Int(lastRule) + 1) / max(1, limits.earlyDivisor))
        for partition in 0..<partitions {
            if input.isEmpty && partition > 0 { break }
            let boundBudget = limits.boundsPerCube * input.count + limits.allowance
            let isLast = partition == partitions - 1
            // The last partition moves nothing on. Others try the usual
            // limit, then stricter ones while over budget; a partition that
            // would keep nothing tries looser ones.
            func attempt(
                _ limit: Int?, quick: Bool = false, bounds: Int? = nil, root: MatchField? = nil,
                countsClosing: Bool = false
            ) -> Result<(PlanBuilder, DecisionPlan.NodeID), PlanBuilder.OverBudget> {
                var builder = PlanBuilder(
                    family: family, cubes: cubes, placementLimit: limit,
                    workBudget: quick ? limits.quickWorkPerCube * cubes.count + limits.allowance : workBudget,
                    boundBudget: bounds ?? boundBudget, earlyRules: earlyRules, earlyFactor: limits.earlyFactor)
                builder.rootField = root
                builder.countsClosing = countsClosing
                do {
                    let root = try builder.build(candidates: input, resolved: 0)
                    return .success((builder, root))
                } catch {
                    return .failure(error)
                }
            }
            func kept(_ built: (PlanBuilder, DecisionPlan.NodeID)?) -> Int {
                built.map { input.count - $0.0.moved.count } ?? 0
            }
            var chosen: (PlanBuilder, DecisionPlan.NodeID)?
            // A small remainder goes into one last partition if that stays
            // small beside the whole family (`tailBoundsPerCube` bounds per
            // rule part of the family): another walk per packet for a
            // handful of rules costs more than a few copies.
            if !isLast, input.count <= max(limits.tailCubes, cubes.count / limits.tailFraction),
                case .success(let built) = attempt(nil, bounds: limits.tailBoundsPerCube * cubes.count + 256)
            {
                chosen = built
            }
            for (index, limit) in (isLast ? [nil] : limits.placementLimits.map({ Optional($0) })).enumerated()
            where chosen == nil {
                if case .success(let built) = attempt(limit, quick: !isLast && index == 0) {
                    chosen = built
                    break
                }
            }
            // A partition that would keep no rule at all (every part wider
            // than the limit) tries looser limits, within the same budget:
            // better a bigger partition than one that passes everything on.
            // At worst it keeps everything, as the last partition does, if
            // that fits the budget.
            if !isLast {
                for limit in limits.progressLimits.map({ Optional($0) }) + [nil] where kept(chosen) == 0 {
                    guard case .success(let built) = attempt(limit) else { break }
                    chosen = built
                }
            }
            // A partition that keeps less than half of its rule parts would
            // make many partitions: rules of a few shapes, each wide where
            // the others are cut first (mixed-families: 29 IPv6 partitions
            // at 1,000 rules, over capacity at 20,000). Then the exact field
            // costs, and each field at the root, are tried; the build that
            // keeps the most parts wins (mixed-families: 3 partitions at
            // 20,000 rules). ClassBench's partitions keep more, and skip this.
            if !isLast, kept(chosen) * 2 < input.count, let limit = limits.placementLimits.first {
                for root in [nil] + MatchField.allCases.map(Optional.some) {
                    if case .success(let built) = attempt(limit, quick: true, root: root, countsClosing: true),
                        kept(built) > kept(chosen)
                    {
                        chosen = built
                    }
                }
            }
            guard let (builder, root) = chosen, kept(chosen) > 0 || input.isEmpty else {
                throw .partitions(
                    family: family, parts: cubes.count, left: input.count, partitions: partition + 1,
                    bounds: boundBudget)
            }
            let moved = Set(builder.moved)
            let home = input.filter { !moved.contains($0) }
            let reachable = Set(builder.leading.filter { !moved.contains($0) }.map { cubes[Int($0)].rule })
            plans.append(
                DecisionPlan(
                    family: family, partition: partition, nodes: builder.nodes, root: root,
                    homeRules: Set(home.map { cubes[Int($0)].rule }).count, reachableRules: reachable,
                    work: builder.work))
            input = builder.moved.sorted()
            if input.isEmpty { break }
            if isLast {
                throw .partitions(
                    family: family, parts: cubes.count, left: input.count, partitions: partition + 1,
                    bounds: boundBudget)
            }
        }
        return plans
    }

    /// The first rule matching `key` among `family`'s partitions.
    public func evaluate(_ key: MatchKey, family: AddressFamily) -> Int32? {
        var best: Int32?
        for plan in plans where plan.family == family {
            if let rule = plan.evaluate(key), rule < (best ?? .max) { best = rule }
        }
        return best
    }

    /// Rules no packet can reach: earlier rules of the partitions that hold
    /// them whole cover every packet they match.
    public func unreachableRules(of ruleset: Ruleset) -> [Int] {
        let reachable = plans.reduce(into: Set<Int32>()) { $0.formUnion($1.reachableRules) }
        return ruleset.rules.map(\.index).filter { !reachable.contains(Int32($0)) }
    }

    public func partitions(_ family: AddressFamily) -> [DecisionPlan] {
        plans.filter { $0.family == family }
    }
}
