import Foundation
import Testing
import VtapBench
import VtapTestSupport

/// The benchmark in quick mode, end to end, in process. Not a timed test:
/// it proves every section produces results and that every compared
/// program counts the same packets under the same rule (the runner throws
/// `BenchMismatch` otherwise). No assertion is about speed.
@Suite(.kernel, .serialized) struct QuickBenchTests {
    static func options(_ sections: Set<BenchOptions.Section>, ruleCounts: [Int] = BenchOptions.quickRuleCounts)
        -> BenchOptions
    {
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("vtap-bench-test-\(getpid())")
        var options = BenchOptions.quick(workDirectory: work, vtapcPath: nil, log: { _ in })
        options.sections = sections
        options.ruleCounts = ruleCounts
        options.repeatCount = 1_000
        options.secondsPerTimedRun = 0.01
        return options
    }

    @Test func everyProgramCountsTheSamePacketsUpTo10000Rules() throws {
        let report = try BenchRunner(options: Self.options([.packet])).run()
        let section = try #require(report.packetCost)
        #expect(section.rulesets.map(\.rules) == BenchOptions.quickRuleCounts)
        for ruleset in section.rulesets {
            #expect(ruleset.packets.map(\.kind) == ["first", "last", "none"])
            #expect(ruleset.packets.first?.expectedRule == 0)
            #expect(ruleset.packets.last?.expectedRule == nil)
            for name in ["vtap", "floor", "rules-map"] {
                let program = try #require(ruleset.programs.first { $0.program == name }, "\(name) at \(ruleset.rules)")
                #expect(program.failure == nil, "\(name) at \(ruleset.rules) rules: \(program.failure ?? "")")
                #expect(program.countersAgree, "\(name) at \(ruleset.rules) rules")
                #expect(Set(program.nanoseconds.keys) == ["first", "last", "none"], "\(name) at \(ruleset.rules)")
            }
            // The chain loads where it is attempted (up to 1,000 in quick mode).
            let chain = try #require(ruleset.programs.first { $0.program == "naive-chain" })
            if ruleset.rules <= 1_000 { #expect(chain.failure == nil && chain.countersAgree, "\(chain.failure ?? "")") }
        }
        #expect(report.targets.contains { $0.target.contains("same packets") && $0.holds == true })
    }

    @Test func patternSearchFindsTheSequenceNumberNearAndFar() throws {
        let report = try BenchRunner(options: Self.options([.pattern])).run()
        let cases = try #require(report.patternCost?.cases)
        #expect(cases.map(\.name) == ["none", "start", "far", "absent"])
        #expect(cases.map(\.sequenceFound) == [false, true, true, false])
        #expect(cases.allSatisfy { $0.nanoseconds > 0 })
    }

    @Test func eventsLeaveThePacketProgramAlone() throws {
        let report = try BenchRunner(options: Self.options([.events])).run()
        let section = try #require(report.eventsCost)
        #expect(section.sameInstructions)
        #expect(section.packets.map(\.kind) == ["first", "last", "none"])
        #expect(section.packets.allSatisfy { $0.withoutEvents > 0 && $0.withEvents > 0 })
        #expect(report.targets.contains { $0.target.contains("EVENTS") && $0.holds == true })
    }

    /// Each attach mode's receive program runs the flood frame, counts every
    /// run for the seed's rule (the runner throws otherwise) and is timed.
    @Test func everyAttachModeIsTimedAndCountsEveryRun() throws {
        var options = Self.options([.attach])
        options.repositoryRoot = RepositoryLayout.root
        let report = try BenchRunner(options: options).run()
        let rows = try #require(report.attachCost?.rows)
        #expect(rows.map { $0.name.split(separator: " ").first ?? "" } == ["socket", "tc", "xdp"])
        for row in rows { #expect((row.values["median"] ?? 0) > 0, "\(row.name)") }
    }

    @Test func compileCostSpawnsVtapc() throws {
        let vtapc = BuiltProducts.vtapc
        var options = Self.options([.compile], ruleCounts: [1, 1_000])
        options.vtapcPath = vtapc
        let report = try BenchRunner(options: options).run()
        let rows = try #require(report.compileCost?.rulesets)
        #expect(rows.map(\.rules) == [1, 1_000])
        for row in rows {
            #expect(row.failure == nil, "\(row.failure ?? "")")
            #expect(row.peakRSSBytes > 1_000_000)
            #expect(row.objectBytes > 0)
            #expect((row.verifiedInstructions ?? 0) > 0)
        }
    }

    /// The ClassBench section on two small sets: vtap, the 1-rule program,
    /// the naive chain and LBVS each load, count every sampled header under
    /// the reference's rule (the runner throws otherwise) and get figures.
    @Test(.seedData) func classBenchComparesEveryProgramOnTheTrace() throws {
        var options = Self.options([.classbench])
        options.vtapcPath = BuiltProducts.vtapc
        options.seedData = SeedData.directory
        options.classBenchSets = ["acl1_1000", "fw1_1000"]
        options.classBenchSample = 8
        let report = try BenchRunner(options: options).run()
        let sets = try #require(report.classBench?.sets)
        #expect(sets.map(\.name) == ["acl1_1000", "fw1_1000"])
        for set in sets {
            #expect(set.compile?.failure == nil, "\(set.name): \(set.compile?.failure ?? "")")
            #expect((set.bytesPerRule ?? .infinity) <= 256, "\(set.name)")
            #expect(Set(set.programs.map(\.program)).isSuperset(of: ["vtap", "1 rule", "naive chain", "LBVS"]))
            for program in set.programs {
                #expect(program.failure == nil, "\(set.name), \(program.program): \(program.failure ?? "")")
                #expect(
                    (program.p50 ?? 0) > 0 && (program.worst ?? 0) >= (program.p50 ?? 0),
                    "\(set.name), \(program.program)")
            }
        }
    }
}
