import Foundation
import Testing
import VtapTestSupport

/// promtool (Debian package prometheus) as an independent judge of the
/// text format.
enum Promtool {
    static let path: String? = executable("promtool")
    static let prometheusPath: String? = executable("prometheus")

    static func executable(_ name: String) -> String? {
        let directories = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":")
        return directories.map { "\($0)/\(name)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// `promtool check metrics` on the bytes: its status and what it said.
    static func checkMetrics(_ bytes: [UInt8]) throws -> CommandResult {
        try CommandRunner.run(["promtool", "check", "metrics"], timeout: .seconds(20), input: bytes)
    }
}

extension Trait where Self == ConditionTrait {
    /// Skipped without promtool, except under CI=true: there it fails.
    static var promtool: Self {
        .enabled(
            if: Promtool.path != nil || KernelSupport.isCI,
            "needs promtool (apt-get install prometheus); runs, and fails, when CI=true")
    }

    /// Skipped without the prometheus server, except under CI=true: there it fails.
    static var prometheus: Self {
        .enabled(
            if: Promtool.prometheusPath != nil || KernelSupport.isCI,
            "needs prometheus (apt-get install prometheus); runs, and fails, when CI=true")
    }
}
