import ArgumentParser
import VtapExporter
import VtapRuleModel
import VtapRuntime

/// Everything `vtap run` takes; `vtap start` takes the same.
struct RunOptions: ParsableArguments {
    @Argument(help: "A vtapc object (its manifest beside it) or a rules file to compile first.")
    var object: String

    @Option(
        name: [.customShort("i"), .customLong("interface")],
        help: "An interface to attach to (repeatable); default: every interface that is up.")
    var interfaces: [String] = []

    @OptionGroup var intervals: IntervalOptions

    @OptionGroup var compiler: CompilerOption

    @Option(parsing: .unconditional, help: "Stop by itself after this many seconds.")
    var duration: Double?

    @Option(
        help:
            "Also write one line per interval to a log file in this directory (LOG_DATA in the rules file: the current directory)."
    )
    var logDir: String?

    @Option(help: "Log file format: csv or seed.")
    var logFormat: LogFormatOption = .csv

    @Option(help: "Count received packets (in), sent (out) or both; default: the rules file's DIRECTION.")
    var direction: Settings.Direction?

    @Option(
        help: ArgumentHelp(
            "Where the packet program runs: socket (an AF_PACKET socket filter), tc (TCX links, Linux 6.6 or later) or xdp.",
            discussion:
                "tc attaches at ingress and egress of each interface; xdp on the receive path only (the driver's XDP where it has one, generic otherwise), so it takes DIRECTION in without QLOG. Every mode counts the same packets, and none changes a packet's fate."
        ))
    var attach: LoadConfiguration.Attach = .socket

    @Option(
        parsing: .unconditional,
        help: ArgumentHelp(
            "Serve Prometheus metrics on 127.0.0.1:PORT (0: any free port).",
            discussion: "MONITOR_SERVER in the rules file serves on port 8080 unless this or --listen says otherwise."))
    var serverPort: Int?

    @Option(help: ArgumentHelp("Serve Prometheus metrics on ADDR:PORT ([ADDR]:PORT for IPv6).", valueName: "addr:port"))
    var listen: String?

    @Flag(help: "Serve no metrics, whatever MONITOR_SERVER says.")
    var noServer = false

    @Flag(
        help: ArgumentHelp(
            "Measure vtap's own programs: the kernel's BPF run-time statistics.",
            discussion: """
                Turns them on while the run lasts (host-wide: two clock reads every BPF program run, \
                which is why it is not the default), prints each program's runs and time a run at the \
                end, and exports vtap_program_runs_total and vtap_program_run_seconds_total.
                """))
    var selfCost = false

    @Option(
        help: ArgumentHelp(
            "Write the kernel events the rules file's EVENTS asks for to FILE, one JSON object a line (-: stdout).",
            discussion: "Without it, a run of an object with EVENTS prints only the event counts at the end.",
            valueName: "file"))
    var events: String?

    @OptionGroup var qlog: QlogOptions

    @Option(
        help: ArgumentHelp(
            "Export connection KPIs over IPFIX to HOST:PORT ([ADDR]:PORT for IPv6), instead of the KPIS section's IPFIX.",
            discussion: "Needs an object built with a KPIS section; the transport is KPIS' TRANSPORT (udp by default).",
            valueName: "host:port"))
    var ipfix: String?

    func validate() throws {
        try intervals.validate()
        if let duration, duration <= 0 || !(duration <= Limits.maxDurationSeconds) {
            throw ValidationError(
                "--duration must be positive and at most \(Int(Limits.maxDurationSeconds)) seconds (10 years), "
                    + "not \(duration)")
        }
        if let serverPort, !(0...65535).contains(serverPort) {
            throw ValidationError("--server-port must be between 0 and 65535, not \(serverPort)")
        }
        if serverPort != nil, listen != nil { throw ValidationError("give --server-port or --listen, not both") }
        if noServer, serverPort != nil || listen != nil {
            throw ValidationError("--no-server contradicts --server-port and --listen")
        }
        if let listen {
            do { _ = try ExporterConfiguration.parse(listen: listen) } catch { throw ValidationError("\(error)") }
        }
        if let ipfix, CollectorAddress(ipfix) == nil {
            throw ValidationError("--ipfix must be HOST:PORT or [ADDR]:PORT (port 1 to 65535), not \"\(ipfix)\"")
        }
    }

    /// Where to serve metrics, if anywhere: the flags first, then the rules
    /// file's MONITOR_SERVER on the seed's port.
    func exporterConfiguration(_ settings: Settings) throws -> ExporterConfiguration? {
        if noServer { return nil }
        if let listen { return try ExporterConfiguration.parse(listen: listen) }
        if let serverPort { return ExporterConfiguration(port: serverPort) }
        return settings.monitorServer ? ExporterConfiguration(port: Self.seedServerPort) : nil
    }

    static let seedServerPort = 8080
}

extension Settings.Direction: ExpressibleByArgument {}

extension LoadConfiguration.Attach: ExpressibleByArgument {}
