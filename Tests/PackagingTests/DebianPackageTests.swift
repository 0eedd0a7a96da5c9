import Foundation
import Testing
import VtapTestSupport

/// The Debian packages from scripts/package, as dpkg, lintian and systemd
/// see them: their dependencies, their files once installed into a scratch
/// root, and the service unit.
@Suite(.serialized) struct DebianPackages {
    /// `dpkg-deb --field`: one control field.
    static func field(_ name: String, of package: String) throws -> String {
        let deb = try #require(BuiltPackages.package(package), "dist/ has no \(package) package: run scripts/package")
        return try CommandRunner.check(["dpkg-deb", "--field", deb.path, name]).standardOutput
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Package names in a Depends field, without versions.
    static func dependencies(of package: String) throws -> Set<String> {
        Set(
            try field("Depends", of: package).split(separator: ",").map {
                String($0.split(separator: " ")[0]).trimmingCharacters(in: .whitespaces)
            })
    }

    @Test(.packaged) func theLoaderDependsOnLibbpfAndLibpcapAndTheBaseSystemOnly() throws {
        let depends = try Self.dependencies(of: "vtap")
        #expect(depends.isSuperset(of: ["libbpf1", "libpcap0.8"]), "\(depends)")
        // What Debian's own tools say the static Swift runtime still needs
        // (libc, the C++ runtime) is part of every Debian system.
        let baseSystem: Set = ["libc6", "libgcc-s1", "libstdc++6"]
        #expect(depends.subtracting(["libbpf1", "libpcap0.8"]).isSubset(of: baseSystem), "\(depends)")
        let compiler = try Self.dependencies(of: "vtapc")
        #expect(compiler.contains("libllvm14") && compiler.contains("libclang-cpp14"), "\(compiler)")
        #expect(
            !compiler.contains { $0.hasPrefix("swift") }
                && !depends.contains { $0.contains("llvm") || $0.contains("clang") })
        #expect(try Self.field("Architecture", of: "vtap") == "amd64")
        #expect(try Self.field("Version", of: "vtapc") == BuiltPackages.version)
    }

    /// Both packages installed with dpkg into an empty root (dependencies
    /// are the host's business there), then listed and run.
    @Test(.packaged) func theyInstallWithEverythingTheyClaim() throws {
        let directory = try TemporaryDirectory(prefix: "vtap-dpkg")
        let root = directory.file("root").path
        for path in ["var/lib/dpkg/info", "var/lib/dpkg/updates", "var/lib/dpkg/triggers"] {
            try FileManager.default.createDirectory(atPath: root + "/" + path, withIntermediateDirectories: true)
        }
        for file in ["var/lib/dpkg/status", "var/lib/dpkg/available"] {
            FileManager.default.createFile(atPath: root + "/" + file, contents: Data())
        }
        let debs = try ["vtap", "vtapc"].map { try #require(BuiltPackages.package($0)).path }
        let install = try CommandRunner.run(
            ["dpkg", "--root=\(root)", "--force-depends", "--force-script-chrootless", "--log=/dev/null", "-i"] + debs,
            timeout: .seconds(120))
        try #require(install.succeeded, "\(install.summary)")

        for package in ["vtap", "vtapc"] {
            let status = try CommandRunner.check(["dpkg-query", "--root=\(root)", "-W", "-f=${Status}", package])
                .standardOutput
            #expect(status == "install ok installed", "\(package): \(status)")
        }
        let loaderFiles = Set(
            try CommandRunner.check(["dpkg-query", "--root=\(root)", "-L", "vtap"]).standardOutput
                .split(separator: "\n").map(String.init))
        let subcommands = ["run", "replay", "start", "stop", "status"]
        var expected = [
            "/usr/bin/vtap", "/lib/systemd/system/vtap@.service", "/usr/share/man/man1/vtap.1.gz",
            "/usr/share/bash-completion/completions/vtap", "/usr/share/zsh/vendor-completions/_vtap",
            "/usr/share/fish/vendor_completions.d/vtap.fish", "/usr/share/doc/vtap/copyright",
            "/usr/share/doc/vtap/changelog.gz", "/usr/share/doc/vtap/examples/example.env",
        ]
        expected += subcommands.map { "/usr/share/man/man1/vtap-\($0).1.gz" }
        for path in expected { #expect(loaderFiles.contains(path), "vtap package lacks \(path)") }
        #expect(!loaderFiles.contains { $0.hasSuffix("vtapc") }, "the loader ships no compiler")

        let compilerFiles = Set(
            try CommandRunner.check(["dpkg-query", "--root=\(root)", "-L", "vtapc"]).standardOutput
                .split(separator: "\n").map(String.init))
        let shippedRules = try FileManager.default.contentsOfDirectory(atPath: RepositoryLayout.file("rules").path)
            .filter { $0.hasSuffix(".json") }
        #expect(!shippedRules.isEmpty)
        for name in shippedRules {
            #expect(
                compilerFiles.contains("/usr/share/doc/vtapc/examples/\(name)"),
                "vtapc package lacks the example \(name)")
        }
        for path in [
            "/usr/bin/vtapc", "/usr/share/man/man1/vtapc.1.gz", "/usr/share/bash-completion/completions/vtapc",
        ] {
            #expect(compilerFiles.contains(path), "vtapc package lacks \(path)")
        }

        // The installed tools run, and the installed vtapc compiles an installed example.
        let vtap = root + "/usr/bin/vtap"
        let vtapc = root + "/usr/bin/vtapc"
        #expect(try CommandRunner.check([vtap, "--version"]).standardOutput.contains(BuiltPackages.version ?? "?"))
        let object = directory.file("seed.o").path
        let compiled = try CommandRunner.run(
            [vtapc, root + "/usr/share/doc/vtapc/examples/seed.json", "-o", object, "--no-verify"],
            timeout: .seconds(60))
        #expect(
            compiled.succeeded && FileManager.default.fileExists(atPath: directory.file("seed.manifest.json").path),
            "\(compiled.summary)")

        // Man pages are roff with a title per command; completions parse in their shell.
        let page = try CommandRunner.check(["sh", "-c", "gzip -dc '\(root)/usr/share/man/man1/vtap-run.1.gz'"])
            .standardOutput
        #expect(
            page.contains(".Dt VTAP-RUN 1") && page.contains(".Nm vtap-run"), "not vtap-run(1): \(page.prefix(200))")
        #expect(page.contains("Fl -vtapc"), "the page documents run's options")
        let bash = try CommandRunner.run(["bash", "-n", root + "/usr/share/bash-completion/completions/vtap"])
        #expect(bash.succeeded, "\(bash.summary)")
        let completion = try String(
            contentsOfFile: root + "/usr/share/bash-completion/completions/vtap", encoding: .utf8)
        for subcommand in subcommands {
            #expect(completion.contains(subcommand), "bash completion lacks \(subcommand)")
        }

        // Removing leaves nothing of theirs behind.
        try CommandRunner.check(
            ["dpkg", "--root=\(root)", "--force-script-chrootless", "--log=/dev/null", "--purge", "vtap", "vtapc"],
            timeout: .seconds(60))
        for path in expected + ["/usr/bin/vtapc"] {
            #expect(!FileManager.default.fileExists(atPath: root + path), "\(path) left")
        }
    }

    /// lintian, Debian's package checker: no error or warning, and every
    /// tag it still reports at a lower level is overridden, with a reason,
    /// inside the package.
    @Test(.packaged) func lintianFindsNothingUnexplained() throws {
        let debs = try ["vtap", "vtapc"].map { try #require(BuiltPackages.package($0)).path }
        let result = try CommandRunner.run(
            ["lintian", "--tag-display-limit", "0", "--display-info", "--show-overrides"] + debs, timeout: .seconds(600)
        )
        let lines = result.standardOutput.split(separator: "\n").map(String.init)
        let unexplained = lines.filter { $0.hasPrefix("E: ") || $0.hasPrefix("W: ") || $0.hasPrefix("I: ") }
        #expect(result.status == 0 && unexplained.isEmpty, "lintian: \(result.summary)")
        // The overrides that are used have a comment saying why.
        for package in ["vtap", "vtapc"] {
            let overrides = try String(
                contentsOf: RepositoryLayout.file("deploy/debian/\(package).lintian-overrides"), encoding: .utf8)
            var explained = false
            for line in overrides.split(separator: "\n") {
                if line.hasPrefix("#") {
                    explained = true
                    continue
                }
                #expect(explained, "\(package) override without a reason: \(line)")
                explained = false
            }
        }
    }

    /// systemd's own checker accepts the unit for an instance, once the
    /// binary it starts exists where the package puts it.
    @Test(.packaged) func systemdAcceptsTheUnit() throws {
        let directory = try TemporaryDirectory(prefix: "vtap-unit")
        let root = try BuiltPackages.extract("vtap", into: directory.file("root"))
        let unit = try String(
            contentsOf: root.appendingPathComponent("lib/systemd/system/vtap@.service"), encoding: .utf8)
        let shipped = try String(contentsOf: RepositoryLayout.file("deploy/systemd/vtap@.service"), encoding: .utf8)
        #expect(unit == shipped, "the package ships deploy/systemd/vtap@.service")
        // The unit names /usr/bin/vtap; here it points at the packaged binary instead.
        let installed = root.appendingPathComponent("usr/bin/vtap").path
        let local = unit.replacingOccurrences(of: "ExecStart=/usr/bin/vtap ", with: "ExecStart=\(installed) ")
        try #require(local != unit, "ExecStart=/usr/bin/vtap not found in the unit")
        let units = directory.file("units")
        try FileManager.default.createDirectory(at: units, withIntermediateDirectories: true)
        try local.write(to: units.appendingPathComponent("vtap@.service"), atomically: true, encoding: .utf8)
        let verify = try CommandRunner.run(
            ["systemd-analyze", "verify", "--man=no", units.appendingPathComponent("vtap@test.service").path],
            timeout: .seconds(60))
        #expect(verify.succeeded && verify.standardError.isEmpty && verify.standardOutput.isEmpty, "\(verify.summary)")
        // It can fail: a unit with an unknown directive is refused.
        try (local + "\nNoSuchDirective=yes\n").write(
            to: units.appendingPathComponent("vtap@.service"), atomically: true, encoding: .utf8)
        let broken = try CommandRunner.run(
            ["systemd-analyze", "verify", "--man=no", units.appendingPathComponent("vtap@test.service").path],
            timeout: .seconds(60))
        #expect(!broken.standardError.isEmpty, "systemd-analyze verify noticed nothing: \(broken.summary)")
        // Least privilege, as documented: three capabilities, no root.
        for line in [
            "CapabilityBoundingSet=CAP_BPF CAP_PERFMON CAP_NET_RAW",
            "AmbientCapabilities=CAP_BPF CAP_PERFMON CAP_NET_RAW",
            "DynamicUser=yes", "Restart=on-failure", "EnvironmentFile=/etc/vtap/%i.env",
        ] {
            #expect(unit.split(separator: "\n").contains(Substring(line)), "the unit lacks \(line)")
        }
    }
}
