import Foundation
import VtapSystem

/// The whole `vtapc` process per ruleset size: wall time from spawn to
/// exit, peak RSS from the kernel's rusage, the verifier's instruction
/// count and phases from `vtapc -v`, the object's size.
public enum CompileCostBenchmark {
    public static func run(_ options: BenchOptions, vtapc: String) throws -> CompileCostSection {
        var section = CompileCostSection()
        for count in options.ruleCounts {
            let rules = options.workDirectory.appendingPathComponent("rules-\(count).json")
            try PacketCostBenchmark.rulesText(count: count).write(to: rules, atomically: true, encoding: .utf8)
            let object = options.workDirectory.appendingPathComponent("rules-\(count).o")
            options.log("  vtapc \(count) rules")
            let process = try SpawnedProcess.run(vtapc, [rules.path, "-o", object.path, "-v"])
            let objectBytes = (try? FileManager.default.attributesOfItem(atPath: object.path)[.size] as? Int) ?? 0
            let strategy = Self.strategy(
                manifest: object.deletingPathExtension().appendingPathExtension("manifest.json"))
            section.rulesets.append(
                CompileCost(
                    rules: count, strategy: strategy ?? "?", wallSeconds: process.wallSeconds,
                    peakRSSBytes: process.peakRSSBytes,
                    verifiedInstructions: Self.verified(process.stderr), objectBytes: objectBytes,
                    phases: Self.phases(process.stderr),
                    failure: process.status == 0 ? nil : "vtapc exited \(process.status): \(process.stderr.prefix(300))"
                ))
        }
        return section
    }

    /// "…, verified: 13748 instructions processed, …"
    static func verified(_ text: String) -> Int? {
        guard let range = text.range(of: "verified: ") else { return nil }
        return Int(text[range.upperBound...].prefix(while: \.isNumber))
    }

    /// "  clang: 812 ms" lines.
    static func phases(_ text: String) -> [String: Double] {
        var out: [String: Double] = [:]
        for line in text.split(separator: "\n") where line.hasPrefix("  ") && line.hasSuffix(" ms") {
            let parts = line.trimmingCharacters(in: .whitespaces).split(separator: ":")
            if parts.count == 2, let ms = Double(parts[1].dropLast(3).trimmingCharacters(in: .whitespaces)) {
                out[String(parts[0])] = ms / 1000
            }
        }
        return out
    }

    static func strategy(manifest: URL) -> String? {
        guard let data = FileManager.default.contents(atPath: manifest.path),
            let top = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
            let build = top["build"] as? [String: Any]
        else { return nil }
        return build["strategy"] as? String
    }
}

/// A child process, its wall time, and its peak RSS from GNU time.
///
/// Not from our own wait4: posix_spawn starts the child in this process's
/// address space, and the kernel keeps the largest RSS that space had
/// (`exec` records it as the child's), so a child of a benchmark holding
/// gigabytes of bit vectors would report them. /usr/bin/time forks the
/// command from its own small process, whose peak is the command's.
struct SpawnedProcess {
    var status: Int32
    var wallSeconds: Double
    var peakRSSBytes: Int
    var stderr: String

    static let timeCommand = "/usr/bin/time"

    static func run(_ path: String, _ arguments: [String]) throws -> SpawnedProcess {
        let rssPath = temporaryPath("rss")
        defer { unlink(rssPath) }
        var process = try spawn(Self.timeCommand, ["-f", "%M", "-o", rssPath, path] + arguments)
        let text = (try? String(contentsOfFile: rssPath, encoding: .utf8)) ?? ""
        // GNU time: the command's ru_maxrss in KiB, on the last line.
        guard let kib = text.split(separator: "\n").last.flatMap({ Int($0.trimmingCharacters(in: .whitespaces)) })
        else {
            throw BenchMismatch(description: "\(Self.timeCommand) gave no peak RSS for \(path): \(text.prefix(200))")
        }
        process.peakRSSBytes = kib * 1024
        return process
    }

    /// A file name of this run's own in the temporary directory.
    private static func temporaryPath(_ suffix: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent(
            "vtap-bench-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).\(suffix)"
        ).path
    }

    private static func spawn(_ path: String, _ arguments: [String]) throws -> SpawnedProcess {
        let errPath = temporaryPath("err")
        defer { unlink(errPath) }
        let start = ContinuousClock.now
        let termination: ChildProcess.Termination
        do {
            termination = try ChildProcess.spawn(
                path, arguments: arguments, standardOutput: .null, standardError: .file(errPath, append: false)
            ).wait()
        } catch {
            throw BenchMismatch(description: "cannot run \(path): \(error)")
        }
        let elapsed = ContinuousClock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let text = (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? ""
        return SpawnedProcess(status: termination.status, wallSeconds: seconds, peakRSSBytes: 0, stderr: text)
    }
}
