import Foundation
import Testing
import VtapFuzz
import VtapTestSupport

/// The fuzz targets without libFuzzer: each runs its seed corpus (the
/// inputs scripts/fuzz starts from) and every input fuzzing found that
/// broke a property, so a defect found once stays a failing test.
struct FuzzTargetTests {
    @Test(.seedData, arguments: FuzzTarget.allCases)
    func seedCorpusHoldsEveryProperty(target: FuzzTarget) async throws {
        let scratch = try TemporaryDirectory(prefix: "vtap-fuzz-seeds")
        let corpus = FuzzCorpus(
            repository: RepositoryLayout.root, seedData: SeedData.directory, vtapc: BuiltProducts.vtapc,
            scratch: scratch.url)
        let seeds = try corpus.seeds(for: target)
        #expect(seeds.count >= 3, "\(target.rawValue): \(seeds.count) seeds")
        for seed in seeds {
            #expect(!seed.bytes.isEmpty, "\(seed.name)")
            // On a thread of its own: the http target waits on a socket for
            // the exporter, which answers on the cooperative pool.
            let outcome = try await Blocking.run { Result { try target.run(seed.bytes) } }
            #expect(throws: Never.self, "\(seed.name)") { try outcome.get() }
        }
    }
}

/// Inputs fuzzing found that broke a property, each kept as it was found
/// (or cut down to what still broke it), with what was wrong.
struct FoundByFuzzing {
    /// rules: a NUL or an ESC inside a key was echoed raw in the
    /// diagnostic's source line, where a terminal acts on it (now U+FFFD,
    /// the caret still under its column); a bidi override in an unknown
    /// key's name was echoed raw in the message (now `<U+202E>`).
    @Test(arguments: ["\u{0}", "\u{1B}[2J", "\u{202E}"])
    func controlCharactersInTheSourceLineAreNotEchoed(character: String) throws {
        let bytes = Array("{\n    \"RULES\": [\"- - - - -\"],\n    \"DISPLA\(character)Y\": {}\n}\n".utf8)
        #expect(throws: Never.self) { try FuzzTarget.rules.run(bytes) }
    }

    /// capture: a record holding 20 bytes that says 10 were on the wire
    /// (libpcap passes it on) gave a packet longer than its original
    /// length; it now counts the 20 it holds.
    @Test func aRecordHoldingMoreThanTheWireIsCountedWhole() throws {
        func le32(_ value: UInt32) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) } }
        let header = le32(0xA1B2_3C4D) + [2, 0, 4, 0] + le32(0) + le32(0) + le32(64) + le32(1)
        let record = le32(1) + le32(0) + le32(20) + le32(10) + [UInt8](repeating: 0x45, count: 20)
        #expect(throws: Never.self) { try FuzzTarget.capture.run(header + record) }
    }

    /// verifier-log: `processed -2 insns` was read as -2 instructions;
    /// counts are digits only, so the line is not a statistics line.
    @Test func negativeCountsAreNotStatistics() throws {
        let log = "0: R1=ctx()\nprocessed -2 insns (limit 1000000) total_states -1 peak_states 3\n"
        #expect(throws: Never.self) { try FuzzTarget.verifierLog.run(Array(log.utf8)) }
    }
}
