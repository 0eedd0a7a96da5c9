import Foundation
import Testing
import VtapSystem
import VtapTestSupport

@Suite struct AtomicFileTests {
    @Test func writesWholeFilesWithTheirModeAndLeavesNoTemporary() throws {
        let directory = try TemporaryDirectory(prefix: "vtap-system")
        let path = directory.file("targets.json").path
        try AtomicFile.write(Data("old".utf8), to: path)
        try AtomicFile.write(Data("new".utf8), to: path, mode: 0o600)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "new")
        let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.url.path) == ["targets.json"])
    }

    /// A pair where the second cannot be written leaves neither, nor any temporary.
    @Test func allOrNone() throws {
        let directory = try TemporaryDirectory(prefix: "vtap-system")
        let first = directory.file("filter.o").path
        let second = directory.file("missing/filter.manifest.json").path
        let error = try #require(throws: FileWriteError.self) {
            try AtomicFile.writeAll([(first, Data("elf".utf8)), (second, Data("{}".utf8))])
        }
        #expect(error.path == second && error.reason == "No such file or directory", "\(error)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.url.path).isEmpty)
    }

    /// A rename that fails after another succeeded removes the one in place.
    @Test func aFailedRenameTakesBackTheFilesAlreadyPlaced() throws {
        let directory = try TemporaryDirectory(prefix: "vtap-system")
        let first = directory.file("a").path
        // A non-empty directory cannot be replaced by a file.
        let blocker = directory.file("b")
        try FileManager.default.createDirectory(
            at: blocker.appendingPathComponent("x"), withIntermediateDirectories: true)
        #expect(throws: FileWriteError.self) {
            try AtomicFile.writeAll([(first, Data("1".utf8)), (blocker.path, Data("2".utf8))])
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.url.path) == ["b"])
    }
}

@Suite struct FileLockTests {
    @Test func aSecondLockOnTheSameFileIsHeldOff() throws {
        let directory = try TemporaryDirectory(prefix: "vtap-system")
        let path = directory.file("eth0.lock").path
        do {
            let first = try FileLock(path: path, wait: false)
            #expect(throws: FileLock.Failure.held) { try FileLock(path: path, wait: false) }
            withExtendedLifetime(first) {}
        }
        // Released with its owner: the next one gets it.
        let again = try FileLock(path: path, wait: false)
        #expect(again.descriptor >= 0)
    }

    @Test func aLockWhereNoFileCanBeIsASystemError() throws {
        #expect(throws: FileLock.Failure.system(operation: "open", SystemError(ENOENT))) {
            try FileLock(path: "/nonexistent/vtap/x.lock", wait: true)
        }
    }
}

@Suite struct ChildProcessTests {
    @Test func exitStatusSignalStreamsNameAndEnvironment() throws {
        let directory = try TemporaryDirectory(prefix: "vtap-system")
        let output = directory.file("out").path
        let child = try ChildProcess.spawn(
            "/bin/sh", arguments: ["-c", "echo \"$0 $GREETING\"; echo oops >&2; exit 3"],
            standardOutput: .file(output, append: false), standardError: .null, name: "named",
            environment: ["GREETING": "hello"])
        #expect(try child.wait() == .exited(3))
        #expect(try String(contentsOfFile: output, encoding: .utf8) == "named hello\n")

        let killed = try ChildProcess.spawn("/bin/sh", arguments: ["-c", "kill -TERM $$"])
        #expect(try killed.wait() == .signalled(SIGTERM))
        #expect(ChildProcess.Termination.signalled(SIGTERM).status == 143)
    }

    @Test func theChildGetsNoDescriptorButItsStreams() throws {
        let fd = open("/dev/null", O_RDONLY)  // not close-on-exec
        defer { close(fd) }
        let directory = try TemporaryDirectory(prefix: "vtap-system")
        let output = directory.file("fds").path
        let child = try ChildProcess.spawn(
            "/bin/ls", arguments: ["/proc/self/fd"], standardOutput: .file(output, append: false))
        #expect(try child.wait() == .exited(0))
        let open = try String(contentsOfFile: output, encoding: .utf8).split(separator: "\n").compactMap { Int($0) }
        // 0, 1, 2 and the one ls opens to read the directory.
        #expect(!open.contains(Int(fd)) || Int(fd) <= 3, "inherited: \(open)")
        #expect(open.count <= 4, "\(open)")
    }

    @Test func aMissingProgramIsASystemError() {
        #expect(throws: SystemError(ENOENT)) { try ChildProcess.spawn("/nonexistent/vtapc", arguments: []) }
    }

    @Test func errnoTexts() {
        #expect(SystemError(ENOENT).description == "No such file or directory")
        #expect(SystemError.describe(CocoaError(.fileReadNoSuchFile)) == "No such file or directory")
    }
}
