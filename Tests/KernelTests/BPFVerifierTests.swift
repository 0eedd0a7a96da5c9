import Testing
import VtapBPF
import VtapTestSupport

/// Verifier dry-runs against the real kernel.
@Suite struct BPFVerifierTests {
    @Test(.kernel) func acceptedObjectReportsPlausibleFigures() throws {
        let report = try Verifier.dryRun(object: BPFTestPrograms.compile(BPFTestPrograms.counter), name: "vtap_dry")
        #expect(report.accepted)
        #expect(report.rejected == nil)
        #expect(report.programs.map(\.name) == ["vtap_count", "vtap_port_count"])
        for program in report.programs {
            #expect(program.outcome == .accepted)
            let stats = try #require(program.stats, "\(program.name) has a stats line")
            #expect(stats.instructionsProcessed > 0)
            #expect(stats.instructionsProcessed < 1000)
            #expect(stats.instructionLimit == 1_000_000)
            #expect((stats.totalStates ?? -1) >= 0)
            #expect((stats.peakStates ?? -1) >= 0)
            #expect((stats.peakStates ?? 0) <= (stats.totalStates ?? 0))
            #expect(stats.maxStatesPerInstruction != nil)
            #expect(stats.verificationTimeMicroseconds != nil, "level 4 prints the time")
            #expect(stats.stackDepths.first == 32, "eth[14]/head[24] round up to 32 bytes of stack")
            let translated = try #require(program.translatedInstructionCount)
            #expect(translated >= program.elfInstructionCount / 2)
            #expect(translated > 10)
            #expect((program.jitedSize ?? 0) > 0)
        }
    }

    @Test(.kernel) func rejectedProgramIsReportedWithItsLog() throws {
        let report = try Verifier.dryRun(
            object: BPFTestPrograms.compile(BPFTestPrograms.uncheckedMapValue), name: "vtap_unchecked")
        #expect(!report.accepted)
        #expect(report.program(named: "vtap_accepted")?.outcome == .accepted)
        #expect(report.program(named: "vtap_accepted")?.stats?.instructionsProcessed ?? 0 > 0)
        // Each program is verified on its own: one rejected does not keep
        // the verifier from the next.
        #expect(report.program(named: "vtap_after")?.outcome == .accepted, "verified apart from the rejected one")
        let rejected = try #require(report.rejected)
        #expect(rejected.name == "vtap_unchecked")
        let log = try #require(rejected.rejectionLog)
        #expect(log.errorLine == "R0 invalid mem access 'map_value_or_null'")
        #expect(log.failingSource?.file == "vtap_test.c")
        #expect(log.failingSource?.line == lineNumber(of: "*value += 1;", in: BPFTestPrograms.uncheckedMapValue))
        #expect(
            log.summary(filledFrom: ["vtap_test.c": BPFTestPrograms.uncheckedMapValue]).contains("`*value += 1;`"))
        #expect(log.lines.count > 5, "the full level-1 log, not just the stats")
        #expect((rejected.stats?.instructionsProcessed ?? 0) > 0)
        #expect(!log.truncated)
    }

    @Test(
        .kernel,
        arguments: [
            ("stack", BPFTestPrograms.stackOutOfBounds, "invalid write to stack"),
            ("loop", BPFTestPrograms.infiniteLoop, "infinite loop detected"),
        ])
    func otherRejections(name: String, source: String, expected: String) throws {
        let report = try Verifier.dryRun(object: BPFTestPrograms.compile(source), name: name)
        let log = try #require(report.rejected?.rejectionLog)
        #expect(log.errorLine?.hasPrefix(expected) == true, "\(log.summary)")
        #expect(log.failingSource?.line != nil)
    }

    @Test(.kernel) func loadThrowsTheVerifierRejection() throws {
        let object = try BPFObject(elf: BPFTestPrograms.compile(BPFTestPrograms.uncheckedMapValue), name: "vtap_reject")
        let error = try #require(throws: BPFError.self) { try object.load() }
        let log = try #require(error.verifierLog, "kind is .verifierRejected, got \(error.kind)")
        #expect(log.errorLine == "R0 invalid mem access 'map_value_or_null'")
        #expect(error.description.hasPrefix("load program 'vtap_unchecked' of object 'vtap_reject': verifier rejected"))
        #expect(!error.description.contains("\n"))
        #expect(error.libbpfMessages.contains { $0.contains("vtap_unchecked") }, "libbpf's lines are attached")
        #expect(!object.isLoaded)
        let retry = try #require(throws: BPFError.self) { try object.load() }
        #expect(retry.description.contains("cannot be retried"))
    }

    @Test(.kernel) func invalidObjectIsAnErrorNotAReport() throws {
        let error = try #require(throws: BPFError.self) {
            try Verifier.dryRun(object: [0x7F, 0x45, 0x4C, 0x46], name: "elf")
        }
        #expect(error.kind == .invalidObject)
    }

    @Test func libbpfMessagesAreCaptured() throws {
        _ = try? BPFObject(elf: Array("garbage".utf8), name: "vtap_noise")
        let messages = LibbpfLog.recentMessages(through: .debug)
        #expect(messages.contains { $0.text.hasPrefix("libbpf: ") })
    }

    private func lineNumber(of text: String, in source: String) -> Int? {
        source.split(separator: "\n", omittingEmptySubsequences: false).firstIndex { $0.contains(text) }.map { $0 + 1 }
    }
}
