import Foundation
import Testing
import VtapTestSupport

extension EndToEnd {
    /// Every refusal is one line on stderr with its documented exit code,
    /// before anything is measured; and a stopped vtap leaves no program
    /// loaded.
    @Suite struct BadInput {
        /// Runs `vtap run ARGS` in the lab's receiver namespace to completion.
        static func vtapRun(_ lab: NetworkLab, _ arguments: [String], prefix: [String] = []) throws -> CommandResult {
            try lab.run(in: .receiver, prefix + [BuiltProducts.vtap, "run"] + arguments, timeout: .seconds(90))
        }

        static func expectOneLineError(
            _ result: CommandResult, status: Int32, mentioning text: String? = nil,
            sourceLocation: SourceLocation = #_sourceLocation
        ) {
            #expect(result.status == status && !result.timedOut, "\(result.summary)", sourceLocation: sourceLocation)
            let lines = result.standardError.split(separator: "\n", omittingEmptySubsequences: true)
            #expect(lines.count == 1, "one line on stderr: \(result.standardError)", sourceLocation: sourceLocation)
            #expect(
                !result.standardError.contains(VtapRun.attachedMarker), "nothing attached",
                sourceLocation: sourceLocation)
            #expect(
                result.standardOutput.isEmpty, "nothing measured: \(result.standardOutput)",
                sourceLocation: sourceLocation)
            if let text {
                #expect(
                    result.standardError.contains(text), "mentions \(text): \(result.standardError)",
                    sourceLocation: sourceLocation)
            }
        }

        static func seedRules(_ lab: NetworkLab, in directory: TemporaryDirectory) throws -> URL {
            try RulesFile.write(
                [.init("udp", "\(lab.address(.sender)) \(lab.address(.receiver)) - - UDP")],
                settings: RulesFile.seedSequence, to: directory)
        }

        @Test(.kernel) func objectsNotBuiltByVtapcAreBadInput() throws {
            let lab = try NetworkLab()
            defer { lab.shutdown() }
            let directory = try TemporaryDirectory(prefix: "vtap-e2e-bad")
            // A real vtapc object whose manifest is gone.
            let rules = try Self.seedRules(lab, in: directory)
            let object = directory.file("filter.o")
            try RulesFile.compile(rules, to: object)
            try FileManager.default.removeItem(at: directory.file("filter.manifest.json"))
            Self.expectOneLineError(
                try Self.vtapRun(lab, [object.path, "-i", lab.receiverInterface, "--json"]), status: 1)
            // Any other ELF.
            let stray = directory.file("stray.o")
            try Data([0x7F, 0x45, 0x4C, 0x46, 2, 1, 1, 0] + [UInt8](repeating: 0, count: 56)).write(to: stray)
            Self.expectOneLineError(
                try Self.vtapRun(lab, [stray.path, "-i", lab.receiverInterface, "--json"]), status: 1,
                mentioning: "was not built by vtapc")
        }

        /// vtap compiles a rules file by running vtapc, whose diagnostics
        /// (every error, with its position and id) reach the user unchanged.
        @Test(.kernel) func rulesWithErrorsAreBadInput() throws {
            let lab = try NetworkLab()
            defer { lab.shutdown() }
            let directory = try TemporaryDirectory(prefix: "vtap-e2e-bad")
            let rules = try RulesFile.write(
                [.init(nil, "1.1.1.300 - - - UDP"), .init(nil, "3.3.3.3 - 80 - ICMP")], to: directory)
            let result = try Self.vtapRun(lab, [rules.path, "-i", lab.receiverInterface, "--json"])
            let direct = try CommandRunner.run([BuiltProducts.vtapc, "check", rules.path])
            #expect(result.status == 1 && direct.status == 1, "\(result.summary)")
            #expect(result.standardOutput.isEmpty && !result.standardError.contains(VtapRun.attachedMarker))
            #expect(
                result.standardError == direct.standardError, "vtapc's diagnostics unchanged: \(result.standardError)")
            for (place, id) in [(":3:", "[address-invalid]"), (":4:", "[ports-without-protocol-ports]")] {
                #expect(
                    result.standardError.contains(rules.path + place) && result.standardError.contains(id),
                    "\(place) \(id) in \(result.standardError)")
            }
        }

        @Test(.kernel) func missingFilesAndBadUsage() throws {
            let lab = try NetworkLab()
            defer { lab.shutdown() }
            let directory = try TemporaryDirectory(prefix: "vtap-e2e-bad")
            Self.expectOneLineError(
                try Self.vtapRun(lab, ["/nonexistent/rules.json", "-i", lab.receiverInterface, "--json"]), status: 4,
                mentioning: "/nonexistent/rules.json")
            let rules = try Self.seedRules(lab, in: directory)
            for arguments in [
                [String](), [rules.path, "--no-such-flag"], [rules.path, "--log-format", "xml"],
                [rules.path, "-t", "0"],
            ] {
                let result = try Self.vtapRun(lab, arguments)
                #expect(result.status == 64, "usage: vtap run \(arguments.joined(separator: " ")): \(result.summary)")
                #expect(!result.standardError.contains(VtapRun.attachedMarker))
            }
        }

        @Test(.kernel) func aMissingInterfaceIsExitFive() throws {
            let lab = try NetworkLab()
            defer { lab.shutdown() }
            let directory = try TemporaryDirectory(prefix: "vtap-e2e-bad")
            let rules = try Self.seedRules(lab, in: directory)
            Self.expectOneLineError(
                try Self.vtapRun(lab, [rules.path, "-i", lab.receiverInterface, "-i", "vtnosuch0", "--json"]),
                status: 5,
                mentioning: "vtnosuch0")
        }

        @Test(.kernel) func aSecondRunOnTheSameInterfaceIsRefused() throws {
            let lab = try NetworkLab()
            defer { lab.shutdown() }
            let directory = try TemporaryDirectory(prefix: "vtap-e2e-bad")
            let rules = try Self.seedRules(lab, in: directory)
            let endpoints = try lab.preparedEndpoints()
            let capture = try PacketCapture.start(in: lab, file: directory.file("received.pcap"))
            let metricsPort = Int.random(in: 20_000...60_000)
            let first = try VtapRun.start(in: lab, object: rules, options: ["--server-port", "\(metricsPort)"])
            let second = try Self.vtapRun(lab, [rules.path, "-i", lab.receiverInterface, "--json", "--no-server"])
            Self.expectOneLineError(second, status: 5, mentioning: lab.receiverInterface)
            #expect(second.standardError.contains("(pid \(first.processIdentifier))"), "\(second.standardError)")
            // Another state directory is no way around it (it was, with a lock file in the state directory).
            let elsewhere = try Self.vtapRun(
                lab, [rules.path, "-i", lab.receiverInterface, "--json", "--no-server"],
                prefix: ["env", "VTAP_STATE_DIR=\(directory.file("other-state").path)"])
            Self.expectOneLineError(elsewhere, status: 5, mentioning: lab.receiverInterface)
            // The first goes on measuring and ends normally.
            let frame = endpoints.ipv4.udp(from: 1, to: 2).payload([1, 2, 3]).bytes
            try lab.sendWithTrafgen([frame, frame])
            #expect(capture.waitForRecords(2))
            #expect(first.command.isRunning)
            // Its exporter too, refusals or not.
            let scraped = try lab.run(in: .receiver, ["curl", "-sS", "http://127.0.0.1:\(metricsPort)/metrics"])
            #expect(
                scraped.succeeded && scraped.standardOutput.contains("vtap_packets_total{"), "\(scraped.summary)")
            let outcome = first.stop(.interrupt)
            try capture.stop()
            let summary = try outcome.summary()
            #expect(
                summary.rules[0].metrics.packets == 2, "the first run still counts: \(summary.rules[0].metrics.totals)")
        }

        @Test(.kernel) func withoutPrivilegeItIsExitThree() throws {
            let lab = try NetworkLab()
            defer { lab.shutdown() }
            let directory = try TemporaryDirectory(prefix: "vtap-e2e-bad")
            let rules = try Self.seedRules(lab, in: directory)
            let object = directory.file("filter.o")
            try RulesFile.compile(rules, to: object)
            // Everything the unprivileged run reads is readable by it.
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: directory.url.path)
            for name in ["rules.json", "filter.o", "filter.manifest.json"] {
                try FileManager.default.setAttributes(
                    [.posixPermissions: 0o644], ofItemAtPath: directory.file(name).path)
            }
            let unprivileged = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all"]
            let readable = try lab.run(in: .receiver, unprivileged + ["cat", object.path])
            try #require(
                readable.succeeded, "the object must be readable for the test to mean anything: \(readable.summary)")
            for input in [object, rules] {
                Self.expectOneLineError(
                    try Self.vtapRun(lab, [input.path, "-i", lab.receiverInterface, "--json"], prefix: unprivileged),
                    status: 3)
            }
        }

        @Test(.kernel, arguments: [VtapRun.Stop.terminate, .interrupt])
        func aStoppedRunLeavesNoProgramLoaded(signal: VtapRun.Stop) throws {
            let lab = try NetworkLab()
            defer { lab.shutdown() }
            let directory = try TemporaryDirectory(prefix: "vtap-e2e-stop")
            let rules = try Self.seedRules(lab, in: directory)
            let before = Set(try LoadedProgram.measuring().map(\.id))
            let run = try VtapRun.start(in: lab, object: rules)
            // The program vtap holds, from its own file descriptors.
            let held = LoadedProgram.programIDs(heldBy: run.processIdentifier)
            let during = try LoadedProgram.measuring()
            #expect(!held.isEmpty, "vtap holds its program through a descriptor")
            #expect(
                held.isSubset(of: Set(during.map(\.id))),
                "bpftool lists vtap's program \(held) as vtap_measure: \(during)")
            #expect(held.isDisjoint(with: before))
            let outcome = run.stop(signal)
            #expect(outcome.endedCleanly, "\(outcome.result.summary)")
            #expect(try outcome.output().summaries.count == 1, "a summary after the signal")
            let left = try LoadedProgram.stillMeasuring(held)
            #expect(left.isEmpty, "still loaded after vtap ended: \(left)")
        }

        /// An XDP program someone else attached to the interface (here
        /// vtap's own XDP program, loaded by bpftool and attached by `ip`):
        /// `--attach xdp` exits 5 with one line naming the interface, leaves
        /// nothing of its own, and the other program stays where it was.
        @Test(.kernel) func anXDPProgramAlreadyOnTheInterfaceIsRefused() throws {
            let lab = try NetworkLab()
            defer { lab.shutdown() }
            let directory = try TemporaryDirectory(prefix: "vtap-e2e-xdp-busy")
            let rules = try Self.seedRules(lab, in: directory)
            let object = directory.file("filter.o")
            try RulesFile.compile(rules, to: object)
            let pins = "/sys/fs/bpf/vtap-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
            defer { try? FileManager.default.removeItem(atPath: pins) }
            try CommandRunner.check(["bpftool", "prog", "loadall", object.path, pins])
            // nsenter, not `ip netns exec`: that mounts a /sys of its own,
            // without the BPF file system the program is pinned in.
            let attach = try CommandRunner.run([
                "nsenter", "--net=/run/netns/\(lab.namespace(.receiver))", "bpftool", "net", "attach", "xdp", "pinned",
                "\(pins)/vtap_measure_xdp", "dev", lab.receiverInterface,
            ])
            try #require(attach.succeeded, "\(attach.summary)")
            func xdpProgram() throws -> String {
                let shown = try lab.run(in: .receiver, ["ip", "-d", "link", "show", "dev", lab.receiverInterface])
                return shown.standardOutput.split(separator: "\n").first { $0.contains("prog/xdp") }.map(String.init)
                    ?? ""
            }
            let before = try xdpProgram()
            #expect(before.contains("prog/xdp id"), "the other program is attached: \(before)")
            let loadedBefore = Set(try LoadedProgram.measuring().map(\.id))

            let result = try Self.vtapRun(lab, [object.path, "-i", lab.receiverInterface, "--attach", "xdp", "--json"])
            Self.expectOneLineError(result, status: 5, mentioning: lab.receiverInterface)
            #expect(result.standardError.contains("another XDP program"), "\(result.standardError)")
            #expect(try xdpProgram() == before, "the other program was left where it was")
            // Nothing of the run stays loaded (a program held by another
            // test's running process is that test's).
            let theirs = Set(try LoadedProgram.measuring().map(\.id)).subtracting(loadedBefore)
            let left = try LoadedProgram.stillMeasuring(theirs).subtracting(
                LoadedProgram.heldByOtherProcesses(notMentioning: directory.url.path))
            #expect(left.isEmpty, "loaded after the refused run: \(left)")
        }

        /// SIGKILL mid-run: nothing of vtap's stays loaded or attached
        /// (its sockets, links and maps go with its descriptors), and the
        /// next run on the same interface starts (the interface lock went
        /// with it) and measures. On TCX, the two links go too.
        @Test(.kernel, arguments: AttachMode.allCases)
        func aKilledRunLeavesNothingBehind(attach: AttachMode) throws {
            let lab = try NetworkLab()
            defer { lab.shutdown() }
            let directory = try TemporaryDirectory(prefix: "vtap-e2e-kill")
            let rules = try Self.seedRules(lab, in: directory)
            let run = try VtapRun.start(in: lab, object: rules, options: attach.options)
            let held = LoadedProgram.programIDs(heldBy: run.processIdentifier)
            #expect(!held.isEmpty, "vtap holds its program through a descriptor")
            let linked = try LoadedProgram.linkedProgramIDs().intersection(held)
            #expect(linked.count == [.socket: 0, .tc: 2, .xdp: 1][attach], "links to vtap's programs: \(linked)")
            let killed = run.kill()
            #expect(killed.status == SIGKILL + 128 || killed.status == SIGKILL, "\(killed.summary)")
            let left = try LoadedProgram.stillMeasuring(held)
            #expect(left.isEmpty, "still loaded after SIGKILL: \(left)")
            #expect(try LoadedProgram.linkedProgramIDs().isDisjoint(with: held), "a link left after SIGKILL")
            let pinned = (try? FileManager.default.contentsOfDirectory(atPath: "/sys/fs/bpf")) ?? []
            #expect(!pinned.contains { $0.hasPrefix("vtap") }, "pinned: \(pinned)")

            let next = try VtapRun.start(in: lab, object: rules, options: attach.options)
            let sent = try lab.sendDatagrams(10, from: .sender, to: lab.address(.receiver))
            #expect(sent.succeeded, "\(sent.summary)")
            Thread.sleep(forTimeInterval: 1.2)
            let outcome = next.stop()
            let summary = try #require(try outcome.output().summaries.last, "\(outcome.result.summary)")
            #expect(summary.udp.packets == 10, "the next run measures the 10 datagrams")
        }

    }
}

extension VtapRun.Stop: CustomTestStringConvertible {
    var testDescription: String { self == .terminate ? "SIGTERM" : "SIGINT" }
}

extension EndToEnd {
    /// Interfaces deleted under `vtap run` (it measured zeros and said
    /// nothing when one was deleted and made again).
    @Suite struct VanishingInterfaces {
        static func object(in directory: TemporaryDirectory) throws -> URL {
            let rules = try RulesFile.write([.init("any", "- - - - -")], to: directory)
            let object = directory.file("any.o")
            try RulesFile.compile(rules, to: object)
            return object
        }

        /// The only interface deleted and made again under the same name:
        /// a warning, the summary, and exit 5, within a couple of seconds.
        @Test(.kernel) func theOnlyInterfaceMadeAgainEndsTheRunWithExitFive() throws {
            let lab = try NetworkLab()
            defer { lab.shutdown() }
            let directory = try TemporaryDirectory(prefix: "vtap-e2e-gone")
            let vtap = try VtapRun.start(
                in: lab, object: try Self.object(in: directory), json: true, options: ["--no-server"])
            let name = lab.receiverInterface
            let peer = lab.senderInterface
            Thread.sleep(forTimeInterval: 1.5)
            // Deleting one end of a veth deletes both; make the pair again.
            try CommandRunner.check(["ip", "-n", lab.namespace(.receiver), "link", "del", "dev", name])
            try CommandRunner.check([
                "ip", "-n", lab.namespace(.receiver), "link", "add", name, "type", "veth", "peer", "name", peer + "x",
            ])
            let outcome = vtap.waitForExit(timeout: .seconds(15))
            #expect(outcome.result.status == 5 && !outcome.result.timedOut, "\(outcome.result.summary)")
            #expect(
                outcome.result.standardError.contains("warning: interface \(name) is gone"),
                "\(outcome.result.standardError)")
            #expect(outcome.result.standardError.contains("every interface measured is gone: \(name)"))
            let last = outcome.result.standardOutput.split(separator: "\n").last.map(String.init) ?? ""
            #expect(last.contains("\"summary\":true"), "the summary comes first: \(last.prefix(200))")
        }

        /// One of two interfaces deleted: a warning, and the other goes on
        /// being measured until the run is stopped (exit 0); Prometheus,
        /// scraped after the deletion, serves the one left.
        @Test(.kernel) func anotherInterfaceGoesOnBeingMeasured() throws {
            let lab = try NetworkLab()
            defer { lab.shutdown() }
            let directory = try TemporaryDirectory(prefix: "vtap-e2e-gone")
            let name = lab.receiverInterface
            try CommandRunner.check(["ip", "-n", lab.namespace(.receiver), "link", "set", "lo", "up"])
            let metricsPort = Int.random(in: 20_000...60_000)
            let vtap = try VtapRun.start(
                in: lab, object: try Self.object(in: directory), interfaces: [name, "lo"], json: true,
                options: ["--server-port", "\(metricsPort)"])
            Thread.sleep(forTimeInterval: 1.5)
            try CommandRunner.check(["ip", "-n", lab.namespace(.receiver), "link", "del", "dev", name])
            Thread.sleep(forTimeInterval: 2.5)
            // Still measuring: 5 loopback datagrams after the deletion are counted.
            let sent = try lab.sendDatagrams(5, from: .receiver, to: "127.0.0.1")
            #expect(sent.succeeded, "\(sent.summary)")
            Thread.sleep(forTimeInterval: 1.2)
            let scraped = try lab.run(in: .receiver, ["curl", "-sS", "http://127.0.0.1:\(metricsPort)/metrics"])
            #expect(
                scraped.succeeded && scraped.standardOutput.contains(#"vtap_unmatched_packets_total{interface="lo"}"#),
                "\(scraped.summary)")
            let outcome = vtap.stop()
            #expect(outcome.endedCleanly, "\(outcome.result.summary)")
            #expect(outcome.result.standardError.contains("warning: interface \(name) is gone"))
            let summary = outcome.result.standardOutput.split(separator: "\n").last.map(String.init) ?? ""
            #expect(summary.contains("\"udp\":{\"packets\":5,"), "loopback datagrams counted: \(summary.prefix(600))")
        }
    }
}
