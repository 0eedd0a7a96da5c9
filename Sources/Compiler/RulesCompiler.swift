import Foundation
import VtapBPF
import VtapCodegen
import VtapDiagnostics
import VtapFrontend
import VtapRuleModel
import VtapSema
import VtapSystem

/// A ruleset compiled to a BPF object, with everything learned on the way.
public struct CompiledRuleset: Sendable {
    public var file: SourceFile
    public var ruleset: Ruleset
    /// Warnings (a compiled ruleset has no errors).
    public var diagnostics: [Diagnostic]
    public var source: ProgramSource
    public var object: [UInt8]
    public var manifest: Manifest
    /// Present when the verifier dry-run ran.
    public var verification: VerifierReport?
    /// Wall time per phase, in order.
    public var phases: [(name: String, duration: Duration)]
    /// The packet program came from the cache (alone, or inside a whole
    /// object that did).
    public var programCached: Bool = false
    /// The whole object came from the cache: clang and the linker did not run.
    public var objectCached: Bool = false
    /// The verifier's acceptance came from the cache: the same bytes were
    /// accepted before on this kernel (`KernelIdentity`), so the dry-run
    /// did not run again.
    public var verdictCached: Bool = false
}

/// The pipeline shared by `vtapc` and `vtap run RULES.json`:
/// read -> check -> generate C -> clang -> describe -> verify.
public enum RulesCompiler {
    public static let version = VtapVersion.current

    public struct Options: Sendable {
        /// Load the program into the kernel once to run the verifier.
        public var verify: Bool
        /// File name recorded in the manifest for the object.
        public var objectFileName: String
        /// `nil` lets the size of the plan decide.
        public var strategy: MatchStrategy?
        /// A program to compare against instead of vtap's (vtap-bench only).
        public var comparison: ComparisonProgram?
        /// The classifier's capacity (tests shrink it).
        public var limits: Classifier.Limits
        /// Where compiled packet programs and linked objects are kept; nil
        /// compiles every time.
        public var cache: ProgramCache?
        /// Also keep the verifier's acceptances in `cache` and take them
        /// from it (vtapc does). Off by default: a test that verifies
        /// means the verifier to run.
        public var keepsVerdicts: Bool

        public init(
            verify: Bool = true, objectFileName: String = "filter.o", strategy: MatchStrategy? = nil,
            comparison: ComparisonProgram? = nil, limits: Classifier.Limits = .standard,
            cache: ProgramCache? = .standard(), keepsVerdicts: Bool = false
        ) {
            self.keepsVerdicts = keepsVerdicts
            self.verify = verify
            self.objectFileName = objectFileName
            self.strategy = strategy
            self.comparison = comparison
            self.limits = limits
            self.cache = cache
        }
    }

    public static func compile(rulesPath: String, options: Options = Options()) throws -> CompiledRuleset {
        let bytes: [UInt8]
        do {
            bytes = try InputFile.read(rulesPath, limit: Limits.maxInputFileBytes)
        } catch {
            throw CompileError.cannotRead(path: rulesPath, reason: error.reason)
        }
        return try compile(SourceFile(path: rulesPath, bytes: bytes), options: options)
    }

    public static func compile(_ file: SourceFile, options: Options = Options()) throws -> CompiledRuleset {
        var clock = PhaseClock()

        let check = checkRules(file)
        guard let ruleset = check.ruleset else { throw CompileError.rules(file: file, diagnostics: check.diagnostics) }
        var diagnostics = check.diagnostics
        clock.lap("check")

        let source: ProgramSource
        do {
            source =
                try options.comparison.map { try ProgramSource.generate(ruleset, comparison: $0) }
                ?? ProgramSource.generate(ruleset, strategy: options.strategy, limits: options.limits)
        } catch ProgramSource.Failure.capacity(let capacity) {
            // Before clang: the figures, not a verifier limit, are the news.
            var bag = DiagnosticBag()
            bag.append(contentsOf: diagnostics + [Self.capacityError(capacity, ruleset)])
            throw CompileError.rules(file: file, diagnostics: bag.sorted)
        } catch {
            throw CompileError.internalError("\(error)")
        }
        diagnostics += unreachableWarnings(source, ruleset, already: diagnostics)
        clock.lap("generate")

        let built = try object(source, cache: options.cache, clock: &clock)
        let object = built.object

        var manifest = try ManifestBuilder.manifest(
            for: object, ruleset: ruleset, file: file, source: source, objectFileName: options.objectFileName)
        if let comparison = source.comparison { manifest.build.strategy = comparison.rawValue }
        clock.lap("describe")

        var verification: VerifierReport?
        var verdictCached = false
        if options.verify {
            let (report, cached) = try verify(
                object, digest: manifest.object.sha256, ruleset: ruleset,
                cache: options.keepsVerdicts ? options.cache : nil)
            verdictCached = cached
            manifest.verifier = report.programs.compactMap { program in
                program.stats.map {
                    Manifest.ProgramVerifier(
                        program: program.name, instructionsProcessed: $0.instructionsProcessed,
                        totalStates: $0.totalStates, peakStates: $0.peakStates,
                        instructions: program.translatedInstructionCount)
                }
            }
            verification = report
            clock.lap("verify")
        }

        return CompiledRuleset(
            file: file, ruleset: ruleset, diagnostics: diagnostics, source: source, object: object,
            manifest: manifest, verification: verification, phases: clock.phases, programCached: built.programCached,
            objectCached: built.objectCached, verdictCached: verdictCached)
    }

    /// The object: from the cache when it holds these units linked, else
    /// the packet program (itself perhaps from the cache) and the decision
    /// code compiled and linked, and kept.
    static func object(_ source: ProgramSource, cache: ProgramCache?, clock: inout PhaseClock) throws -> (
        object: [UInt8], programCached: Bool, objectCached: Bool
    ) {
        guard let decisions = source.decisions else {
            let program = try programObject(source.program, cache: cache)
            clock.lap("clang")
            return (program.object, program.cached, false)
        }
        // Hashed only when there is a cache: a big table's unit is megabytes.
        let key = cache.map { _ in
            ProgramCache.key(forLinked: [source.program, decisions], arguments: Clang.bpfArguments)
        }
        if let cache, let key, let object = cache.read(.object, key: key) {
            clock.lap("cache")
            return (object, true, true)
        }
        let program = try programObject(source.program, cache: cache)
        let decisionObject = try compile(decisions)
        clock.lap("clang")
        let object = try link(program.object, decisionObject)
        clock.lap("link")
        if let cache, let key { cache.store(object, .object, key: key) }
        return (object, program.cached, false)
    }

    static func compile(_ unit: CompileUnit) throws -> [UInt8] {
        let output = Clang.compile(main: (unit.name, unit.main), headers: unit.headers)
        guard output.status == .ok, let object = output.object else {
            throw CompileError.internalError("clang rejected the generated C of \(unit.name):\n\(output.diagnostics)")
        }
        return object
    }

    /// The packet program's object: from the cache when it holds this unit,
    /// else compiled (and stored when there is a cache).
    static func programObject(_ unit: CompileUnit, cache: ProgramCache?) throws -> (object: [UInt8], cached: Bool) {
        guard let cache else { return (try compile(unit), false) }
        let key = ProgramCache.key(for: unit, arguments: Clang.bpfArguments)
        if let object = cache.read(.program, key: key) { return (object, true) }
        let object = try compile(unit)
        cache.store(object, .program, key: key)
        return (object, false)
    }

    static func link(_ program: [UInt8], _ decisions: [UInt8]) throws -> [UInt8] {
        do {
            return try ObjectLinker.link([program, decisions], name: "vtap")
        } catch {
            throw CompileError.internalError("the packet program and the decision code did not link: \(error)")
        }
    }

    /// The kernel's verdict: kept from an earlier dry-run of these bytes on
    /// this kernel, else from a dry-run now (kept when it accepts).
    /// `digest`: the object's SHA-256, which its manifest already holds.
    static func verify(_ object: [UInt8], digest: String, ruleset: Ruleset, cache: ProgramCache?) throws -> (
        report: VerifierReport, cached: Bool
    ) {
        guard let cache else { return (try verify(object, ruleset: ruleset), false) }
        let key = ProgramCache.verdictKey(objectDigest: digest, dryRun: dryRunDescription)
        if let stored = cache.read(.verdict, key: key), let verdict = CachedVerdict(bytes: stored) {
            return (verdict.report, true)
        }
        let report = try verify(object, ruleset: ruleset)
        if let bytes = CachedVerdict(report)?.bytes { cache.store(bytes, .verdict, key: key) }
        return (report, false)
    }

    /// How `verify` dry-runs, for the verdict's key: another vtapc may
    /// dry-run another way.
    static let dryRunDescription =
        "vtapc \(VtapVersion.current); object vtap; globals "
        + ObjectContract.programGlobals.sorted { $0.key < $1.key }.map {
            "\($0.key)=\($0.value.sorted { $0.key < $1.key })"
        }
        .joined(separator: ",")

    /// Loads the object once and unloads it: the kernel's own verdict.
    static func verify(_ object: [UInt8], ruleset: Ruleset) throws -> VerifierReport {
        let report: VerifierReport
        do {
            report = try Verifier.dryRun(object: object, name: "vtap", globals: ObjectContract.programGlobals)
        } catch let error as BPFError {
            switch error.kind {
            case .permission:
                throw CompileError.environment(
                    "the kernel refused to load BPF programs (\(error.description)); run as root or with CAP_BPF, or pass --no-verify"
                )
            case .unsupported:
                throw CompileError.environment(
                    "this kernel cannot verify the program (\(error.description)); pass --no-verify to skip")
            default:
                throw CompileError.internalError("verifier dry-run failed: \(error.description)")
            }
        } catch {
            throw CompileError.internalError("verifier dry-run failed: \(error)")
        }
        if let rejected = report.rejected {
            let log = rejected.rejectionLog ?? VerifierLog("")
            throw CompileError.verifierRejected(
                VerifierRejection(program: rejected.name, log: log, rules: ruleset.rules))
        }
        return report
    }

    /// Rules no packet reaches because earlier rules together cover them;
    /// sema already names a single covering rule, so those are not repeated.
    static func unreachableWarnings(_ source: ProgramSource, _ ruleset: Ruleset, already: [Diagnostic]) -> [Diagnostic]
    {
        let reported = Set(already.filter { $0.id == .ruleShadowed || $0.id == .ruleDuplicate }.compactMap(\.range))
        return source.unreachableRules.compactMap { index in
            let rule = ruleset.rules[index]
            guard !reported.contains(rule.range) else { return nil }
            return .warning(
                .ruleUnreachable,
                "\(rule.displayName) can never match: earlier rules together match every packet it matches",
                at: rule.range)
        }
    }

    /// The ruleset as a whole is too much for the classifier: said with the
    /// figures, at the RULES array, before clang runs.
    static func capacityError(_ capacity: Classifier.CapacityExceeded, _ ruleset: Ruleset) -> Diagnostic {
        let range = ruleset.rules.first.map(\.range)
        return .error(
            .rulesetCapacity, "the rules exceed the classifier's capacity: \(capacity)", at: range,
            notes: [
                .init(
                    "docs/design.md (Capacity) gives the limits; splitting the file, or fewer overlapping wide rules, brings it within them"
                )
            ])
    }
}

/// Wall time of consecutive phases.
struct PhaseClock {
    private(set) var phases: [(name: String, duration: Duration)] = []
    private var last = ContinuousClock.now

    mutating func lap(_ name: String) {
        let now = ContinuousClock.now
        phases.append((name, now - last))
        last = now
    }
}
