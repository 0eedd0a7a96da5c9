import ArgumentParser
import Foundation
import VtapBench
import VtapDiagnostics

@main
struct VtapBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vtap-bench",
        abstract: "Measure vtap's per-packet, pattern-search and compile cost against the compared programs.",
        discussion: "Run as root (BPF_PROG_TEST_RUN). Prints a table; writes JSON. See docs/performance.md.")

    @Flag(help: "Small repeat counts, rulesets up to 10,000 rules: proves it works, rough figures.")
    var quick = false

    @Option(help: "Where to write the JSON report.")
    var json = "bpf-out/bench/bench.json"

    @Option(
        help:
            "Sections to run, comma-separated: packet,classbench,pattern,events,attach,compile,startup,live,kpis (default: all)."
    )
    var only: String?

    @Option(
        help: "ClassBench sets, comma-separated (default: acl1, fw1, ipc1 at 1000, 10000, 100000; quick: up to 10000).")
    var sets: String?

    @Option(help: "ClassBench headers timed per set, spread over the trace (default 400; quick: 24).")
    var sample: Int?

    @Option(help: "Rule counts, comma-separated (default: 1,10,100,1000,10000,100000; quick: up to 10000).")
    var rules: String?

    @Option(help: "test_run repetitions per timed run.")
    var `repeat`: Int?

    @Option(help: "Timed runs per figure (median).")
    var runs: Int?

    @Option(help: "Directory holding vtapc (default: beside vtap-bench).")
    var bin: String?

    func run() throws {
        let bin = bin ?? CommandLine.executableDirectory
        let work = URL(fileURLWithPath: json).deletingLastPathComponent()
        let log: @Sendable (String) -> Void = { StandardStreams.writeError("vtap-bench: " + $0 + "\n") }
        var options =
            quick
            ? BenchOptions.quick(workDirectory: work, vtapcPath: bin + "/vtapc", log: log)
            : BenchOptions.standard(workDirectory: work, vtapcPath: bin + "/vtapc", log: log)
        if let only {
            options.sections = Set(only.split(separator: ",").compactMap { BenchOptions.Section(rawValue: String($0)) })
        }
        if let rules { options.ruleCounts = rules.split(separator: ",").compactMap { Int($0) } }
        if let sets { options.classBenchSets = sets.split(separator: ",").map(String.init) }
        if let sample { options.classBenchSample = sample }
        if let count = `repeat` { options.repeatCount = count }
        if let runs { options.runs = runs }
        options.binDirectory = bin
        let report = try BenchRunner(options: options).run()
        print(BenchTable.render(report))
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        try report.json().write(to: URL(fileURLWithPath: json))
        log("wrote \(json)")
        if report.packetCost?.rulesets.contains(where: {
            $0.programs.contains { $0.failure == nil && !$0.countersAgree }
        }) == true {
            throw ExitCode(1)
        }
    }
}

extension CommandLine {
    static var executableDirectory: String {
        URL(fileURLWithPath: arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent().path
    }
}
