import ArgumentParser
import Foundation
import VtapCodegen
import VtapCompiler
import VtapDiagnostics
import VtapRuleModel
import VtapSystem

@main
struct Vtapc: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vtapc",
        abstract: "Compile a vtap rules file into a verified BPF object and its manifest.",
        discussion: """
            Exit codes: 0 success, 1 errors in the rules, 2 the kernel verifier rejected \
            the program, 3 the kernel cannot verify here (no privilege or BPF support), \
            4 a file could not be read or written, 64 bad usage, 70 internal error.
            """,
        version: RulesCompiler.version,
        subcommands: [Compile.self, Check.self],
        defaultSubcommand: Compile.self)
}

struct DiagnosticOptions: ParsableArguments {
    @Option(help: "How to print diagnostics: text or json.")
    var format: DiagnosticFormat = .text

    @Flag(name: .customLong("no-verify"), help: "Skip the kernel verifier dry-run.")
    var noVerify = false

    @Flag(name: .shortAndLong, help: "Also print the time each phase took.")
    var verbose = false

    @Option(
        name: .customLong("max-diagnostics"), parsing: .unconditional,
        help: ArgumentHelp(
            "Print at most N errors and warnings per file, then one line per id saying how many more; 0 prints all.",
            discussion: "JSON output always holds every diagnostic.", valueName: "N"))
    var maxDiagnostics = 50

    func validate() throws {
        if maxDiagnostics < 0 { throw ValidationError("--max-diagnostics must be 0 (all) or more") }
    }
}

/// The classifier's capacity, which a pipeline may tighten: each partition
/// is one more table walk for every packet.
struct CapacityOptions: ParsableArguments {
    static let partitionRange = 1...64

    @Option(
        name: .customLong("max-partitions"), parsing: .unconditional,
        help: ArgumentHelp(
            "Refuse rules that need more than N partitions per address family (each is one table walk per packet).",
            valueName: "N"))
    var maxPartitions = Classifier.Limits.standard.maxPartitions

    var limits: Classifier.Limits { Classifier.Limits(maxPartitions: maxPartitions) }

    func validate() throws {
        guard Self.partitionRange.contains(maxPartitions) else {
            throw ValidationError(
                "--max-partitions must be \(Self.partitionRange.lowerBound)-\(Self.partitionRange.upperBound)")
        }
    }
}

enum DiagnosticFormat: String, ExpressibleByArgument, CaseIterable {
    case text
    case json
}

struct Compile: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Compile RULES into an object (the default command): vtapc RULES.json -o FILE.o",
        discussion: """
            The packet program depends on the rules only through their settings; vtapc keeps it compiled in \
            $VTAP_CACHE_DIR, else $XDG_CACHE_HOME/vtap, else ~/.cache/vtap (VTAP_CACHE_DIR= turns that off), \
            and links it with each ruleset's decision code. It also keeps each linked object, and the \
            verifier's acceptance of its bytes on this kernel (same kernel build, JIT settings and \
            capabilities), so the same rules again skip clang and the dry-run. The object is the same bytes \
            either way.
            """)

    @Argument(help: "The rules file.")
    var rules: String

    @Option(name: .shortAndLong, help: "The object to write; the manifest goes beside it. Default: bpf-out/NAME.o")
    var output: String?

    @Option(
        name: .customLong("emit-c"),
        help:
            "Also write the generated C here: the packet program to FILE, the decision code to FILE's name with .match.c for .c."
    )
    var emitC: String?

    /// --emit-c's files: the packet program, then the decision code beside it.
    var emittedC: [String] {
        guard let emitC else { return [] }
        let stem = emitC.hasSuffix(".c") ? String(emitC.dropLast(2)) : emitC
        return [emitC, stem + ".match.c"]
    }

    @Flag(name: .shortAndLong, help: "On success, print warnings only (vtap runs vtapc this way).")
    var quiet = false

    @OptionGroup var options: DiagnosticOptions
    @OptionGroup var capacity: CapacityOptions

    /// The default object: bpf-out/NAME.o, bpf-out made when missing.
    static let defaultDirectory = "bpf-out"

    var objectPath: String {
        output
            ?? "\(Self.defaultDirectory)/\(URL(fileURLWithPath: rules).deletingPathExtension().lastPathComponent).o"
    }

    /// No output may be the rules file (`vtapc r.json -o r.json` wrote the
    /// object over it).
    func validate() throws {
        let outputs = [objectPath, Manifest.path(forObject: objectPath)] + emittedC
        for path in outputs where FileIdentity.same(path, rules) {
            throw ValidationError("\(path) is the rules file; choose another output")
        }
    }

    func run() throws {
        if output == nil {
            // A failure shows as the write's own error, naming the path.
            try? FileManager.default.createDirectory(atPath: Self.defaultDirectory, withIntermediateDirectories: true)
        }
        let report = Report(format: options.format, verbose: options.verbose, maxDiagnostics: options.maxDiagnostics)
        do {
            let compiled = try compileAndWrite(to: objectPath)
            try report.success(compiled, wrote: objectPath, quiet: quiet)
        } catch {
            let failure = CompileError.wrapping(error)
            // The report of a report that cannot be written goes to stderr.
            do { try report.failure(failure) } catch {
                StandardStreams.writeError("vtapc: error: \(failure.message)\n")
            }
            throw ExitCode(failure.exitCode)
        }
    }

    private func compileAndWrite(to objectPath: String) throws -> CompiledRuleset {
        let compiled = try RulesCompiler.compile(
            rulesPath: rules,
            options: .init(
                verify: !options.noVerify, objectFileName: URL(fileURLWithPath: objectPath).lastPathComponent,
                limits: capacity.limits, keepsVerdicts: true))
        var files = [
            (path: objectPath, data: Data(compiled.object)),
            (path: Manifest.path(forObject: objectPath), data: try OutputFiles.encodeManifest(compiled.manifest)),
        ]
        for (path, unit) in zip(emittedC, compiled.source.units) { files.append((path, Data(unit.text.utf8))) }
        try OutputFiles.writeAll(files)
        return compiled
    }
}

struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check rules files as a compile would, writing nothing, not even to the cache (for CI).",
        discussion: "Exits with the code of the first file that fails.")

    @Argument(help: "The rules files.")
    var rules: [String]

    @OptionGroup var options: DiagnosticOptions
    @OptionGroup var capacity: CapacityOptions

    func validate() throws {
        if rules.isEmpty { throw ValidationError("give at least one rules file") }
    }

    func run() throws {
        let report = Report(format: options.format, verbose: options.verbose, maxDiagnostics: options.maxDiagnostics)
        var firstFailure: Int32?
        var results: [FileResult] = []
        for path in rules {
            do {
                let compiled = try RulesCompiler.compile(
                    rulesPath: path,
                    options: .init(
                        verify: !options.noVerify, limits: capacity.limits,
                        cache: ProgramCache.standard()?.readOnly, keepsVerdicts: true))
                if options.format == .text { try report.success(compiled, wrote: nil) }
                results.append(FileResult(compiled))
            } catch {
                let failure = CompileError.wrapping(error)
                if options.format == .text { try report.failure(failure) }
                results.append(FileResult(path: path, error: failure))
                firstFailure = firstFailure ?? failure.exitCode
            }
        }
        if options.format == .json {
            do {
                try report.printJSON(CheckOutput(files: results))
            } catch {
                let failure = CompileError.wrapping(error)
                StandardStreams.writeError("vtapc: error: \(failure.message)\n")
                throw ExitCode(failure.exitCode)
            }
        }
        if let firstFailure { throw ExitCode(firstFailure) }
    }
}
