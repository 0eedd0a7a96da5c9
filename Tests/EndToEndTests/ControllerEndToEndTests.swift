import Foundation
import Testing
import VtapTestSupport

extension EndToEnd {
    /// `vtap start --detached`, `vtap status` and `vtap stop` for real:
    /// three instances, each on its own veth in one namespace (one loopback,
    /// so their metrics ports must differ), started at once; a real
    /// Prometheus following them through the file_sd targets file.
    @Suite struct Controller {
        static let header = ["ID", "PID", "INTERFACES", "METRICS", "STARTED", "UPTIME", "OBJECT"]

        /// A compiled object for any traffic between the lab's two ends.
        static func object(_ lab: NetworkLab, in directory: TemporaryDirectory) throws -> URL {
            let rules = try RulesFile.write(
                [.init("udp", "\(lab.address(.sender)) \(lab.address(.receiver)) - - UDP")],
                settings: RulesFile.seedSequence, to: directory)
            let object = directory.file("filter.o")
            try RulesFile.compile(rules, to: object)
            return object
        }

        /// A lab, the object for its traffic and a registry of the test's
        /// own; everything started is ended and removed afterwards.
        static func withInstances(
            _ body: (NetworkLab, TemporaryDirectory, URL, VtapInstances) throws -> Void
        ) throws {
            let lab = try NetworkLab()
            defer { lab.shutdown() }
            let directory = try TemporaryDirectory(prefix: "vtap-e2e-controller")
            let object = try Self.object(lab, in: directory)
            let instances = VtapInstances(lab: lab, stateDirectory: directory.file("state"))
            defer { instances.shutdown() }
            try body(lab, directory, object, instances)
        }

        @Test(.kernel, .tags(.slow)) func threeDetachedInstancesFollowedByPrometheus() throws {
            let lab = try NetworkLab()
            defer { lab.shutdown() }
            let interfaces = [lab.receiverInterface, try lab.addVethPair().receiver, try lab.addVethPair().receiver]
            let directory = try TemporaryDirectory(prefix: "vtap-e2e-controller")
            let object = try Self.object(lab, in: directory)
            let instances = VtapInstances(lab: lab, stateDirectory: directory.file("state"))
            defer { instances.shutdown() }
            let before = Set(try LoadedProgram.measuring().map(\.id))

            // Three starts at once: ids and ports must still come out distinct.
            let results = Locked<[Int: CommandResult]>([:])
            let failures = Locked<[String]>([])
            DispatchQueue.concurrentPerform(iterations: interfaces.count) { index in
                do {
                    let result = try instances.startDetached([object.path, "-i", interfaces[index]])
                    results.withLock { $0[index] = result }
                } catch {
                    failures.withLock { $0.append("\(error)") }
                }
            }
            #expect(failures.value.isEmpty, "\(failures.value)")
            for (index, result) in results.value.sorted(by: { $0.key < $1.key }) {
                #expect(result.succeeded, "start on \(interfaces[index]): \(result.summary)")
                let lines = result.standardOutput.split(separator: "\n")
                #expect(
                    lines.count == 1 && lines[0].hasPrefix("instance ") && lines[0].contains("started: pid "),
                    "one line: \(result.standardOutput)")
            }

            // The registry: three live instances, one per interface, on distinct ports.
            let running = try instances.status()
            #expect(running.map(\.id) == ["1", "2", "3"], "\(running)")
            #expect(
                Set(running.flatMap(\.interfaces)) == Set(interfaces) && running.allSatisfy { $0.interfaces.count == 1 }
            )
            #expect(Set(running.map(\.metricsPort)).count == 3, "distinct ports: \(running.map(\.metricsPort))")
            #expect(running.allSatisfy { $0.metricsHost == "127.0.0.1" && $0.metricsPort > 0 })
            #expect(running.allSatisfy { $0.object == object.path })
            for instance in running {
                #expect(instances.isRunning(instance.pid), "instance \(instance.id): pid \(instance.pid) runs")
                #expect(
                    instance.logFile == instances.stateDirectory.appendingPathComponent("logs/\(instance.id).log").path)
                #expect(
                    !LoadedProgram.programIDs(heldBy: instance.pid).isEmpty,
                    "instance \(instance.id) holds its program")
                let (status, body) = try instances.get("http://127.0.0.1:\(instance.metricsPort)/metrics")
                #expect(status == 200 && body.contains("vtap_"), "GET /metrics of \(instance.id): \(status)")
            }
            let held = running.reduce(into: Set<Int>()) { $0.formUnion(LoadedProgram.programIDs(heldBy: $1.pid)) }

            // The table: stable header, one line per instance.
            let table = try instances.vtap(["status", "--state-dir", instances.stateDirectory.path])
            let rows = table.standardOutput.split(separator: "\n").map { $0.split(separator: " ").map(String.init) }
            #expect(rows.first == Self.header, "\(table.standardOutput)")
            #expect(
                rows.dropFirst().map { [$0[0], $0[1], $0[2], $0[3], $0.last!] }
                    == running.map {
                        [$0.id, String($0.pid), $0.interfaces[0], "127.0.0.1:\($0.metricsPort)", object.path]
                    },
                "\(table.standardOutput)")

            // file_sd: exactly these three targets, labelled.
            let expectedTargets = running.map {
                FileSDTargetGroup(
                    targets: ["127.0.0.1:\($0.metricsPort)"],
                    labels: ["vtap_instance": $0.id, "vtap_interfaces": $0.interfaces.joined(separator: ",")])
            }
            #expect(try instances.targets() == expectedTargets)

            // A real Prometheus follows the file.
            let prometheus = try PrometheusServer(
                configuration: """
                    global:
                      scrape_interval: 1s
                      scrape_timeout: 1s
                    scrape_configs:
                      - job_name: vtap
                        file_sd_configs:
                          - files: ["\(instances.targetsFile.path)"]
                            refresh_interval: 1s
                    """, namespace: instances.namespace)
            defer { prometheus.stop() }
            let upIDs = { () throws -> [String: String] in
                var health: [String: String] = [:]
                for target in try prometheus.activeTargets() {
                    health[target.labels["vtap_instance"] ?? "?"] = target.health
                }
                return health
            }
            try prometheus.wait(for: "all three instances up") { try upIDs() == ["1": "up", "2": "up", "3": "up"] }
            let labelled = try prometheus.activeTargets().map { $0.labels["vtap_interfaces"] ?? "" }
            #expect(Set(labelled) == Set(interfaces))

            // Stop one: gone from the process table, the registry, the file and Prometheus.
            let second = try #require(running.first { $0.id == "2" })
            let stopped = try instances.stop(["2"])
            #expect(
                stopped.succeeded && stopped.standardOutput == "stopped instance 2 (pid \(second.pid))\n",
                "\(stopped.summary)\n\(stopped.standardOutput)")
            #expect(!instances.isRunning(second.pid))
            #expect(try instances.status().map(\.id) == ["1", "3"])
            #expect(try instances.targets() == expectedTargets.filter { $0.labels["vtap_instance"] != "2" })
            try prometheus.wait(for: "instance 2 dropped") { try upIDs() == ["1": "up", "3": "up"] }

            // Stop the rest: nothing left running, registered, targeted or loaded.
            let rest = try instances.stop(["--all"])
            #expect(rest.succeeded, "\(rest.summary)")
            let restLines = running.filter { $0.id != "2" }.map { "stopped instance \($0.id) (pid \($0.pid))" }
            #expect(rest.standardOutput.split(separator: "\n").map(String.init) == restLines, "\(rest.standardOutput)")
            #expect(running.allSatisfy { !instances.isRunning($0.pid) })
            #expect(try instances.status().isEmpty)
            #expect(try instances.targets().isEmpty)
            let log = try String(
                contentsOf: instances.stateDirectory.appendingPathComponent("logs/1.log"), encoding: .utf8)
            #expect(log.contains("summary of"), "a stopped instance reports its summary into its log")
            let deadline = ContinuousClock.now + .seconds(5)
            var left = held
            while !left.isEmpty && ContinuousClock.now < deadline {
                left = held.intersection(Set(try LoadedProgram.measuring().map(\.id)))
                if !left.isEmpty { Thread.sleep(forTimeInterval: 0.05) }
            }
            #expect(!held.isEmpty && left.isEmpty, "programs still loaded after stop --all: \(left)")
            #expect(held.isDisjoint(with: before))
            let nothing = try instances.stop(["--all"])
            #expect(
                nothing.succeeded && nothing.standardOutput == "no vtap instance is running\n", "\(nothing.summary)")
        }

        /// `vtap status --programs`: each program of a detached instance
        /// run with --self-cost, by kernel id, with the runs and time the
        /// kernel counted; bpftool reads the same program by that id.
        @Test(.kernel) func statusShowsEachProgramsSelfCost() throws {
            try Self.withInstances { lab, _, object, instances in
                let started = try instances.startDetached([object.path, "-i", lab.receiverInterface, "--self-cost"])
                #expect(started.succeeded, "\(started.summary)")
                let send =
                    "import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); "
                    + "[s.sendto(b'x' * 64, ('\(lab.address(.receiver))', 9)) for _ in range(300)]"
                #expect(try lab.run(in: .sender, ["python3", "-c", send]).succeeded)
                Thread.sleep(forTimeInterval: 1)

                let table = try instances.vtap(["status", "--programs", "--state-dir", instances.stateDirectory.path])
                #expect(table.succeeded, "\(table.summary)")
                let rows = table.standardOutput.split(separator: "\n").map { $0.split(separator: " ").map(String.init) }
                #expect(rows.first == ["ID", "PROGRAM", "KERNEL_ID", "INTERFACE", "RUNS", "NS/RUN", "RUNS/S"])
                let measure = try #require(
                    rows.first { $0.count == 7 && $0[1] == "vtap_measure" }, "\(table.standardOutput)")
                #expect(measure[3] == lab.receiverInterface)
                let runs = try #require(Int(measure[4]))
                #expect(runs >= 300, "every datagram is a run: \(measure)")
                #expect((Double(measure[5]) ?? 0) > 0 && (Double(measure[6]) ?? 0) > 0, "\(measure)")
                let shown = try CommandRunner.check(["bpftool", "prog", "show", "id", measure[2], "--json"])
                let info = try #require(
                    try JSONSerialization.jsonObject(with: Data(shown.standardOutput.utf8)) as? [String: Any])
                #expect(info["name"] as? String == "vtap_measure")
                #expect(info["run_cnt"] as? Int == runs, "bpftool: \(shown.standardOutput)")
            }
        }

        @Test(.kernel) func stoppingAnUnknownInstanceIsOneLine() throws {
            let lab = try NetworkLab()
            defer { lab.shutdown() }
            let directory = try TemporaryDirectory(prefix: "vtap-e2e-controller")
            let instances = VtapInstances(lab: lab, stateDirectory: directory.file("state"))
            let result = try instances.stop(["nosuch"])
            #expect(result.status == 1 && result.standardOutput.isEmpty, "\(result.summary)")
            #expect(result.standardError == "vtap: error: no vtap instance has id nosuch (none is running)\n")
            let bare = try instances.stop([])
            #expect(bare.succeeded && bare.standardOutput == "no vtap instance is running\n", "\(bare.summary)")
        }

        /// The child's own error line and exit code come back through the
        /// parent, and nothing stays registered, reserved or loaded.
        @Test(.kernel) func aDetachedStartThatFailsReportsTheInstancesError() throws {
            try Self.withInstances { lab, directory, object, instances in

                let missing = try instances.startDetached([object.path, "-i", "vtnosuch0"])
                #expect(missing.status == 5 && missing.standardOutput.isEmpty, "\(missing.summary)")
                let lines = missing.standardError.split(separator: "\n")
                #expect(
                    lines.count == 1 && lines[0].hasPrefix("vtap: error: ") && lines[0].contains("vtnosuch0"),
                    "\(missing.standardError)")
                #expect(try instances.status().isEmpty)
                #expect(try instances.targets().isEmpty)
                let leftovers = try FileManager.default.contentsOfDirectory(
                    atPath: instances.stateDirectory.appendingPathComponent("instances").path)
                #expect(leftovers.isEmpty, "no entry, no hold: \(leftovers)")

                // A rules file with errors: exit 1, and vtapc's diagnostics as it printed them in the log.
                let bad = try RulesFile.write([.init(nil, "1.1.1.300 - - - UDP")], to: directory, name: "bad.json")
                let rules = try instances.startDetached([bad.path, "-i", lab.receiverInterface])
                let direct = try CommandRunner.run([BuiltProducts.vtapc, "check", bad.path])
                #expect(rules.status == 1 && rules.standardError.hasPrefix("\(bad.path):3:"), "\(rules.summary)")
                #expect(rules.standardError == direct.standardError, "vtapc's diagnostics: \(rules.standardError)")

                // An id that is taken is refused before anything starts.
                let first = try instances.startDetached(["--id", "db", object.path, "-i", lab.receiverInterface])
                #expect(first.succeeded, "\(first.summary)")
                let again = try instances.startDetached(["--id", "db", object.path, "-i", lab.receiverInterface])
                #expect(
                    again.status == 1 && again.standardError.contains("instance id db is taken"), "\(again.summary)")
                #expect(try instances.status().map(\.id) == ["db"])
            }
        }
    }
}

/// A value shared by threads.
final class Locked<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: Value

    init(_ value: Value) { stored = value }

    var value: Value { lock.withLock { stored } }

    func withLock<T>(_ body: (inout Value) -> T) -> T { lock.withLock { body(&stored) } }
}

extension EndToEnd.Controller {
    /// An instance killed outright (SIGKILL) leaves its registry entry and
    /// its Prometheus target behind; the instances still running remove
    /// them within seconds, with no vtap command run in between.
    @Test(.kernel) func aKilledInstanceLeavesTheTargetsByItself() throws {
        try Self.withInstances { lab, _, object, instances in
            let second = try lab.addVethPair().receiver
            let first = try instances.startDetached([object.path, "-i", lab.receiverInterface, "--id", "stays"])
            let killed = try instances.startDetached([object.path, "-i", second, "--id", "killed"])
            #expect(first.succeeded && killed.succeeded, "\(first.summary) \(killed.summary)")
            let listed = try instances.targets().flatMap(\.targets)
            #expect(listed.count == 2, "\(listed)")
            let pid = try #require(VtapInstances.reportedPID(killed.standardOutput), "\(killed.standardOutput)")
            kill(pid, SIGKILL)
            let deadline = ContinuousClock.now + .seconds(10)
            var left = listed
            while left.count != 1 && ContinuousClock.now < deadline {
                Thread.sleep(forTimeInterval: 0.25)
                left = (try? instances.targets().flatMap(\.targets)) ?? left
            }
            #expect(left.count == 1, "targets 10 s after the SIGKILL, no command run: \(left)")
            let entries = try FileManager.default.contentsOfDirectory(
                atPath: instances.stateDirectory.appendingPathComponent("instances").path)
            #expect(entries == ["stays.json"], "\(entries)")
        }
    }
}
