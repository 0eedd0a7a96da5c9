import Foundation

/// Starting and waiting for other programs with `posix_spawn`: the one way
/// every module starts a process (vtapc from vtap, detached instances,
/// benchmark children). Unlike Foundation's `Process` it can start a new
/// session, reset signal handling and redirect to files, and it needs no
/// run loop.
public struct ChildProcess: Sendable {
    public let pid: pid_t
    public let executable: String

    /// Where one of the child's standard streams goes.
    public enum Stream: Sendable {
        /// This process's own stream.
        case inherit
        case null
        /// A file opened for the child (`append`: at its end, else truncated).
        case file(String, append: Bool)
        /// An open descriptor of this process.
        case descriptor(Int32)
    }

    /// How a child ended.
    public enum Termination: Equatable, Sendable {
        case exited(Int32)
        case signalled(Int32)

        /// Decodes a `waitpid` status.
        public init(waitStatus status: Int32) {
            let signal = status & 0x7F
            self = signal == 0 ? .exited((status >> 8) & 0xFF) : .signalled(signal)
        }

        /// The shell's convention: the exit status, or 128 + the signal.
        public var status: Int32 {
            switch self {
            case .exited(let code): code
            case .signalled(let signal): 128 + signal
            }
        }
    }

    /// Starts `executable` with `arguments` (argv[1...]; argv[0] is `name`,
    /// else the executable's path). `newSession`:
    /// setsid, so the terminal's signals do not reach it. The child starts
    /// with every signal unblocked and at its default action, whatever the
    /// caller (a test runner, a shell) had blocked or ignored, and with no
    /// descriptor of this process but its three streams. `environment`:
    /// the child's whole environment (default: this process's).
    public static func spawn(
        _ executable: String, arguments: [String], standardInput: Stream = .inherit,
        standardOutput: Stream = .inherit, standardError: Stream = .inherit, newSession: Bool = false,
        name: String? = nil, environment: [String: String]? = nil
    ) throws -> ChildProcess {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        for (target, stream) in [(Int32(0), standardInput), (1, standardOutput), (2, standardError)] {
            switch stream {
            case .inherit: break
            case .null:
                posix_spawn_file_actions_addopen(&actions, target, "/dev/null", target == 0 ? O_RDONLY : O_WRONLY, 0)
            case .file(let path, let append):
                let flags = O_WRONLY | O_CREAT | (append ? O_APPEND : O_TRUNC)
                posix_spawn_file_actions_addopen(&actions, target, path, flags, 0o644)
            case .descriptor(let fd): posix_spawn_file_actions_adddup2(&actions, fd, target)
            }
        }
        closeInheritedDescriptors(&actions)

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attributes, &empty)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for number in [SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGPIPE, SIGCHLD, SIGUSR1, SIGUSR2, SIGALRM] {
            sigaddset(&defaults, number)
        }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        let flags = POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | (newSession ? spawnSetSID : 0)
        posix_spawnattr_setflags(&attributes, Int16(flags))

        let argv: [UnsafeMutablePointer<CChar>?] = ([name ?? executable] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        let variables: [UnsafeMutablePointer<CChar>?]? = environment.map {
            $0.map { strdup("\($0.key)=\($0.value)") } + [nil]
        }
        defer { variables?.forEach { free($0) } }
        var pid: pid_t = 0
        let result =
            variables.map { posix_spawn(&pid, executable, &actions, &attributes, argv, $0) }
            ?? posix_spawn(&pid, executable, &actions, &attributes, argv, environ)
        guard result == 0 else { throw SystemError(result) }
        return ChildProcess(pid: pid, executable: executable)
    }

    /// Blocks until the child ends.
    public func wait() throws -> Termination {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            let error = SystemError.current
            guard error.code == EINTR else { throw error }
        }
        return Termination(waitStatus: status)
    }

    /// The termination if the child has ended, else nil (it keeps running).
    public func poll() -> Termination? {
        var status: Int32 = 0
        return waitpid(pid, &status, WNOHANG) == pid ? Termination(waitStatus: status) : nil
    }

    /// This very binary: its path, so a child started from it has the same
    /// process name (`ps`, `pgrep vtap`) and a sibling tool is found beside
    /// it; /proc/self/exe when the file has been removed or replaced since
    /// it started.
    public static var currentExecutable: String {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let count = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard count > 0 else { return "/proc/self/exe" }
        let path = String(decoding: buffer[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        guard !path.hasSuffix(" (deleted)"), let running = fileIdentity("/proc/self/exe"), fileIdentity(path) == running
        else { return "/proc/self/exe" }
        return path
    }

    /// Device and inode of the file at `path` (following links).
    private static func fileIdentity(_ path: String) -> [UInt64]? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return [UInt64(info.st_dev), UInt64(info.st_ino)]
    }

    /// Descriptors this process holds without close-on-exec would otherwise
    /// stay open in the child for as long as it runs (a caller's pipe would
    /// never see its end). glibc 2.34+ closes them all in one action, which
    /// Swift's Glibc module does not import; older ones get one close per
    /// descriptor open now (glibc ignores a close of one that is not open by then).
    private static func closeInheritedDescriptors(_ actions: inout posix_spawn_file_actions_t) {
        typealias CloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
        if let handle = dlopen(nil, RTLD_NOW), let symbol = dlsym(handle, "posix_spawn_file_actions_addclosefrom_np") {
            let closeFrom = unsafeBitCast(symbol, to: CloseFrom.self)
            if closeFrom(&actions, 3) == 0 { return }
        }
        let open = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
        for fd in open.compactMap(Int32.init) where fd > 2 {
            posix_spawn_file_actions_addclose(&actions, fd)
        }
    }

    /// glibc's POSIX_SPAWN_SETSID (spawn.h, glibc 2.26+), which Swift's
    /// Glibc module does not import.
    static let spawnSetSID: Int32 = 0x80
}
