import Foundation
import VtapDiagnostics
import VtapFuzz

// vtap-fuzz TARGET [libFuzzer flags and corpus directories]
// vtap-fuzz seed TARGET DIRECTORY REPOSITORY VTAPC [SEED_DATA]
//
// Built by scripts/fuzz with -DFUZZING, coverage and AddressSanitizer,
// libFuzzer drives the target. Built plainly (swift build), it runs the
// files named after the target through it, once each, as libFuzzer does
// with files: how a saved crash is replayed without the instrumented build.
// `seed` writes a target's seed corpus (the plain build writes it for the
// instrumented one).
let arguments = CommandLine.arguments
if arguments.count >= 6, arguments[1] == "seed", let target = FuzzTarget(rawValue: arguments[2]) {
    let directory = URL(fileURLWithPath: arguments[3])
    let corpus = FuzzCorpus(
        repository: URL(fileURLWithPath: arguments[4]),
        seedData: arguments.count > 6 ? URL(fileURLWithPath: arguments[6]) : nil,
        vtapc: arguments[5], scratch: directory.appendingPathComponent(".scratch"))
    do {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        for seed in try corpus.seeds(for: target) {
            try Data(seed.bytes).write(to: directory.appendingPathComponent("seed-" + seed.name))
        }
        if let dictionary = try corpus.dictionary(for: target) {
            try Data(dictionary.utf8).write(to: directory.appendingPathExtension("dict"))
        }
        try? FileManager.default.removeItem(at: directory.appendingPathComponent(".scratch"))
        exit(0)
    } catch {
        StandardStreams.writeError("vtap-fuzz: seeds for \(target.rawValue): \(error)\n")
        exit(1)
    }
}
guard arguments.count >= 2, let target = FuzzTarget(rawValue: arguments[1]) else {
    let names = FuzzTarget.allCases.map(\.rawValue).joined(separator: ", ")
    StandardStreams.writeError("usage: vtap-fuzz TARGET [FILE...]; targets: \(names)\n")
    exit(64)
}

#if FUZZING
    @_silgen_name("LLVMFuzzerRunDriver")
    func runDriver(
        _ argc: UnsafeMutablePointer<CInt>,
        _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
        _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
    ) -> CInt

    nonisolated(unsafe) var chosen = target
    // libFuzzer reads its own flags: the target's name is taken out.
    var rest = [arguments[0]] + arguments.dropFirst(2)
    var argc = CInt(rest.count)
    var cStrings = rest.map { strdup($0) } + [nil]
    exit(
        cStrings.withUnsafeMutableBufferPointer { buffer in
            guard var argv = buffer.baseAddress else { return 70 }
            return runDriver(&argc, &argv) { data, size in
                let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
                do { try chosen.run(bytes) } catch { fatalError("\(error)") }
                return 0
            }
        })
#else
    var failed = false
    for path in arguments.dropFirst(2) {
        guard let data = FileManager.default.contents(atPath: path) else {
            StandardStreams.writeError("vtap-fuzz: cannot read \(path)\n")
            exit(66)
        }
        do {
            try target.run(Array(data))
        } catch {
            StandardStreams.writeError("vtap-fuzz: \(path): \(error)\n")
            failed = true
        }
    }
    exit(failed ? 1 : 0)
#endif
