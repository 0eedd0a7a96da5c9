import Foundation
import Testing
import VtapBPF
import VtapCodegen
import VtapCompiler
import VtapDiagnostics
import VtapRuleModel
import VtapSema
import VtapTestSupport

/// vtapc's objects are the packet program (compiled once per settings and
/// kept in a `ProgramCache`) linked with the ruleset's decision code. An
/// object must not depend on whether the program came from the cache.
@Suite struct LinkedObjectTests {
    static let seedRules = SourceFile(
        path: "seed.json",
        text:
            #"{"RULES": ["1.1.1.1 2.2.2.2 11 22 TCP", "3.3.3.3 - - - [TCP,UDP]"], "PATTERN": "0xe7a5c318", "OFFSET": 4}"#
    )

    static func compile(_ file: SourceFile, cache: ProgramCache?) throws -> CompiledRuleset {
        try RulesCompiler.compile(file, options: .init(verify: false, cache: cache))
    }

    static func entries(_ directory: TemporaryDirectory, _ kind: ProgramCache.Entry = .program) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory.url.path)) ?? []).filter {
            $0.hasPrefix(kind.rawValue + "-")
        }.sorted()
    }

    /// Without a cache, into an empty one, and from it: the same bytes.
    @Test func theSameRulesGiveTheSameBytesWithOrWithoutTheCache() throws {
        let directory = try TemporaryDirectory()
        let cache = ProgramCache(directory: directory.url.path)
        let uncached = try Self.compile(Self.seedRules, cache: nil)
        let cold = try Self.compile(Self.seedRules, cache: cache)
        let warm = try Self.compile(Self.seedRules, cache: cache)
        #expect(!uncached.programCached && !cold.programCached && !cold.objectCached)
        #expect(warm.programCached && warm.objectCached)
        #expect(uncached.object == cold.object)
        #expect(cold.object == warm.object)
        #expect(cold.manifest.object.sha256 == warm.manifest.object.sha256)
        #expect(Self.entries(directory).count == 1 && Self.entries(directory, .object).count == 1)
        #expect(Self.entries(directory, .verdict).isEmpty, "not verified, no verdict")
        // Both parts are in the object: the programs and the decision code.
        let text = String(decoding: warm.object, as: UTF8.self)
        for name in ["vtap_measure_tc_ingress", "vtap_measure_xdp", "vtap_match_v4", "vtap_match_v6"] {
            #expect(text.contains(name), "\(name) missing from the linked object")
        }
    }

    /// A ClassBench set (the table strategy: its constant tables are data
    /// of the decision part) links to the same bytes cold and warm.
    @Test(.seedData) func aClassBenchTableLinksTheSameColdAndWarm() throws {
        let set = try ClassBenchSet("fw1_1000")
        let file = SourceFile(path: "fw1_1000.json", text: set.rulesText)
        let directory = try TemporaryDirectory()
        let cache = ProgramCache(directory: directory.url.path)
        let cold = try Self.compile(file, cache: cache)
        let warm = try Self.compile(file, cache: cache)
        #expect(cold.source.strategy == .table)
        #expect(warm.programCached)
        #expect(cold.object == warm.object)
        #expect(try Self.compile(file, cache: nil).object == cold.object)
    }

    /// Other rules with the same settings reuse the program; other settings
    /// are another entry. Every constant of the rules stays in the decision
    /// part: the program's unit holds no address of any rule.
    @Test func rulesReuseTheProgramAndSettingsDoNot() throws {
        let directory = try TemporaryDirectory()
        let cache = ProgramCache(directory: directory.url.path)
        _ = try Self.compile(Self.seedRules, cache: cache)
        let otherRules = SourceFile(
            path: "other.json",
            text: #"{"RULES": ["9.9.9.9 - - 53 UDP", "10.1.0.0/16 - - - TCP"], "PATTERN": "0xe7a5c318", "OFFSET": 4}"#)
        let reused = try Self.compile(otherRules, cache: cache)
        #expect(reused.programCached && !reused.objectCached)
        #expect(!reused.source.program.main.contains("0x9090909"))
        #expect(reused.source.decisions?.main.contains("0x9090909") == true)
        let otherSettings = SourceFile(
            path: "offset.json", text: #"{"RULES": ["9.9.9.9 - - 53 UDP", "10.1.0.0/16 - - - TCP"], "OFFSET": 8}"#)
        let compiled = try Self.compile(otherSettings, cache: cache)
        #expect(!compiled.programCached)
        #expect(Self.entries(directory).count == 2)
        // The object equals one compiled without any cache.
        #expect(try Self.compile(otherRules, cache: nil).object == reused.object)
    }

    /// An entry damaged on disk is made again and replaced; the object is
    /// unchanged. (libbpf 1.1's linker crashes on a damaged ELF file: the
    /// entry's digest keeps such bytes from it.) A packet program is read
    /// only when its linked object is not there, so that one goes first.
    @Test(arguments: [ProgramCache.Entry.program, .object])
    func aDamagedEntryIsMadeAgainAndReplaced(kind: ProgramCache.Entry) throws {
        let directory = try TemporaryDirectory()
        let cache = ProgramCache(directory: directory.url.path)
        let reference = try Self.compile(Self.seedRules, cache: cache)
        let entry = try #require(Self.entries(directory, kind).first)
        let path = directory.file(entry).path
        let good = try Data(contentsOf: URL(fileURLWithPath: path))
        var flipped = good
        flipped[flipped.count - 100] ^= 0x40
        let damages = [
            Data(repeating: 0x30, count: 64) + Data("\n".utf8) + Data([0x7F, 0x45, 0x4C, 0x46])
                + Data(repeating: 0xAB, count: 512),
            good.prefix(good.count / 2), flipped, Data(), good.dropFirst(65),
        ]
        for damage in damages {
            try damage.write(to: URL(fileURLWithPath: path))
            if kind == .program {
                for object in Self.entries(directory, .object) {
                    try FileManager.default.removeItem(at: directory.file(object))
                }
            }
            let again = try Self.compile(Self.seedRules, cache: cache)
            #expect(!again.objectCached)
            #expect(again.programCached == (kind == .object), "the program entry is good unless it is the damaged one")
            #expect(again.object == reference.object)
            #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == good)
        }
    }

    /// Parts that cannot be linked (here the packet program twice: every
    /// global function defined twice) are an error naming the link, with
    /// the linker's reason.
    @Test func partsThatDoNotLinkAreAnError() throws {
        let checked = try #require(checkRules(Self.seedRules).ruleset)
        let source = try ProgramSource.generate(checked)
        let program = try #require(
            Clang.compile(main: (source.program.name, source.program.main), headers: source.program.headers).object)
        #expect {
            _ = try ObjectLinker.link([program, program], name: "twice")
        } throws: { error in
            guard let error = error as? BPFError, case .invalidObject = error.kind else { return false }
            return error.description.hasPrefix("link object 'twice'") && error.detail != nil
        }
    }

    /// A cache keeps at most its capacity of entries, the newest.
    @Test func theCacheKeepsItsCapacity() throws {
        let directory = try TemporaryDirectory()
        let cache = ProgramCache(directory: directory.url.path, capacity: 2)
        for offset in [4, 8, 12] {
            _ = try Self.compile(
                SourceFile(path: "r\(offset).json", text: #"{"RULES": ["- - - - UDP"], "OFFSET": \#(offset)}"#),
                cache: cache)
        }
        #expect(Self.entries(directory).count == 2)
        #expect(Self.entries(directory, .object).count == 2)
    }

    /// A cache that cannot be written is no error: the compile goes on.
    @Test func anUnwritableCacheIsSkipped() throws {
        let directory = try TemporaryDirectory()
        let blocker = directory.file("file")
        try Data("x".utf8).write(to: blocker)
        let compiled = try Self.compile(Self.seedRules, cache: ProgramCache(directory: blocker.path + "/cache"))
        #expect(try compiled.object == Self.compile(Self.seedRules, cache: nil).object)
    }

    /// A directory others may write is not used: its objects would go into
    /// this user's objects.
    @Test func aCacheOthersCanWriteIsNotUsed() throws {
        let directory = try TemporaryDirectory()
        let cache = ProgramCache(directory: directory.url.path)
        _ = try Self.compile(Self.seedRules, cache: cache)
        #expect(try Self.compile(Self.seedRules, cache: cache).programCached)
        chmod(directory.url.path, 0o777)
        let shared = try Self.compile(Self.seedRules, cache: cache)
        #expect(!shared.programCached)
        #expect(Self.entries(directory).count == 1)
        chmod(directory.url.path, 0o700)
        #expect(try Self.compile(Self.seedRules, cache: cache).programCached)
    }

    /// Where the cache is: VTAP_CACHE_DIR (empty: none), XDG_CACHE_HOME, HOME.
    @Test func theCacheDirectoryFollowsTheEnvironment() {
        #expect(ProgramCache.standard(environment: ["VTAP_CACHE_DIR": "/c", "HOME": "/h"])?.directory == "/c")
        #expect(ProgramCache.standard(environment: ["VTAP_CACHE_DIR": "", "HOME": "/h"]) == nil)
        #expect(ProgramCache.standard(environment: ["XDG_CACHE_HOME": "/x", "HOME": "/h"])?.directory == "/x/vtap")
        #expect(ProgramCache.standard(environment: ["HOME": "/h"])?.directory == "/h/.cache/vtap")
        #expect(ProgramCache.standard(environment: ["XDG_CACHE_HOME": "relative"]) == nil)
    }
}
