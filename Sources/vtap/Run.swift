import ArgumentParser
import Foundation
import VtapOutputs
import VtapRuleModel
import VtapRuntime

struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Attach to interfaces and measure until interrupted (or for --duration).",
        discussion: """
            One instance of the program is loaded per interface and attached to an AF_PACKET \
            socket there; it returns 0 for every packet, so nothing is copied to user space. \
            SIGINT or SIGTERM detaches, reports the last partial interval and a summary, and exits 0.
            """)

    @Argument(help: "A vtapc object (its manifest beside it) or a rules file to compile first.")
    var object: String

    @Option(name: [.customShort("i"), .customLong("interface")], help: "An interface to attach to (repeatable); default: every interface that is up.")
    var interfaces: [String] = []

    @OptionGroup var intervals: IntervalOptions

    @Option(help: "Stop by itself after this many seconds.")
    var duration: Double?

    @Option(help: "Also write one line per interval to a log file in this directory.")
    var logDir: String?

    @Option(help: "Log file format: csv or seed.")
    var logFormat: LogFormatOption = .csv

    @Option(help: "Count received packets (in), sent (out) or both; default: the rules file's DIRECTION.")
    var direction: Settings.Direction?

    func validate() throws {
        try intervals.validate()
        if let duration, duration <= 0 { throw ValidationError("--duration must be positive") }
    }

    func run() throws {
        do {
            let stop = StopRequest()
            let measurement = try MeasurementObject.load(object)
            let settings = measurement.manifest.settings
            let writer = try ReportWriter(
                manifest: measurement.manifest, options: intervals, logDirectory: logDir ?? (settings.logData ? "." : nil),
                logFormat: logFormat)
            let live = try LiveMeasurement(measurement, interfaces: interfaces, direction: direction)
            writer.interfaces = live.interfaceNames
            FileHandle.standardError.write(Data("vtap: attached to \(live.interfaceNames.joined(separator: ", "))\n".utf8))
            try LiveRun.run(
                live,
                options: .init(
                    reportSeconds: intervals.throughputInterval, jitterSeconds: intervals.jitterInterval,
                    duration: duration),
                observer: writer, stop: stop)
        } catch {
            throw Failure.exit(error)
        }
    }
}

extension Settings.Direction: ExpressibleByArgument {}
