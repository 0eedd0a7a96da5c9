import VtapRuleModel

/// Everything one interval of a run reports — or, with `isSummary`, the
/// whole run. Every output (console, JSON lines, log files) renders this.
public struct IntervalReport: Sendable, Equatable {
    public struct Rule: Sendable, Equatable {
        /// Position in RULES, from 0.
        public var index: Int
        /// Position in RULES, from 1, as diagnostics print it.
        public var number: Int
        /// The rule's own name, or nil.
        public var name: String?
        /// Name or number: the label in every output.
        public var label: String
        /// The rule as written, for people.
        public var source: String
        public var metrics: ScopeMetrics

        public init(index: Int, number: Int, name: String?, label: String, source: String, metrics: ScopeMetrics) {
            self.index = index
            self.number = number
            self.name = name
            self.label = label
            self.source = source
            self.metrics = metrics
        }
    }

    /// One flow of the per-flow view, under its rule.
    public struct Flow: Sendable, Equatable {
        public var key: FlowKey
        /// The rule's label, as `Rule.label`.
        public var rule: String
        public var metrics: ScopeMetrics

        public init(key: FlowKey, rule: String, metrics: ScopeMetrics) {
            self.key = key
            self.rule = rule
            self.metrics = metrics
        }
    }

    /// End of the interval (of the run, for the summary).
    public var time: ReportTime
    public var interfaces: [String]
    /// The interval's length in seconds; for the summary, the whole run's.
    public var intervalSeconds: Double
    public var throughputUnit: ThroughputUnit
    /// By `ProtocolClass.rawValue`: tcp, udp, icmp (with ICMPv6), other.
    public var protocols: [ScopeMetrics]
    /// In rule order.
    public var rules: [Rule]
    /// Totals since the start.
    public var unmatched: Tally
    /// Totals since the start.
    public var malformed: Tally
    /// True only for the run's final summary.
    public var isSummary: Bool
    /// Which column groups the console shows (DISPLAY). Machine outputs
    /// always carry every field.
    public var display: Settings.Display
    /// LATENCY's histograms (the summary of a live run with LATENCY only).
    public var stackLatency: [StackLatency] = []
    /// LATENCY's drops, in the summary.
    public var stackDrops: [StackDrop] = []
    /// Flows per rule asked for (`--flows N`); 0: no per-flow view.
    public var flowLimit = 0
    /// Each rule's `flowLimit` flows with the most bytes since the start,
    /// in rule order, then by bytes.
    public var flows: [Flow] = []
    /// The flow tables' fill and evictions, since the start.
    public var flowTable = FlowTableFill()

    public init(
        time: ReportTime, interfaces: [String], intervalSeconds: Double, throughputUnit: ThroughputUnit,
        protocols: [ScopeMetrics], rules: [Rule], unmatched: Tally, malformed: Tally, isSummary: Bool,
        display: Settings.Display
    ) {
        self.time = time
        self.interfaces = interfaces
        self.intervalSeconds = intervalSeconds
        self.throughputUnit = throughputUnit
        self.protocols = protocols
        self.rules = rules
        self.unmatched = unmatched
        self.malformed = malformed
        self.isSummary = isSummary
        self.display = display
    }

    public func metrics(for protocolClass: ProtocolClass) -> ScopeMetrics {
        protocols[protocolClass.rawValue]
    }
}

/// What a report needs besides the counters.
public struct ReportContext: Sendable {
    /// End of the interval: wall-clock time live, the capture's time in replay.
    public var time: ReportTime
    public var interfaces: [String]
    public var throughputUnit: ThroughputUnit
    /// The manifest's rules, in order.
    public var rules: [Manifest.RuleEntry]
    public var display: Settings.Display
    /// Flows per rule in the report (`--flows N`); 0 for none.
    public var flowLimit = 0

    public init(
        time: ReportTime, interfaces: [String], throughputUnit: ThroughputUnit, rules: [Manifest.RuleEntry],
        display: Settings.Display
    ) {
        self.time = time
        self.interfaces = interfaces
        self.throughputUnit = throughputUnit
        self.rules = rules
        self.display = display
    }

    /// Bits or bytes, the rules and DISPLAY from a manifest.
    public init(time: ReportTime, interfaces: [String], bits: Bool, manifest: Manifest, flowLimit: Int = 0) {
        self.init(
            time: time, interfaces: interfaces, throughputUnit: bits ? .bitsPerSecond : .bytesPerSecond,
            rules: manifest.rules, display: manifest.settings.display)
        self.flowLimit = flowLimit
    }
}

public enum ReportBuilder {
    /// One interval: rates between `earlier` and `later` over `seconds`,
    /// jitter between `jitterFrom` and `jitterTo` (the same totals by default).
    public static func interval(
        from earlier: MeasurementTotals, to later: MeasurementTotals, seconds: Double,
        jitterFrom: MeasurementTotals? = nil, jitterTo: MeasurementTotals? = nil, context: ReportContext
    ) -> IntervalReport {
        build(
            from: earlier, to: later, seconds: seconds, jitterFrom: jitterFrom ?? earlier, jitterTo: jitterTo ?? later,
            context: context, isSummary: false)
    }

    /// The whole run: rates and jitter from the start (all zero) to `totals`.
    public static func summary(totals: MeasurementTotals, seconds: Double, context: ReportContext) -> IntervalReport {
        let start = MeasurementTotals(ruleCount: totals.rules.count)
        return build(
            from: start, to: totals, seconds: seconds, jitterFrom: start, jitterTo: totals, context: context,
            isSummary: true)
    }

    private static func build(
        from earlier: MeasurementTotals, to later: MeasurementTotals, seconds: Double,
        jitterFrom: MeasurementTotals, jitterTo: MeasurementTotals, context: ReportContext, isSummary: Bool
    ) -> IntervalReport {
        let protocols = ProtocolClass.allCases.map { protocolClass in
            ScopeMetrics(
                from: earlier.protocolClass(protocolClass), to: later.protocolClass(protocolClass), seconds: seconds,
                jitterFrom: jitterFrom.protocolClass(protocolClass), jitterTo: jitterTo.protocolClass(protocolClass),
                unit: context.throughputUnit)
        }
        let rules = context.rules.map { rule in
            IntervalReport.Rule(
                index: rule.index, number: rule.number, name: rule.name, label: rule.label, source: rule.source,
                metrics: ScopeMetrics(
                    from: earlier.rule(rule.index), to: later.rule(rule.index), seconds: seconds,
                    jitterFrom: jitterFrom.rule(rule.index), jitterTo: jitterTo.rule(rule.index),
                    unit: context.throughputUnit))
        }
        var report = IntervalReport(
            time: context.time, interfaces: context.interfaces, intervalSeconds: seconds,
            throughputUnit: context.throughputUnit, protocols: protocols, rules: rules, unmatched: later.unmatched,
            malformed: later.malformed, isSummary: isSummary, display: context.display)
        report.flowTable = later.flowTable
        report.flowLimit = context.flowLimit
        if context.flowLimit > 0 {
            report.flows = flows(
                from: earlier, to: later, seconds: seconds, jitterFrom: jitterFrom, jitterTo: jitterTo,
                context: context)
        }
        return report
    }

    /// Each rule's `flowLimit` flows with the most bytes since the start.
    private static func flows(
        from earlier: MeasurementTotals, to later: MeasurementTotals, seconds: Double,
        jitterFrom: MeasurementTotals, jitterTo: MeasurementTotals, context: ReportContext
    ) -> [IntervalReport.Flow] {
        let byRule = Dictionary(grouping: later.flows, by: \.key.rule)
        return context.rules.flatMap { rule -> [IntervalReport.Flow] in
            let top = (byRule[rule.index] ?? [])
                .sorted { ($0.value.bytes, $1.key) > ($1.value.bytes, $0.key) }
                .prefix(context.flowLimit)
            return top.map { key, totals in
                IntervalReport.Flow(
                    key: key, rule: rule.label,
                    metrics: ScopeMetrics(
                        from: earlier.flows[key] ?? ScopeTotals(), to: totals, seconds: seconds,
                        jitterFrom: jitterFrom.flows[key] ?? ScopeTotals(),
                        jitterTo: jitterTo.flows[key] ?? ScopeTotals(),
                        unit: context.throughputUnit))
            }
        }
    }
}
