import Foundation

/// What one benchmark run measures and how hard.
public struct BenchOptions: Sendable {
    public var quick: Bool
    /// test_run repetitions per timed run (the kernel reports their mean).
    public var repeatCount: Int
    /// Timed runs per figure; the figure is their median.
    public var runs: Int
    public var ruleCounts: [Int]
    /// The naive chain is compiled up to this many rules; above, the table
    /// says why not.
    public var naiveChainLimit: Int
    /// A timed run of a slow program (the chain, the map scan at large
    /// sizes) uses fewer repetitions so that it takes about this long.
    public var secondsPerTimedRun: Double
    /// Where rules files and objects go (`bpf-out/bench`).
    public var workDirectory: URL
    /// `vtapc` for the compile-cost section; nil skips that section.
    public var vtapcPath: String?
    public var sections: Set<Section>
    /// Where `vtap` and `vtapc` are, for the script-driven sections.
    public var binDirectory: String?
    /// The repository (scripts, rules/seed.json); the working directory by default.
    public var repositoryRoot = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
    public var log: @Sendable (String) -> Void
    /// ClassBench: the sets measured, headers timed per set (spread over
    /// the trace, plus the worst cases), test_runs per timed run.
    public var classBenchSets = ClassBenchBenchmark.allSets
    public var classBenchSample = 400
    public var classBenchExtremes = 20
    public var classBenchRepeat = 20_000
    /// `../shared/seed-data` beside the repository, or `VTAP_SEED_DATA`.
    public var seedData: URL = {
        if let path = ProcessInfo.processInfo.environment["VTAP_SEED_DATA"] { return URL(fileURLWithPath: path) }
        return URL(fileURLWithPath: FileManager.default.currentDirectoryPath).deletingLastPathComponent()
            .appendingPathComponent("shared/seed-data")
    }()

    public enum Section: String, Sendable, CaseIterable {
        case packet, classbench, pattern, events, attach, compile, startup, live, kpis
    }

    public static let fullRuleCounts = [1, 10, 100, 1_000, 10_000, 100_000]
    public static let quickRuleCounts = [1, 10, 100, 1_000, 10_000]

    public static func standard(workDirectory: URL, vtapcPath: String?, log: @escaping @Sendable (String) -> Void)
        -> BenchOptions
    {
        BenchOptions(
            quick: false, repeatCount: 1_000_000, runs: 5, ruleCounts: fullRuleCounts, naiveChainLimit: 10_000,
            secondsPerTimedRun: 0.5, workDirectory: workDirectory, vtapcPath: vtapcPath,
            sections: Set(Section.allCases), binDirectory: nil, log: log)
    }

    /// For CI: proves every part works and every program counts the same
    /// packets; the figures are rough.
    public static func quick(workDirectory: URL, vtapcPath: String?, log: @escaping @Sendable (String) -> Void)
        -> BenchOptions
    {
        var options = BenchOptions(
            quick: true, repeatCount: 10_000, runs: 2, ruleCounts: quickRuleCounts, naiveChainLimit: 1_000,
            secondsPerTimedRun: 0.05, workDirectory: workDirectory, vtapcPath: vtapcPath,
            sections: [.packet, .classbench, .pattern, .attach, .compile], binDirectory: nil, log: log)
        options.classBenchSets = ClassBenchBenchmark.allSets.filter { !$0.hasSuffix("_100000") }
        options.classBenchSample = 24
        options.classBenchExtremes = 4
        options.classBenchRepeat = 1_000
        return options
    }
}

/// Median of a non-empty sample.
func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    guard !sorted.isEmpty else { return .nan }
    let mid = sorted.count / 2
    return sorted.count % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}
