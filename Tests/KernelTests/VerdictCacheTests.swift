import Foundation
import Testing
import VtapBPF
import VtapDiagnostics
import VtapRuleModel
import VtapTestSupport

@testable import VtapCompiler

/// vtapc keeps the verifier's acceptance of an object's bytes on this
/// kernel: the same rules again are not dry-run again, and say and write
/// what the dry-run did.
@Suite(.kernel) struct VerdictCacheTests {
    static let seed = SourceFile(
        path: "seed.json",
        text:
            #"{"RULES": ["1.1.1.1 2.2.2.2 11 22 TCP", "3.3.3.3 - - - [TCP,UDP]"], "PATTERN": "0xe7a5c318", "OFFSET": 4}"#
    )

    static func compile(_ cache: ProgramCache?) throws -> CompiledRuleset {
        try RulesCompiler.compile(Self.seed, options: .init(cache: cache, keepsVerdicts: true))
    }

    static func verdicts(_ directory: TemporaryDirectory) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory.url.path)) ?? []).filter {
            $0.hasPrefix("verdict-")
        }
    }

    @Test func aKeptVerdictSaysAndWritesWhatTheDryRunDid() throws {
        let directory = try TemporaryDirectory()
        let cache = ProgramCache(directory: directory.url.path)
        let verified = try Self.compile(cache)
        #expect(!verified.verdictCached)
        #expect(Self.verdicts(directory).count == 1)
        let again = try Self.compile(cache)
        #expect(again.verdictCached && again.objectCached)
        #expect(again.object == verified.object)
        #expect(again.manifest == verified.manifest, "the manifest's verifier figures come back whole")
        let first = try #require(verified.verification?.programs)
        let kept = try #require(again.verification?.programs)
        #expect(kept.map(\.name) == first.map(\.name) && kept.map(\.section) == first.map(\.section))
        #expect(kept.map(\.stats) == first.map(\.stats))
        #expect(kept.map(\.translatedInstructionCount) == first.map(\.translatedInstructionCount))
        #expect(again.verification?.accepted == true)
        // Without keeping verdicts, the verifier runs: the same figures.
        let fresh = try RulesCompiler.compile(Self.seed, options: .init(cache: cache))
        #expect(!fresh.verdictCached)
        #expect(
            fresh.verification?.programs.map(\.stats?.instructionsProcessed)
                == first.map(\.stats?.instructionsProcessed))
    }

    /// A damaged verdict (bytes, digest, or JSON that is not a verdict) is
    /// no verdict: the dry-run runs again and the entry is replaced.
    @Test func aDamagedVerdictIsVerifiedAgain() throws {
        let directory = try TemporaryDirectory()
        let cache = ProgramCache(directory: directory.url.path)
        _ = try Self.compile(cache)
        let name = try #require(Self.verdicts(directory).first)
        let path = directory.file(name).path
        let good = try Data(contentsOf: URL(fileURLWithPath: path))
        let notAVerdict = Array(#"{"objectName": 1}"#.utf8)
        let damages = [
            good.prefix(good.count - 3), Data(), Data(good.map { $0 == UInt8(ascii: "1") ? UInt8(ascii: "2") : $0 }),
            Data((ObjectDigest.sha256Hex(notAVerdict) + "\n").utf8) + Data(notAVerdict),
        ]
        for damage in damages {
            try damage.write(to: URL(fileURLWithPath: path))
            let again = try Self.compile(cache)
            #expect(!again.verdictCached)
            // Replaced (the new dry-run's figures: its time differs), and good.
            #expect(try Data(contentsOf: URL(fileURLWithPath: path)) != damage)
            #expect(try Self.compile(cache).verdictCached)
        }
    }

    /// The verdict is the kernel's on these bytes: another kernel build,
    /// other JIT settings or capabilities, another dry-run or one byte
    /// changed is another key.
    @Test func theKeyIsTheBytesTheKernelAndTheDryRun() throws {
        let compiled = try Self.compile(nil)
        let object = compiled.manifest.object.sha256
        #expect(object == ObjectDigest.sha256Hex(compiled.object), "the manifest's digest is the bytes'")
        let key = ProgramCache.verdictKey(objectDigest: object, dryRun: "d", kernel: "k")
        var changed = compiled.object
        changed[changed.count / 2] ^= 1
        #expect(ProgramCache.verdictKey(objectDigest: ObjectDigest.sha256Hex(changed), dryRun: "d", kernel: "k") != key)
        #expect(ProgramCache.verdictKey(objectDigest: object, dryRun: "e", kernel: "k") != key)
        #expect(ProgramCache.verdictKey(objectDigest: object, dryRun: "d", kernel: "k2") != key)
        #expect(ProgramCache.verdictKey(objectDigest: object, dryRun: "d", kernel: "k") == key)
        let identity = KernelIdentity.current
        for fact in ["release ", "version ", "net/core/bpf_jit_harden ", "capabilities "] {
            #expect(identity.contains("\n" + fact) || identity.hasPrefix(fact), "\(fact)in \(identity)")
        }
        #expect(!identity.contains("capabilities -"), "CapEff was read: \(identity)")
    }

    /// A rejection is never kept: the next compile verifies again.
    @Test func aRejectionIsNotKept() throws {
        let object = try Self.compile(nil).object
        let report = try Verifier.dryRun(object: object, name: "vtap", globals: ObjectContract.programGlobals)
        #expect(report.accepted && CachedVerdict(report) != nil)
        var rejected = report
        rejected.programs[0].outcome = .rejected(VerifierLog("R1 invalid mem access"))
        #expect(CachedVerdict(rejected) == nil)
    }
}
