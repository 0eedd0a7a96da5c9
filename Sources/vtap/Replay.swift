import ArgumentParser
import Foundation
import VtapMetrics
import VtapRuntime

struct Replay: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run every packet of a pcap or pcapng capture through the object, offline.",
        discussion: """
            Each packet runs through the kernel with BPF_PROG_TEST_RUN, with its capture timestamp \
            and wire length; intervals are cut on capture time. The offline twin of `vtap run`: \
            the same packets give the same numbers.
            """)

    @Argument(help: "A vtapc object (its manifest beside it) or a rules file to compile first.")
    var object: String

    @Argument(help: "The capture: pcap or pcapng; Ethernet, raw IP or Linux cooked; - reads standard input.")
    var capture: String

    @OptionGroup var intervals: IntervalOptions

    @OptionGroup var compiler: CompilerOption

    @OptionGroup var qlog: QlogOptions

    @Option(
        help: ArgumentHelp(
            "Write the qlog traces from the client's side (the SYN's sender) or the server's.",
            discussion: "A capture does not say which way a packet went; a live run knows.", valueName: "side"))
    var qlogVantage: TCPConnectionTracker.CaptureVantage = .client

    func run() throws {
        do {
            let measurement = try MeasurementObject.load(object, compiler: compiler.vtapc)
            let writer = try ReportWriter(
                manifest: measurement.manifest, options: intervals, logDirectory: nil, logFormat: .csv)
            writer.interfaces = [capture]
            let traces = try QlogSession(
                qlog, object: measurement, origin: "replay of \((capture as NSString).lastPathComponent)",
                captureVantage: qlogVantage)
            let result = try ReplayRun.run(
                measurement, capture: capture, reportSeconds: intervals.throughputInterval,
                jitterSeconds: intervals.jitterInterval, flowView: intervals.flows > 0, observer: writer,
                segments: traces.map { $0.add },
                notice: { LiveSession.notice($0) })
            try traces?.finish()
            if !intervals.json {
                print("replayed \(result.packets) packets from \(capture) through \(object)")
            }
        } catch {
            throw Failure.exit(error)
        }
    }
}
