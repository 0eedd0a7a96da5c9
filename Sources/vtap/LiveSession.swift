import Foundation
import VtapDiagnostics
import VtapExporter
import VtapMetrics
import VtapRuntime

/// What a live measurement tells whoever started it, once it is attached
/// and serving.
struct StartedSession {
    var interfaces: [String]
    /// Where the metrics are served, when they are.
    var metricsHost: String?
    var metricsPort: Int?
    /// Every program of the run, by kernel id.
    var programs: [(name: String, interface: String?, id: UInt32)] = []
}

/// `vtap run`: load, attach, serve metrics, report every interval, detach.
enum LiveSession {
    static func run(_ options: RunOptions, started: (StartedSession) throws -> Void = { _ in }) throws {
        let stop = StopRequest()
        let measurement = try MeasurementObject.load(options.object, compiler: options.compiler.vtapc)
        let manifest = measurement.manifest
        let exporter = try options.exporterConfiguration(manifest.settings)
        let writer = try ReportWriter(
            manifest: manifest, options: options.intervals,
            logDirectory: options.logDir ?? (manifest.settings.logData ? "." : nil), logFormat: options.logFormat)
        let qlog = try QlogSession(
            options.qlog, object: measurement,
            origin:
                "on \(ProcessInfo.processInfo.hostName) (\(options.interfaces.isEmpty ? "every interface" : options.interfaces.joined(separator: ", ")))"
        )
        // The event tap loads first: the packet program's instances write
        // qlog's segments into its ring buffer.
        let events = try EventSession(
            measurement, file: options.events, qlog: qlog, ipfix: options.ipfix,
            batchEnded: { qlog?.writeFinished(now: ReportTime.now().nanosecondsSinceEpoch) })
        defer { events?.finish() }
        let live = try LiveMeasurement(
            measurement, interfaces: options.interfaces, direction: options.direction,
            sharedMaps: events?.tap.sharedMaps ?? [:], flowView: options.intervals.flows > 0,
            attach: options.attach)
        writer.interfaces = live.interfaceNames
        if let tap = events?.tap {
            writer.stackLatency = { try tap.latency() }
            writer.stackDrops = { try tap.drops() }
        }
        let selfCost = ProgramCostReader(live, events: events?.tap, enabled: options.selfCost)
        if let why = selfCost.unavailable { notice("no self-cost figures: \(why)") }
        let totals = LiveReader(
            live,
            options: .init(
                reportSeconds: options.intervals.throughputInterval, jitterSeconds: options.intervals.jitterInterval,
                duration: options.duration))

        var session = StartedSession(interfaces: live.interfaceNames, programs: selfCost.identities)
        var server: MetricsServer?
        defer { server?.stop() }
        if let exporter {
            let metrics = MetricsServer(
                manifest: manifest, configuration: exporter, version: VtapVersion.current,
                read: {
                    try ExportSnapshot(
                        totals.current(), programs: selfCost.read(), events: events?.tap.totals(),
                        latency: events?.tap.latency() ?? [], drops: events?.tap.drops() ?? [],
                        kpis: events?.kpiTally())
                })
            do {
                session.metricsPort = try metrics.start()
            } catch {
                throw RuntimeError.listen("\(error)")
            }
            session.metricsHost = exporter.host
            server = metrics
            var bound = exporter
            bound.port = session.metricsPort ?? exporter.port
            notice("metrics at http://\(bound.listenText)/metrics")
        }
        try started(session)
        notice("attached to \(live.interfaceNames.joined(separator: ", "))")
        events?.start()
        try LiveRun.run(totals, observer: writer, stop: stop, notice: { notice($0) })
        try events?.stop()
        try qlog?.finish()
        SelfCost.report(selfCost)
    }

    static func notice(_ text: String) {
        StandardStreams.writeError("vtap: \(text)\n")
    }
}

extension ExportSnapshot {
    init(
        _ interfaces: [(interface: String, totals: InterfaceReading)], programs: [ProgramCost], events: EventTotals?,
        latency: [StackLatency], drops: [StackDrop], kpis: KPITally?
    ) {
        self.init(
            interfaces: interfaces.map {
                ExportedInterface(
                    name: $0.interface, totals: $0.totals.totals, jitterFrom: $0.totals.jitterFrom,
                    jitterTo: $0.totals.jitterTo)
            }, programs: programs, events: events, latency: latency, drops: drops, kpis: kpis)
    }
}

/// The run's own cost in the kernel, on stderr at the end.
enum SelfCost {
    static func report(_ reader: ProgramCostReader) {
        for cost in reader.read() {
            let place = cost.interface.map { " on \($0)" } ?? ""
            let each = cost.nanosecondsPerRun.map { "\(Int($0.rounded())) ns a run" } ?? "no run"
            LiveSession.notice("self-cost: \(cost.program)\(place): \(cost.runs) runs, \(each)")
        }
    }
}
