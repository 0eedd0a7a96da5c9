import Foundation
import Testing
import VtapController
import VtapTestSupport

@Suite struct InstanceRegistryTests {
    /// Listing a registry that does not exist creates nothing.
    @Test func listingAMissingStateDirectoryCreatesNothing() throws {
        let directory = try TemporaryDirectory()
        let missing = directory.file("state").path
        #expect(try InstanceRegistry(stateDirectory: missing).instances().isEmpty)
        #expect(!FileManager.default.fileExists(atPath: missing))
    }

    /// A state directory that is a symbolic link, writable by anyone, or
    /// another user's is refused (it decides which processes vtap signals);
    /// an entry that is not vtap's JSON is reported, not silently ignored.
    @Test func anUntrustworthyStateDirectoryIsRefused() throws {
        let directory = try TemporaryDirectory()
        let real = directory.file("real").path
        try FileManager.default.createDirectory(atPath: real, withIntermediateDirectories: true)
        let link = directory.file("link").path
        #expect(symlink(real, link) == 0)
        let open = directory.file("open").path
        try FileManager.default.createDirectory(atPath: open, withIntermediateDirectories: true)
        #expect(chmod(open, 0o777) == 0)
        var cases: [(path: String, says: String)] = [(link, "symbolic link"), (open, "anyone may write it")]
        if geteuid() == 0 {
            let others = directory.file("others").path
            try FileManager.default.createDirectory(atPath: others, withIntermediateDirectories: true)
            #expect(chown(others, 65534, 65534) == 0)
            cases.append((others, "owned by uid 65534"))
        }
        for (path, says) in cases {
            #expect {
                _ = try InstanceRegistry(stateDirectory: path).instances()
            } throws: { error in
                "\(error)".contains(says) && (error as? ControllerError)?.exitCode == 4
            }
        }
        let registry = InstanceRegistry(stateDirectory: real)
        #expect(try registry.instances().isEmpty)
        try Data("{corrupt".utf8).write(to: URL(fileURLWithPath: real + "/instances/7.json"))
        let listing = try registry.listing()
        #expect(listing.instances.isEmpty)
        #expect(listing.unreadable == [real + "/instances/7.json"])
    }

    @Test func anEntryRoundTrips() throws {
        let fixture = try RegistryFixture()
        let registered = try fixture.registry.register(id: nil) { id in
            Instance(
                id: id, process: .current, interfaces: ["eth1", "eth2"], object: "/srv/vtap/filter.o",
                metricsHost: "127.0.0.1", metricsPort: 40_123, started: Sample.started, logFile: "/run/vtap/logs/1.log",
                commandLine: ["vtap", "start", "filter.o", "-i", "eth1", "-i", "eth2"])
        }
        #expect(registered.id == "1")
        #expect(registered.pid == getpid())
        #expect(registered.started == "2026-11-18T11:06:40Z")
        #expect(try fixture.registry.instances() == [registered])
        #expect(fixture.registry.instance("1") == registered)
        #expect(fixture.registry.instance("2") == nil)

        // Every key, always (null for a foreground instance's log file).
        let text = try #require(fixture.entryText("1"))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        #expect(
            Set(object.keys) == [
                "id", "pid", "pid_start_ticks", "interfaces", "object", "metrics_host", "metrics_port", "started",
                "log_file", "command_line", "programs",
            ])
        #expect(object["pid_start_ticks"] as? Int == Int(ProcessIdentity.current.startTicks))
        #expect(object["metrics_port"] as? Int == 40_123)

        try fixture.registry.unregister(registered)
        #expect(try fixture.registry.instances().isEmpty)
        #expect(fixture.entryText("1") == nil)
    }

    @Test func aForegroundEntryHasANullLogFile() throws {
        let fixture = try RegistryFixture()
        try fixture.registry.register(id: "web") { Sample.instance($0) }
        let object =
            try JSONSerialization.jsonObject(with: Data(try #require(fixture.entryText("web")).utf8)) as? [String: Any]
        #expect(object?["log_file"] is NSNull)
    }

    @Test func idsAreTheLowestFreeSmallIntegers() throws {
        let fixture = try RegistryFixture()
        let registry = fixture.registry
        let first = try (0..<3).map { _ in try registry.register(id: nil) { Sample.instance($0) } }
        #expect(first.map(\.id) == ["1", "2", "3"])
        try registry.unregister(first[1])
        #expect(try registry.register(id: nil) { Sample.instance($0) }.id == "2")
        #expect(try registry.register(id: "web") { Sample.instance($0) }.id == "web")
        #expect(try registry.register(id: "10") { Sample.instance($0) }.id == "10")
        #expect(try registry.register(id: nil) { Sample.instance($0) }.id == "4")
        // Listed in id order: numbers by value, then names.
        #expect(try registry.instances().map(\.id) == ["1", "2", "3", "4", "10", "web"])
    }

    @Test func aLiveIDIsRefused() throws {
        let fixture = try RegistryFixture()
        try fixture.registry.register(id: "7") { Sample.instance($0, process: Sample.other) }
        #expect(throws: ControllerError.instanceIDInUse("7", pid: 1, starting: false)) {
            try fixture.registry.register(id: "7") { Sample.instance($0) }
        }
        #expect(throws: ControllerError.instanceIDInUse("7", pid: 1, starting: false)) {
            try fixture.registry.checkAvailable("7")
        }
        #expect(throws: ControllerError.instanceIDInUse("7", pid: 1, starting: false)) {
            try fixture.registry.reserve("7")
        }
        // The first entry is untouched.
        #expect(try fixture.registry.instances().map(\.pid) == [1])
    }

    @Test(arguments: ["", ".hidden", "a/b", "../up", "x y", String(repeating: "a", count: 65)])
    func unusableIDsAreRefused(id: String) throws {
        let fixture = try RegistryFixture()
        #expect(throws: ControllerError.invalidID(id)) { try fixture.registry.register(id: id) { Sample.instance($0) } }
        #expect(throws: ControllerError.invalidID(id)) { try fixture.registry.reserve(id) }
    }

    @Test func anEntryWhoseProcessEndedIsPruned() throws {
        let fixture = try RegistryFixture()
        try fixture.registry.register(id: "1") { Sample.instance($0) }
        try fixture.plant(Sample.instance("2", process: ProcessIdentity(pid: Sample.impossiblePID, startTicks: 5)))
        #expect(fixture.registry.instance("2") == nil)
        #expect(try fixture.registry.instances().map(\.id) == ["1"])
        #expect(fixture.entryText("2") == nil)
        #expect(!fixture.targetsText.contains("\"2\""))
        // Its id is free again.
        #expect(try fixture.registry.register(id: nil) { Sample.instance($0) }.id == "2")
    }

    @Test func anEntryWhosePidWasReusedIsPruned() throws {
        let fixture = try RegistryFixture()
        let current = ProcessIdentity.current
        #expect(current.startTicks > 0)
        // This process's pid, but not its start: the recorded process ended and the pid went to us.
        try fixture.plant(
            Sample.instance("1", process: ProcessIdentity(pid: current.pid, startTicks: current.startTicks + 1)))
        #expect(fixture.registry.instance("1") == nil)
        #expect(try fixture.registry.instances().isEmpty)
        #expect(fixture.entryText("1") == nil)
    }

    @Test func pruningRewritesTheTargets() throws {
        let fixture = try RegistryFixture()
        try fixture.registry.register(id: "1") { Sample.instance($0, port: 40_001) }
        try fixture.plant(
            Sample.instance("2", process: ProcessIdentity(pid: Sample.impossiblePID, startTicks: 5), port: 40_002))
        try fixture.registry.register(id: "3") { Sample.instance($0, port: 40_003) }
        // Registering "3" pruned "2" on the way.
        #expect(fixture.targetsText.contains("127.0.0.1:40001") && fixture.targetsText.contains("127.0.0.1:40003"))
        #expect(!fixture.targetsText.contains("40002"))
        try fixture.plant(
            Sample.instance("4", process: ProcessIdentity(pid: Sample.impossiblePID, startTicks: 5), port: 40_004))
        try fixture.registry.prune()
        #expect(!fixture.targetsText.contains("40004"))
    }

    @Test func unregisteringLeavesANewerInstanceUnderTheSameID() throws {
        let fixture = try RegistryFixture()
        let old = Sample.instance("1", process: ProcessIdentity(pid: Sample.impossiblePID, startTicks: 5))
        try fixture.plant(old)
        let new = try fixture.registry.register(id: "1") { Sample.instance($0, port: 41_000) }
        try fixture.registry.unregister(old)
        #expect(try fixture.registry.instances() == [new])
    }

    @Test func aHeldIDIsSkippedAndRefusedToOthers() throws {
        let fixture = try RegistryFixture()
        let registry = fixture.registry
        // Held by this process for a child it is about to start.
        #expect(try registry.reserve(nil) == "1")
        #expect(try registry.register(id: nil) { Sample.instance($0, process: Sample.other) }.id == "2")
        #expect(throws: ControllerError.instanceIDInUse("1", pid: getpid(), starting: true)) {
            try registry.register(id: "1") { Sample.instance($0, process: Sample.other) }
        }
        // The holder itself (or its child) registers under it, and the hold is gone.
        try registry.checkAvailable("1")
        #expect(try registry.register(id: "1") { Sample.instance($0) }.id == "1")
        #expect(!FileManager.default.fileExists(atPath: "\(registry.stateDirectory)/instances/1.starting"))
        #expect(try registry.reserve(nil) == "3")
        registry.releaseReservation("3")
        #expect(try registry.reserve(nil) == "3")
    }

    @Test func theHoldOfAnEndedProcessIsIgnored() throws {
        let fixture = try RegistryFixture()
        let gone = ProcessIdentity(pid: Sample.impossiblePID, startTicks: 1)
        #expect(try fixture.registry.reserve("1", holder: gone) == "1")
        #expect(try fixture.registry.register(id: nil) { Sample.instance($0, process: Sample.other) }.id == "1")
    }

    /// Threads race to register with the lowest free id: every entry survives, every id is distinct.
    @Test func concurrentRegistrationsLoseNothing() async throws {
        let fixture = try RegistryFixture()
        let registry = fixture.registry
        let ids = try await withThrowingTaskGroup(of: [String].self) { group in
            for worker in 0..<8 {
                group.addTask {
                    try (0..<6).map { round in
                        try registry.register(id: nil) { Sample.instance($0, port: 40_000 + worker * 10 + round) }.id
                    }
                }
            }
            return try await group.reduce(into: []) { $0 += $1 }
        }
        #expect(Set(ids) == Set((1...48).map(String.init)))
        let listed = try registry.instances()
        #expect(listed.map(\.id) == (1...48).map(String.init))
        #expect(Set(listed.map(\.metricsPort)).count == 48)
        let groups = try JSONDecoder().decode([PrometheusTargetGroup].self, from: Data(fixture.targetsText.utf8))
        #expect(groups.count == 48)
    }

    @Test func statStartTimeIsReadPastTheCommandName() throws {
        // A command name may hold spaces and parentheses.
        let line = "4242 (my (odd) name) S 1 4242 4242 0 -1 4194560 1 0 0 0 3 4 0 0 20 0 1 0 987654 1 2 3\n"
        let identity = try #require(ProcessIdentity.parse(pid: 4242, stat: line))
        #expect(identity.startTicks == 987_654)
        #expect(
            ProcessIdentity.parse(pid: 4242, stat: "4242 (x) Z 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20")
                == nil)
        #expect(ProcessIdentity.of(getpid()) == .current)
        #expect(ProcessIdentity.of(Sample.impossiblePID) == nil)
    }
}

@Suite struct InstanceProgramsTests {
    /// Entries written before programs were recorded still read, with none.
    @Test func anEntryWithoutProgramsReads() throws {
        let text = #"""
            {"command_line": ["vtap"], "id": "1", "interfaces": ["eth0"], "log_file": null, "metrics_host": "127.0.0.1",
             "metrics_port": 9000, "object": "/x.o", "pid": 1, "pid_start_ticks": 2, "started": "2026-11-18T11:06:40Z"}
            """#
        let instance = try JSONDecoder().decode(Instance.self, from: Data(text.utf8))
        #expect(instance.programs.isEmpty && instance.id == "1")
    }

    @Test func programsRoundTripAndRenderWithTheirFigures() throws {
        let programs = [
            Instance.Program(name: "vtap_measure", interface: "eth0", id: 41),
            Instance.Program(name: "vtap_event_send", interface: nil, id: 42),
            Instance.Program(name: "vtap_event_receive", interface: nil, id: 43),
        ]
        let started = Date(timeIntervalSince1970: 1_800_000_000)
        let instance = Instance(
            id: "7", process: ProcessIdentity(pid: 1, startTicks: 2), interfaces: ["eth0"], object: "/x.o",
            metricsHost: "127.0.0.1", metricsPort: 9000, started: started, logFile: nil, commandLine: ["vtap"],
            programs: programs)
        let decoded = try JSONDecoder().decode(Instance.self, from: try Instance.encoder().encode(instance))
        #expect(decoded == instance)
        let table = StatusTable.renderPrograms(
            [instance],
            figures: { id in
                switch id {
                case 41: .init(runs: 2000, nanoseconds: 170_000)
                case 42: .init(runs: 0, nanoseconds: 0)
                default: nil
                }
            }, now: started.addingTimeInterval(100))
        #expect(
            table == """
                ID  PROGRAM             KERNEL_ID  INTERFACE  RUNS  NS/RUN  RUNS/S
                7   vtap_measure        41         eth0       2000  85      20.0
                7   vtap_event_send     42         -          0     -       -
                7   vtap_event_receive  43         -          gone  -       -

                """)
    }
}
