import Foundation
import VtapCompiler
import VtapDiagnostics
import VtapRuleModel
import VtapRuntime

/// The packet program at each attach mode's receive hook under
/// BPF_PROG_TEST_RUN: the seed's rules (PATTERN searched, sequence tracked)
/// on `scripts/bench-live`'s flood frame, each mode's program loaded as
/// `vtap run --attach` loads it. The same frame's cost on live traffic,
/// from the kernel's run-time statistics, is in the live section
/// (`bench-live --self-cost`). Every program must count every run for the
/// seed's rule 1, or the figure is refused.
public enum AttachCostBenchmark {
    /// bench-live's flood frame: UDP 3.3.3.3:4500 -> 10.99.0.2:6000 (the
    /// seed's rule 1), the PATTERN at payload offset 4, its sequence number
    /// after it, 74 bytes.
    static let floodFrame = BenchFrame.frame(
        PacketFields(
            source: .v4(0x0303_0303), destination: .v4(0x0A63_0002), protocolNumber: 17,
            ports: .init(source: 4500, destination: 6000)),
        payload: [0xA5, 0x30, 0x0F, 0x10, 0xE7, 0xA5, 0xC3, 0x18, 0, 0, 0, 7]
            + [UInt8](repeating: 0x41, count: 20))
    static let seedRule = 1

    public static func run(_ options: BenchOptions) throws -> LiveOverheadSection {
        let rules = options.repositoryRoot.appendingPathComponent("rules/seed.json").path
        let compiled = try RulesCompiler.compile(rulesPath: rules, options: .init(verify: false))
        let object = try MeasurementObject(elf: compiled.object, manifest: compiled.manifest, origin: "rules/seed.json")
        let frame = ProgramUnderTest.runnable(floodFrame)

        // Socket filters see the frame from the network header under
        // test_run, so theirs runs as replay does; TC and XDP see it whole,
        // as live.
        let socket = try ReplaySession(object)
        _ = try socket.run(frame: floodFrame, timestampNanoseconds: 1, wireLength: floodFrame.count)
        let tc = try LoadedMeasurement(object, configuration: LoadConfiguration(verdict: true, attach: .tc))
        let xdp = try LoadedMeasurement(object, configuration: LoadConfiguration(verdict: true, attach: .xdp))
        let modes: [(name: String, measurement: LoadedMeasurement)] = [
            ("socket (vtap_measure)", socket.measurement), ("tc ingress (vtap_measure_tc_ingress)", tc),
            ("xdp (vtap_measure_xdp)", xdp),
        ]
        var samples = [[Double]](repeating: [], count: modes.count)
        for _ in 0..<options.runs {
            for (index, mode) in modes.enumerated() {
                let result = try mode.measurement.program.testRun(packet: frame, repeat: options.repeatCount)
                if index > 0, result.returnValue != UInt32(seedRule + 1) {
                    throw BenchMismatch(description: "\(mode.name) returned \(result.returnValue) for rule \(seedRule)")
                }
                samples[index].append(Double(result.averageDurationNanoseconds))
            }
        }
        // Every run counted, for the rule, in every mode (the socket's one
        // replayed frame included).
        for (index, mode) in modes.enumerated() {
            let counted = try mode.measurement.snapshot().rules[seedRule].packets
            let expected = UInt64(options.runs * options.repeatCount + (index == 0 ? 1 : 0))
            if counted != expected {
                throw BenchMismatch(
                    description: "\(mode.name) counted \(counted) packets for rule \(seedRule), ran \(expected)")
            }
        }
        let rows = zip(modes, samples).map { mode, values in
            let sorted = values.sorted()
            return BenchRow(
                name: mode.name,
                values: ["median": sorted[sorted.count / 2], "min": sorted.first ?? 0, "max": sorted.last ?? 0],
                unit: "ns")
        }
        return LiveOverheadSection(
            rows: rows,
            note:
                "BPF_PROG_TEST_RUN of bench-live's 74-byte flood frame (seed rule 1, PATTERN and sequence), "
                + "\(options.repeatCount) repetitions x \(options.runs) runs, modes in turn; every run counted for the rule"
        )
    }
}
