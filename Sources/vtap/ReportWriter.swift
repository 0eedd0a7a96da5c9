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
    var interfaces: [String] = []
    /// LATENCY's histograms for the summary, when the run has them.
    var stackLatency: (() throws -> [StackLatency])?
    var stackDrops: (() throws -> [StackDrop])?
    private let logFile: LogFile?
    private var console = ConsoleReport()
    private let lines = JSONLinesWriter(FileHandle.standardOutput)

    init(manifest: Manifest, options: IntervalOptions, logDirectory: String?, logFormat: LogFormatOption) throws {
        self.manifest = manifest
        bits = options.bits
        json = options.json
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
        let context = ReportContext(time: interval.end, interfaces: interfaces, bits: bits, manifest: manifest)
        var report =
            interval.isSummary
            ? ReportBuilder.summary(totals: interval.to, seconds: interval.seconds, context: context)
            : ReportBuilder.interval(
                from: interval.from, to: interval.to, seconds: interval.seconds, jitterFrom: interval.jitterFrom,
                jitterTo: interval.jitterTo, context: context)
        if interval.isSummary, let stackLatency { report.stackLatency = try stackLatency() }
        if interval.isSummary, let stackDrops { report.stackDrops = try stackDrops() }
        try logFile?.write(report)
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
}
