import Foundation
import Testing

/// The Debian packages `scripts/package` puts in dist/ (scripts/test builds
/// them before the tests run), for the tests of what a test host installs.
public enum BuiltPackages {
    public static var distDirectory: URL { RepositoryLayout.file("dist") }

    /// The version the built tools print, which names the packages.
    public static let version: String? = {
        guard let result = try? CommandRunner.run([BuiltProducts.vtap, "--version"]), result.succeeded else {
            return nil
        }
        return result.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines)
    }()

    public static func package(_ name: String) -> URL? {
        guard let version else { return nil }
        let file = distDirectory.appendingPathComponent("\(name)_\(version)_amd64.deb")
        return FileManager.default.fileExists(atPath: file.path) ? file : nil
    }

    public static var available: Bool { package("vtap") != nil && package("vtapc") != nil }

    /// The package's files under `directory` (`dpkg-deb -x`), without installing it.
    public static func extract(_ name: String, into directory: URL) throws -> URL {
        guard let deb = package(name) else { throw MissingPackage(name: name, version: version) }
        try CommandRunner.check(["dpkg-deb", "-x", deb.path, directory.path])
        return directory
    }
}

public struct MissingPackage: Error, CustomStringConvertible {
    public var name: String
    public var version: String?
    public var description: String {
        "dist/ has no \(name) package for version \(version ?? "?"): run scripts/package first"
    }
}

extension Trait where Self == ConditionTrait {
    /// For tests of the packages in dist/. Skipped when they have not been
    /// built, except under CI=true: scripts/test builds them, so there the
    /// test runs and fails.
    public static var packaged: Self {
        .enabled(
            if: BuiltPackages.available || KernelSupport.isCI, "needs dist/ from scripts/package (fails when CI=true)")
    }
}

/// Runs commands where the Swift toolchain and LLVM are not: a private mount
/// namespace (`unshare --mount`) with an empty directory bound over the
/// toolchain and /dev/null over every LLVM and clang shared library, as on a
/// test host that has neither.
public enum HiddenToolchain {
    /// The toolchain's root (the directory above usr/bin/swift).
    public static var toolchainRoot: String {
        let swift = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin").split(separator: ":")
            .map { URL(fileURLWithPath: String($0)).appendingPathComponent("swift").path }
            .first { FileManager.default.isExecutableFile(atPath: $0) }
        let resolved = swift.map { URL(fileURLWithPath: $0).resolvingSymlinksInPath() }
        // <root>/usr/bin/swift
        return resolved?.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
            ?? "/opt/swift"
    }

    /// Every LLVM and clang library the dynamic linker could find.
    public static var compilerLibraries: [String] {
        let directories = ["/usr/lib/x86_64-linux-gnu", "/lib/x86_64-linux-gnu"]
        var found: [String] = []
        for directory in directories {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
            // Through the links: the files themselves (a dangling link is no library).
            for name in names where name.hasPrefix("libLLVM") || name.hasPrefix("libclang") {
                let file = URL(fileURLWithPath: directory + "/" + name).resolvingSymlinksInPath().path
                var isDirectory: ObjCBool = false
                if FileManager.default.fileExists(atPath: file, isDirectory: &isDirectory), !isDirectory.boolValue,
                    !found.contains(file)
                {
                    found.append(file)
                }
            }
        }
        return found
    }

    /// `arguments` prefixed to run inside the hiding mount namespace.
    public static func wrap(_ arguments: [String], emptyDirectory: URL) -> [String] {
        // The libraries first: some resolve into /usr/lib/llvm-14, hidden last.
        var script = "set -e; mount --bind \"$0\" \(shellQuote(toolchainRoot)); "
        for library in compilerLibraries {
            script += "mount --bind /dev/null \(shellQuote(library)); "
        }
        script += "if [ -d /usr/lib/llvm-14 ]; then mount --bind \"$0\" /usr/lib/llvm-14; fi; exec \"$@\""
        return ["unshare", "--mount", "--propagation", "private", "sh", "-c", script, emptyDirectory.path] + arguments
    }

    private static func shellQuote(_ text: String) -> String {
        "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}
