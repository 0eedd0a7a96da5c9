import Foundation
import Testing
import VtapTestSupport

extension EndToEnd {
    /// The packaged loader on a host without the Swift toolchain or LLVM:
    /// its ELF needs neither, it starts, replays and measures with them
    /// hidden, and it gives the same numbers as the build's own vtap.
    @Suite struct SlimLoader {
        /// The loader the vtap package installs, extracted from dist/.
        static func packagedLoader(in directory: TemporaryDirectory) throws -> String {
            let root = try BuiltPackages.extract("vtap", into: directory.file("root"))
            return root.appendingPathComponent("usr/bin/vtap").path
        }

        static let forbiddenLibraries = [
            "libLLVM", "libclang", "libswift", "libFoundation", "lib_FoundationICU", "libdispatch", "libBlocksRuntime",
        ]

        @Test(.packaged) func theLoaderNeedsNoCompilerAndNoSwiftRuntime() throws {
            let directory = try TemporaryDirectory(prefix: "vtap-slim")
            let vtap = try Self.packagedLoader(in: directory)
            // The ELF dynamic section, as binutils reads it.
            let dynamic = try CommandRunner.check(["readelf", "--dynamic", "--wide", vtap]).standardOutput
            let needed = dynamic.split(separator: "\n").compactMap { line -> String? in
                guard line.contains("(NEEDED)"), let open = line.firstIndex(of: "["),
                    let close = line.lastIndex(of: "]")
                else { return nil }
                return String(line[line.index(after: open)..<close])
            }
            #expect(needed.contains("libbpf.so.1") && needed.contains("libpcap.so.0.8"), "NEEDED: \(needed)")
            for library in needed {
                #expect(!Self.forbiddenLibraries.contains { library.hasPrefix($0) }, "vtap needs \(library)")
            }
            // SwiftPM links with RUNPATH $ORIGIN; nothing may point into a toolchain.
            let searchPaths = dynamic.split(separator: "\n").filter { $0.contains("RPATH") || $0.contains("RUNPATH") }
            for line in searchPaths {
                #expect(line.hasSuffix("[$ORIGIN]"), "a library search path beyond the binary's directory: \(line)")
            }
            // And as the dynamic linker resolves it: nothing from the toolchain, nothing missing.
            let resolved = try CommandRunner.check(["ldd", vtap]).standardOutput
            #expect(!resolved.contains("not found"), "\(resolved)")
            #expect(!resolved.contains(HiddenToolchain.toolchainRoot), "\(resolved)")
            for prefix in Self.forbiddenLibraries {
                #expect(!resolved.contains(prefix), "ldd: \(prefix) in \(resolved)")
            }
        }

        @Test(.kernel, .packaged) func itRunsWhereTheToolchainIsNot() throws {
            let directory = try TemporaryDirectory(prefix: "vtap-slim")
            let vtap = try Self.packagedLoader(in: directory)
            let empty = directory.file("empty")
            try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
            let hidden = { (arguments: [String]) in HiddenToolchain.wrap(arguments, emptyDirectory: empty) }

            // The hiding works: the build's vtap, linked to the toolchain's runtime, cannot start there.
            let dynamicBuild = try CommandRunner.run(hidden([BuiltProducts.vtap, "--version"]))
            try #require(
                !dynamicBuild.succeeded && dynamicBuild.standardError.contains("error while loading shared libraries"),
                "the toolchain is not hidden: \(dynamicBuild.summary)")

            let version = try CommandRunner.run(hidden([vtap, "--version"]))
            let buildVersion = try CommandRunner.check([BuiltProducts.vtap, "--version"]).standardOutput
            #expect(version.succeeded && version.standardOutput == buildVersion, "\(version.summary)")

            // Replay of the shipped capture through vtapc's object: the same JSON as the build's vtap prints.
            let object = directory.file("seed.o")
            try RulesFile.compile(RepositoryLayout.file("rules/seed.json"), to: object)
            let capture = RepositoryLayout.file("rules/seed-traffic.pcap").path
            let replay = [object.path, capture, "--json"]
            let slim = try CommandRunner.run(hidden([vtap, "replay"] + replay), timeout: .seconds(60))
            let reference = try CommandRunner.check([BuiltProducts.vtap, "replay"] + replay, timeout: .seconds(60))
            #expect(slim.succeeded, "\(slim.summary)")
            #expect(
                !slim.standardOutput.isEmpty && slim.standardOutput == reference.standardOutput, "replay output differs"
            )

            // A live run on a test veth, hidden, against the build's vtap on the same crafted traffic.
            let lab = try NetworkLab()
            defer { lab.shutdown() }
            let (scenario, measured) = try TotalsScenario.record(in: lab, compiled: true, loader: hidden([vtap]))
            let (_, normal) = try TotalsScenario.record(in: lab, compiled: true)
            try #require(measured.summary.rules.count == scenario.matched.count)
            for (index, frames) in scenario.matched.enumerated() {
                #expect(measured.summary.rules[index].metrics.totals == frames.expectedTotals, "rule \(index): sent")
                #expect(
                    measured.summary.rules[index].metrics.totals == normal.summary.rules[index].metrics.totals,
                    "rule \(index): build's vtap")
            }
            #expect(
                measured.summary.unmatched == normal.summary.unmatched
                    && measured.summary.malformed == normal.summary.malformed)
            #expect(
                measured.summary.unmatched == scenario.unmatchedTally
                    && measured.summary.malformed == scenario.malformedTally)
        }

        /// A rules file needs a vtapc: without one reachable, the packaged
        /// vtap says so in one line with its documented exit code.
        @Test(.kernel, .packaged) func rulesFilesNeedAVtapc() throws {
            let lab = try NetworkLab()
            defer { lab.shutdown() }
            let directory = try TemporaryDirectory(prefix: "vtap-slim")
            let bad = try RulesFile.write(
                [.init(nil, "1.1.1.300 - - - UDP"), .init(nil, "3.3.3.3 - 80 - ICMP")], to: directory, name: "bad.json")
            let run = [bad.path, "-i", lab.receiverInterface, "--json"]

            // The packaged vtap alone (no vtapc beside it, none on PATH).
            let vtap = try Self.packagedLoader(in: directory)
            for (arguments, mentioning) in [
                (["run"] + run, "no vtapc was found"),
                (["run", "--vtapc", "/nonexistent/vtapc"] + run, "--vtapc /nonexistent/vtapc"),
                (["replay", bad.path, RepositoryLayout.file("rules/seed-traffic.pcap").path], "no vtapc was found"),
            ] {
                let result = try lab.run(
                    in: .receiver, ["env", "PATH=/usr/sbin:/usr/bin:/sbin:/bin", vtap] + arguments)
                #expect(result.status == 7, "\(arguments): \(result.summary)")
                let lines = result.standardError.split(separator: "\n")
                #expect(
                    lines.count == 1 && result.standardError.hasPrefix("vtap: error: ")
                        && result.standardError.contains(mentioning),
                    "\(result.standardError)")
                #expect(!result.standardError.contains(VtapRun.attachedMarker) && result.standardOutput.isEmpty)
            }
            // With --vtapc, the packaged vtap compiles the good rules and runs.
            let good = try RulesFile.write([.init("any", "- - - - -")], to: directory, name: "good.json")
            let ran = try lab.run(
                in: .receiver,
                [
                    vtap, "run", good.path, "--vtapc", BuiltProducts.vtapc, "-i", lab.receiverInterface,
                    "--json", "--duration", "1",
                ], timeout: .seconds(60))
            #expect(ran.succeeded && ran.standardError.contains(VtapRun.attachedMarker), "\(ran.summary)")
        }

        /// The unit's capabilities, read from the unit itself, are enough for
        /// an unprivileged user to attach and count, and each one is needed:
        /// without it vtap stops before attaching with exit 3.
        @Test(.kernel, .packaged) func theUnitsCapabilitiesAreExactlyEnough() throws {
            let unit = try String(contentsOf: RepositoryLayout.file("deploy/systemd/vtap@.service"), encoding: .utf8)
            let line = try #require(unit.split(separator: "\n").first { $0.hasPrefix("AmbientCapabilities=") })
            let capabilities = line.dropFirst("AmbientCapabilities=".count).split(separator: " ")
                .map { $0.lowercased().replacingOccurrences(of: "cap_", with: "") }
            #expect(Set(capabilities) == ["bpf", "perfmon", "net_raw"], "\(capabilities)")

            let lab = try NetworkLab()
            defer { lab.shutdown() }
            let directory = try TemporaryDirectory(prefix: "vtap-slim")
            let vtap = try Self.packagedLoader(in: directory)
            let rules = try RulesFile.write([.init("any", "- - - - -")], to: directory)
            let object = directory.file("filter.o")
            try RulesFile.compile(rules, to: object)
            let state = directory.file("state")
            try FileManager.default.createDirectory(at: state, withIntermediateDirectories: true)
            try CommandRunner.check(["chown", "65534:65534", state.path])
            for path in [directory.url.path] {
                try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: path)
            }
            for name in ["filter.o", "filter.manifest.json"] {
                try FileManager.default.setAttributes(
                    [.posixPermissions: 0o644], ofItemAtPath: directory.file(name).path)
            }
            func run(holding held: [String], attach: [String] = []) throws -> CommandResult {
                let set = (["-all"] + held.map { "+" + $0 }).joined(separator: ",")
                return try lab.run(
                    in: .receiver,
                    [
                        "env", "VTAP_STATE_DIR=\(state.path)", "setpriv", "--reuid=65534", "--regid=65534",
                        "--clear-groups",
                        "--no-new-privs", "--inh-caps=\(set)", "--ambient-caps=\(set)", "--bounding-set=\(set)", vtap,
                        "run",
                        object.path, "-i", lab.receiverInterface, "--duration", "2", "--json", "--no-server",
                    ] + attach, timeout: .seconds(60))
            }
            let enough = try run(holding: capabilities)
            #expect(enough.succeeded && enough.standardError.contains(VtapRun.attachedMarker), "\(enough.summary)")
            for missing in capabilities {
                let refused = try run(holding: capabilities.filter { $0 != missing })
                #expect(
                    refused.status == 3 && !refused.standardError.contains(VtapRun.attachedMarker),
                    "without \(missing): \(refused.summary)")
                // The refusal names what is missing, not only what might be.
                let name = "CAP_" + missing.uppercased().replacingOccurrences(of: "CAP_", with: "")
                #expect(
                    refused.standardError.contains("this process lacks \(name)"),
                    "without \(missing): \(refused.standardError)")
            }
            // The unit's set is the socket's: TC and XDP also need
            // CAP_NET_ADMIN, and the refusal says so; with it they attach.
            for mode in ["tc", "xdp"] {
                let refused = try run(holding: capabilities, attach: ["--attach", mode])
                #expect(
                    refused.status == 3 && refused.standardError.contains("--attach \(mode) also needs CAP_NET_ADMIN"),
                    "\(refused.summary)")
                let linked = try run(holding: capabilities + ["net_admin"], attach: ["--attach", mode])
                #expect(
                    linked.succeeded && linked.standardError.contains(VtapRun.attachedMarker), "\(linked.summary)")
            }
        }
    }
}
