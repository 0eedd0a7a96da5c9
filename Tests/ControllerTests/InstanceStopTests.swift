import Foundation
import Testing
import VtapController

@Suite struct InstanceStopTests {
    /// Spawns `script` detached (as an instance would be) and waits until it runs `sleep`.
    static func spawn(_ script: String, in fixture: RegistryFixture) throws -> ProcessIdentity {
        let pid = try DetachedLaunch.spawn(
            executable: "/bin/sh", arguments: ["sh", "-c", script], logFile: fixture.directory.file("log").path)
        let deadline = Date() + 5
        while Date() < deadline {
            let command = (try? String(contentsOfFile: "/proc/\(pid)/cmdline", encoding: .utf8)) ?? ""
            if command.hasPrefix("sleep") { break }
            Thread.sleep(forTimeInterval: 0.02)
        }
        return try #require(ProcessIdentity.of(pid))
    }

    @Test func sigtermIsEnough() throws {
        let fixture = try RegistryFixture()
        let process = try Self.spawn("exec sleep 30", in: fixture)
        #expect(try InstanceStop.stop([process], timeout: 5) == [.stopped])
        #expect(!process.isRunning)
        waitpid(process.pid, nil, 0)
    }

    @Test func sigkillOnlyAfterTheTimeout() throws {
        let fixture = try RegistryFixture()
        let stubborn = try Self.spawn("trap '' TERM; exec sleep 30", in: fixture)
        let polite = try Self.spawn("exec sleep 30", in: fixture)
        let began = Date()
        #expect(try InstanceStop.stop([stubborn, polite], timeout: 0.6) == [.killed, .stopped])
        #expect(Date().timeIntervalSince(began) >= 0.6)
        #expect(!stubborn.isRunning && !polite.isRunning)
        for process in [stubborn, polite] { waitpid(process.pid, nil, 0) }
    }

    @Test func aReusedPidIsNotSignalled() throws {
        let current = ProcessIdentity.current
        let impostor = ProcessIdentity(pid: current.pid, startTicks: current.startTicks + 1)
        // Had it been signalled, this test process would be gone.
        #expect(try InstanceStop.stop([impostor], timeout: 1) == [.alreadyEnded])
    }
}
