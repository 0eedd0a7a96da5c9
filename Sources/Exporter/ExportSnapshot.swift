import VtapMetrics

/// What one interface's instance had counted when the exporter asked.
public struct ExportedInterface: Sendable {
    public var name: String
    /// Totals since the start, for this interface alone.
    public var totals: MeasurementTotals
    /// The last completed jitter window of this interface (equal when none completed yet).
    public var jitterFrom: MeasurementTotals
    public var jitterTo: MeasurementTotals

    public init(name: String, totals: MeasurementTotals, jitterFrom: MeasurementTotals, jitterTo: MeasurementTotals) {
        self.name = name
        self.totals = totals
        self.jitterFrom = jitterFrom
        self.jitterTo = jitterTo
    }
}

/// Everything one scrape exports: the interfaces, each on its own.
public struct ExportSnapshot: Sendable {
    public var interfaces: [ExportedInterface]
    /// The run's programs, with the kernel's run-time statistics.
    public var programs: [ProgramCost]
    /// The event programs' counts; nil for an object without EVENTS.
    public var events: EventTotals?
    /// LATENCY's histograms with a sample, and the rules' labels.
    public var latency: [StackLatency]
    /// LATENCY's drops by rule, stage and kernel reason.
    public var drops: [StackDrop]
    /// KPIS' closed connections per rule; nil without KPIS or with
    /// PROMETHEUS false.
    public var kpis: KPITally?

    public init(
        interfaces: [ExportedInterface], programs: [ProgramCost] = [], events: EventTotals? = nil,
        latency: [StackLatency] = [], drops: [StackDrop] = [], kpis: KPITally? = nil
    ) {
        self.drops = drops
        self.kpis = kpis
        self.interfaces = interfaces
        self.programs = programs
        self.events = events
        self.latency = latency
    }
}
