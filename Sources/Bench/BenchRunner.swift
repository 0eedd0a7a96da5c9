import Foundation
import VtapCompiler

/// Runs every section of one report in one process, so every figure comes
/// from the same machine state, then checks the performance targets.
public struct BenchRunner {
    public var options: BenchOptions

    public init(options: BenchOptions) {
        self.options = options
    }

    public func run() throws -> BenchReport {
        try FileManager.default.createDirectory(at: options.workDirectory, withIntermediateDirectories: true)
        var report = BenchReport(
            environment: Self.environment(),
            mode: BenchMode(
                quick: options.quick, repeatCount: options.repeatCount, runs: options.runs,
                ruleCounts: options.ruleCounts))
        if options.sections.contains(.compile), let vtapc = options.vtapcPath {
            options.log("compile cost (vtapc processes)")
            report.compileCost = try CompileCostBenchmark.run(options, vtapc: vtapc)
        }
        if options.sections.contains(.packet) {
            options.log("per-packet cost (BPF_PROG_TEST_RUN)")
            report.packetCost = try PacketCostBenchmark.run(options)
        }
        if options.sections.contains(.classbench) {
            options.log("ClassBench sets over their traces (BPF_PROG_TEST_RUN)")
            report.classBench = try ClassBenchBenchmark.run(options, vtapc: options.vtapcPath)
        }
        if options.sections.contains(.pattern) {
            options.log("PATTERN search cost")
            report.patternCost = try PatternCostBenchmark.run(options)
        }
        if options.sections.contains(.events) {
            options.log("packet program with and without EVENTS")
            report.eventsCost = try EventsCostBenchmark.run(options)
        }
        if options.sections.contains(.attach) {
            options.log("packet program by attach mode (BPF_PROG_TEST_RUN)")
            report.attachCost = try AttachCostBenchmark.run(options)
        }
        let script = BenchScript(
            repositoryRoot: options.repositoryRoot, binDirectory: options.binDirectory.map { URL(fileURLWithPath: $0) },
            quick: options.quick)
        if options.sections.contains(.startup) {
            options.log("start-up beside BCC (scripts/bench-startup)")
            do {
                let result = try StartupBenchmark.run(script)
                report.startup = result.section
                report.targets += result.targets
            } catch {
                report.startup = StartupSection(rows: [], note: "failed: \(error)")
            }
        }
        if options.sections.contains(.live) {
            options.log("live overhead (scripts/bench-live)")
            do {
                let result = try LiveOverheadBenchmark.run(script)
                report.liveOverhead = result.section
                report.targets += result.targets
            } catch {
                report.liveOverhead = LiveOverheadSection(rows: [], note: "failed: \(error)")
            }
        }
        if options.sections.contains(.kpis) {
            options.log("KPIS beside bpftrace (scripts/bench-kpis)")
            do {
                let result = try KPICostBenchmark.run(script)
                report.kpiCost = result.section
                report.targets += result.targets
            } catch {
                report.kpiCost = LiveOverheadSection(rows: [], note: "failed: \(error)")
            }
        }
        report.targets = BenchTargets.check(report) + report.targets
        return report
    }

    static func environment() -> BenchEnvironment {
        var name = utsname()
        uname(&name)
        let release = withUnsafeBytes(of: name.release) {
            String(decoding: $0.prefix(while: { $0 != 0 }), as: UTF8.self)
        }
        let cpuInfo = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        let model =
            cpuInfo.split(separator: "\n").first { $0.hasPrefix("model name") }
            .map { String($0.split(separator: ":", maxSplits: 1).last ?? "").trimmingCharacters(in: .whitespaces) }
            ?? "unknown"
        let formatter = ISO8601DateFormatter()
        return BenchEnvironment(
            kernel: release, cpus: ProcessInfo.processInfo.activeProcessorCount, cpuModel: model,
            date: formatter.string(from: Date()), vtapVersion: RulesCompiler.version)
    }
}
