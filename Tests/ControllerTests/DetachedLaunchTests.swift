import Foundation
import Testing
import VtapController
import VtapSystem

/// The detached start with /bin/sh standing in for vtap: what the child
/// gets (a session of its own, /dev/null, the log) and what the parent
/// makes of how it ends.
@Suite struct DetachedLaunchTests {
    static func launch(_ script: String, fixture: RegistryFixture, id: String = "1", timeout: Double = 10)
        throws -> (pid: pid_t, outcome: DetachedLaunch.Outcome)
    {
        let log = fixture.registry.logFile(for: id)
        try FileManager.default.createDirectory(
            atPath: fixture.registry.logsDirectory, withIntermediateDirectories: true)
        let offset = DetachedLaunch.logSize(log)
        let pid = try DetachedLaunch.spawn(executable: "/bin/sh", arguments: ["sh", "-c", script], logFile: log)
        let outcome = DetachedLaunch.awaitStart(
            child: pid, id: id, registry: fixture.registry, logFile: log, logOffset: offset, timeout: timeout)
        return (pid, outcome)
    }

    @Test func theChildLeadsANewSessionWithNoInput() throws {
        let fixture = try RegistryFixture()
        // Field 6 of /proc/PID/stat is the session id.
        let script = """
            read -r _ _ _ _ _ sid _ < /proc/$$/stat
            echo "vtap: error: pid $$ session $sid stdin $(readlink /proc/$$/fd/0)" >&2
            exit 5
            """
        let (pid, outcome) = try Self.launch(script, fixture: fixture)
        #expect(outcome == .exited(status: 5, errorLine: "vtap: error: pid \(pid) session \(pid) stdin /dev/null"))
    }

    @Test func theErrorLineComesFromThisStartOnly() throws {
        let fixture = try RegistryFixture()
        _ = try Self.launch("echo 'vtap: error: an old failure' >&2; exit 4", fixture: fixture)
        let (_, outcome) = try Self.launch(
            "echo 'vtap: metrics at somewhere'; echo 'vtap: error: interface nosuch does not exist' >&2; echo 'trailing'; exit 5",
            fixture: fixture)
        #expect(outcome == .exited(status: 5, errorLine: "vtap: error: interface nosuch does not exist"))
        let log = try String(contentsOfFile: fixture.registry.logFile(for: "1"), encoding: .utf8)
        #expect(log.contains("an old failure") && log.contains("trailing"), "appended, not replaced")
        let (_, silent) = try Self.launch("exit 3", fixture: fixture)
        #expect(silent == .exited(status: 3, errorLine: nil))
        let (_, killed) = try Self.launch("kill -9 $$", fixture: fixture)
        #expect(killed == .signalled(SIGKILL, errorLine: nil))
    }

    /// The child writes its own entry (as vtap does once attached); the parent sees it.
    @Test func aRegisteredChildHasStarted() throws {
        let fixture = try RegistryFixture()
        let entry = "\(fixture.registry.stateDirectory)/instances/1.json"
        let script = """
            read -r _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ start _ < /proc/$$/stat
            printf '{"id":"1","pid":%s,"pid_start_ticks":%s,"interfaces":["eth9"],"object":"/x.o",' $$ $start > \(entry).tmp
            printf '"metrics_host":"0.0.0.0","metrics_port":40999,"started":"2026-11-18T11:06:40Z",' >> \(entry).tmp
            printf '"log_file":null,"command_line":["sh"]}' >> \(entry).tmp
            mv \(entry).tmp \(entry)
            exec sleep 30
            """
        try FileManager.default.createDirectory(
            atPath: "\(fixture.registry.stateDirectory)/instances", withIntermediateDirectories: true)
        let (pid, outcome) = try Self.launch(script, fixture: fixture)
        guard case .started(let instance) = outcome else {
            Issue.record("not started: \(outcome)")
            kill(pid, SIGKILL)
            return
        }
        #expect(instance.pid == pid && instance.metricsTarget == "127.0.0.1:40999")
        #expect(try InstanceStop.stop([instance.process], timeout: 5) == [.stopped])
        #expect(try fixture.registry.instances().isEmpty)
        waitpid(pid, nil, 0)
    }

    @Test func aChildThatNeverRegistersIsStoppedAtTheTimeout() throws {
        let fixture = try RegistryFixture()
        let began = Date()
        let (pid, outcome) = try Self.launch("exec sleep 30", fixture: fixture, timeout: 0.5)
        #expect(outcome == .timedOut)
        #expect(Date().timeIntervalSince(began) < 10)
        #expect(ProcessIdentity.of(pid) == nil)
    }

    @Test func childArgumentsDropDetachedAndRestateIDAndStateDirectory() {
        let arguments = [
            "/usr/bin/vtap", "start", "--detached", "filter.o", "-i", "eth1", "--id", "old", "--state-dir=/tmp/x",
            "--start-timeout", "5", "--json",
        ]
        #expect(
            DetachedLaunch.childArguments(arguments, id: "web", stateDirectory: "/run/vtap") == [
                "/usr/bin/vtap", "start", "--id", "web", "--state-dir", "/run/vtap", "filter.o", "-i", "eth1", "--json",
            ])
        // After "--" everything is an argument, even "--detached".
        #expect(
            DetachedLaunch.childArguments(
                ["vtap", "start", "--detached", "--", "--detached"], id: "1", stateDirectory: "/s")
                == ["vtap", "start", "--id", "1", "--state-dir", "/s", "--", "--detached"])
    }

    /// The child runs this binary under its own name (so `ps` and `pgrep` show it as itself).
    @Test func theChildRunsThisBinaryByItsPath() throws {
        let path = ChildProcess.currentExecutable
        #expect(path.hasPrefix("/") && path != "/proc/self/exe", "\(path)")
        let mine = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
        #expect(path == mine)
    }

    @Test func errorLines() {
        #expect(
            DetachedLaunch.errorLine(in: "vtap: metrics at x\nvtap: error: no such interface\n\n")
                == "vtap: error: no such interface")
        #expect(DetachedLaunch.errorLine(in: "Fatal error: boom\n") == "Fatal error: boom")
        #expect(DetachedLaunch.errorLine(in: "") == nil)
        // vtapc refused the rules: its diagnostics, as printed, blank lines kept.
        let diagnostics =
            "r.json:3:4: error: bad [address-invalid]\n    \"1.1.1.300\"\n     ^~~\n\n1 error, 0 warnings in r.json\n"
        #expect(DetachedLaunch.errorLine(in: "vtap: metrics at x\n" + diagnostics) == String(diagnostics.dropLast()))
    }
}
