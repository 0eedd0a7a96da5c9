import Foundation
import VtapDiagnostics
import VtapMetrics
import VtapOutputs
import VtapRuleModel
import VtapRuntime
import VtapSystem

/// Turns each interval's totals into a report and writes it where the user
/// asked: tables or JSON lines on stdout, and a log file.
final class ReportWriter: MeasurementObserver {
    let manifest: Manifest
    let bits: Bool
    let json: Bool
    /// `--flows`: flows per rule in each report.
    let flowLimit: Int
    var interfaces: [String] = []
    /// LATENCY's histograms for the summary, when the run has them.
    var stackLatency: (() throws -> [StackLatency])?
    var stackDrops: (() throws -> [StackDrop])?
    private let logFile: LogFile?
    /// Interval lines the log file could not take since it last could.
    private var logLinesLost = 0
    private var logLinesLostInAll = 0
    private var console = ConsoleReport()
    private let lines = JSONLinesWriter(FileHandle.standardOutput)

    init(manifest: Manifest, options: IntervalOptions, logDirectory: String?, logFormat: LogFormatOption) throws {
        self.manifest = manifest
        bits = options.bits
        json = options.json
        flowLimit = options.flows
        if let logDirectory {
            do {
                logFile = try LogFile(
                    directory: logDirectory, format: logFormat == .seed ? .seed : .csv, rules: manifest.rules,
                    throughputUnit: options.bits ? .bitsPerSecond : .bytesPerSecond)
            } catch {
                throw RuntimeError.io("\(error)")
            }
        } else {
            logFile = nil
        }
    }

    func measured(_ interval: IntervalEdges) throws {
        let context = ReportContext(
            time: interval.end, interfaces: interfaces, bits: bits, manifest: manifest, flowLimit: flowLimit)
        var report =
            interval.isSummary
            ? ReportBuilder.summary(totals: interval.to, seconds: interval.seconds, context: context)
            : ReportBuilder.interval(
                from: interval.from, to: interval.to, seconds: interval.seconds, jitterFrom: interval.jitterFrom,
                jitterTo: interval.jitterTo, context: context)
        if interval.isSummary, let stackLatency { report.stackLatency = try stackLatency() }
        if interval.isSummary, let stackDrops { report.stackDrops = try stackDrops() }
        writeLog(report)
        if report.isSummary { Self.noteEvictions(report.flowTable, manifest: manifest) }
        // A closed or full stdout ends the run with exit 4, detached, instead
        // of a trap inside FileHandle.write(_: Data).
        do {
            if json {
                try lines.write(report)
            } else {
                try StandardStreams.writeOutput(console.render(report) + "\n")
            }
        } catch {
            throw RuntimeError.io("cannot write standard output: \(SystemError.describe(error))")
        }
    }

    /// The kernel's LRU tables evict without a word; the summary says what
    /// they evicted, since an evicted flow's sequence tracking starts afresh.
    static func noteEvictions(_ fill: FlowTableFill, manifest: Manifest) {
        let size = manifest.settings.flowTableSize
        if fill.evicted > 0 {
            LiveSession.notice(
                "warning: \(fill.evicted) flows' sequence state evicted from the flow table (FLOW_TABLE_SIZE "
                    + "\(size)); each started afresh at its next packet")
        }
        if fill.viewEvicted > 0 {
            LiveSession.notice(
                "warning: \(fill.viewEvicted) flows evicted from the per-flow view (FLOW_TABLE_SIZE \(size)); "
                    + "their counts are lost, the rules' are whole")
        }
    }

    /// A log file that cannot be written (the disk full, the file system
    /// gone read-only, the file or its directory removed and not to be
    /// made again) does not stop the measurement, the console or the
    /// exporter: one warning when it starts failing, one when it takes
    /// lines again, and the count of lines lost in the summary. The lines
    /// already in it stay whole.
    private func writeLog(_ report: IntervalReport) {
        guard let logFile else { return }
        do {
            if try logFile.write(report) {
                LiveSession.notice(
                    "warning: \(logFile.path) was removed; made again, header first, from this interval on")
            }
            if logLinesLost > 0 {
                LiveSession.notice(
                    "the log file takes lines again; \(logLinesLost) interval line\(logLinesLost == 1 ? "" : "s") lost")
                logLinesLost = 0
            }
        } catch {
            if logLinesLost == 0 {
                LiveSession.notice("warning: \(error); measuring goes on, its lines are lost until it can be written")
            }
            logLinesLost += 1
            logLinesLostInAll += 1
        }
        if report.isSummary, logLinesLostInAll > 0 {
            LiveSession.notice("warning: \(logLinesLostInAll) interval lines could not be written to \(logFile.path)")
        }
    }
}
