import Foundation
import Synchronization
import VtapDiagnostics
import VtapMetrics
import VtapOutputs
import VtapRuleModel
import VtapRuntime
import VtapSystem

/// The event side of `vtap run`: the tap when the object has event
/// programs, its lines to `--events FILE`, and the counts at the end.
final class EventSession: Sendable {
    let tap: EventTap
    private let failure = Failure()
    private let labels: [String]
    private let log: EventLog?
    private let json: EventJSON
    /// KPIS' exporter, when the object has KPIs and a collector is named.
    private let ipfix: IPFIXExporter?
    private let kpis = KPIBuffer()
    private let hasKPIs: Bool
    private let prometheusKPIs: Bool

    /// The first write error, reported when the run stops: the tap's thread
    /// cannot throw into the measuring loop.
    private final class Failure: Sendable {
        let error = Mutex<RuntimeError?>(nil)
    }

    /// KPI records waiting for the batch's end, and what was seen so far.
    private final class KPIBuffer: Sendable {
        let pending = Mutex<[ConnectionKPIs]>([])
        let records = Mutex(0)
        let tally = Mutex(KPITally())
    }

    /// The closed connections' KPIs per rule so far, for Prometheus; nil
    /// when the object has no KPIS or its PROMETHEUS is false.
    func kpiTally() -> KPITally? {
        guard hasKPIs, prometheusKPIs else { return nil }
        return kpis.tally.withLock { $0 }
    }

    /// Nil for an object without EVENTS; `--events` with one is an error.
    /// `qlog` gets qlog's TCP segments (objects built with QLOG) and the
    /// connection level's state changes; `extra` runs after each batch.
    init?(
        _ object: MeasurementObject, file: String?, qlog: QlogSession? = nil, ipfix collectorFlag: String? = nil,
        batchEnded extra: @escaping @Sendable () -> Void = {}
    ) throws {
        guard EventTap.hasEvents(object) else {
            if file != nil {
                throw RuntimeError.badInput(
                    "--events: \(object.origin) has no event programs; add an EVENTS section to its rules file")
            }
            if collectorFlag != nil {
                throw RuntimeError.badInput(
                    "--ipfix: \(object.origin) has no KPI programs; add a KPIS section to its rules file")
            }
            return nil
        }
        let kpiSettings = object.manifest.settings.kpis
        if let kpiSettings { kpis.tally.withLock { $0 = KPITally(kpiSettings.chosen) } }
        hasKPIs = EventTap.hasKPIs(object)
        prometheusKPIs = kpiSettings?.prometheus ?? false
        if collectorFlag != nil, kpiSettings == nil || !hasKPIs {
            throw RuntimeError.badInput(
                "--ipfix: \(object.origin) has no KPI programs; add a KPIS section to its rules file")
        }
        let exporter: IPFIXExporter?
        if let kpiSettings, let text = collectorFlag ?? kpiSettings.collector {
            guard let collector = CollectorAddress(text) else {
                throw RuntimeError.badInput("IPFIX collector \"\(text)\" is not HOST:PORT")
            }
            do {
                exporter = try IPFIXExporter(
                    collector: collector, transport: kpiSettings.transport,
                    observationDomain: kpiSettings.observationDomain, kpis: KPIRecords(kpiSettings.chosen))
            } catch {
                throw RuntimeError.io("IPFIX collector \(collector): \(error)")
            }
        } else {
            exporter = nil
        }
        ipfix = exporter
        let log: EventLog?
        do {
            log = try file.map { try EventLog(path: $0) }
        } catch {
            throw RuntimeError.io("\(error)")
        }
        self.log = log
        labels = object.manifest.rules.map(\.label)
        // One clock offset for the events file, qlog's segments and its state changes.
        let epochOffset = MonotonicClock.epochOffset()
        let json = EventJSON(manifest: object.manifest, monotonicToEpochNanoseconds: epochOffset)
        self.json = json
        let failure = failure
        let kpis = kpis
        tap = try EventTap(
            object,
            sink: { event in
                qlog?.add(event, epochOffset: epochOffset)
                guard let log else { return }
                do {
                    try log.append(json.line(event))
                } catch {
                    failure.error.withLock { $0 = $0 ?? .io("\(error)") }
                }
            },
            segments: { segment in qlog?.add(segment) },
            kpis: { kpi in kpis.pending.withLock { $0.append(kpi) } },
            batchEnded: {
                // The batch's KPI records: one IPFIX export, then the file.
                let records = kpis.pending.withLock { records in
                    defer { records = [] }
                    return records
                }
                exporter?.export(records)
                kpis.records.withLock { $0 += records.count }
                kpis.tally.withLock { tally in records.forEach { tally.add($0) } }
                for record in records {
                    do {
                        try log?.append(json.kpiLine(record))
                    } catch {
                        failure.error.withLock { $0 = $0 ?? .io("\(error)") }
                    }
                }
                do {
                    try log?.flush()
                } catch {
                    failure.error.withLock { $0 = $0 ?? .io("\(error)") }
                }
                extra()
            }, epochOffset: epochOffset)
    }

    func start() { tap.start() }

    /// Reads what is left and prints the counts on stderr.
    func stop() throws {
        let totals = try tap.stop()
        if let error = failure.error.withLock({ $0 }) { throw error }
        let kinds = EventKind.allCases.compactMap { kind in totals.received[kind].map { "\(kind.name) \($0)" } }
        StandardStreams.writeError(
            "vtap: events: \(totals.receivedTotal) received (\(kinds.isEmpty ? "none" : kinds.joined(separator: ", "))); "
                + "\(totals.lost) lost (ring buffer full), \(totals.capped) over MAX_EVENTS_PER_SECOND\n")
        if hasKPIs {
            let records = kpis.records.withLock { $0 }
            let closed = kpis.tally.withLock { $0.closedConnections }
            var line = "vtap: kpis: \(records) records (\(closed) connections closed)"
            if let ipfix {
                ipfix.finish()
                line +=
                    "; IPFIX to \(ipfix.collector) over \(ipfix.transport.rawValue): \(ipfix.recordsSent) records "
                    + "in \(ipfix.messagesSent) messages, \(ipfix.recordsLost) lost"
                    + (ipfix.lastError.map { " (last error: \($0))" } ?? "")
            }
            StandardStreams.writeError(line + "\n")
        }
        let now = ReportTime.now()
        for histogram in try tap.latency() {
            StandardStreams.writeError("vtap: latency: \(LatencyText.line(histogram, labels: labels))\n")
            do {
                try log?.append(json.latencyLine(histogram, at: now))
            } catch {
                throw RuntimeError.io("\(error)")
            }
        }
        for drop in try tap.drops() {
            let rule = labels.indices.contains(drop.rule) ? labels[drop.rule] : "\(drop.rule)"
            StandardStreams.writeError(
                "vtap: latency: rule \(rule) \(drop.stage.name): \(drop.packets) dropped, \(drop.reasonName)\n")
            do {
                try log?.append(json.dropLine(drop, at: now))
            } catch {
                throw RuntimeError.io("\(error)")
            }
        }
        do {
            try log?.flush()
        } catch {
            throw RuntimeError.io("\(error)")
        }
    }

    /// Detaches on any way out (an error in the measuring loop included).
    func finish() { _ = try? tap.stop() }
}

/// A latency histogram in one line: its samples and the bounds its
/// percentiles are under (log2 buckets: each within a factor of two).
enum LatencyText {
    static func line(_ histogram: StackLatency, labels: [String]) -> String {
        let rule = labels.indices.contains(histogram.rule) ? labels[histogram.rule] : "\(histogram.rule)"
        let quantiles = StackLatency.reportedQuantiles.map { name, q in
            "\(name) < \(duration(histogram.upperBound(quantile: q)))"
        }
        return "rule \(rule) \(histogram.stage.name): \(histogram.samples) samples, "
            + (quantiles + ["max < \(duration(histogram.maximumBound))"]).joined(separator: ", ")
    }

    static func duration(_ nanoseconds: UInt64?) -> String {
        guard let nanoseconds else { return "-" }
        let value = Double(nanoseconds)
        if value < 1e3 { return "\(nanoseconds) ns" }
        if value < 1e6 { return String(format: "%.1f µs", value / 1e3) }
        if value < 1e9 { return String(format: "%.1f ms", value / 1e6) }
        return String(format: "%.1f s", value / 1e9)
    }
}
