import Foundation

/// An exclusive lock named in the network namespace: a listening Unix
/// socket bound to an abstract address. The abstract address space belongs
/// to the network namespace, so the same name in another namespace is
/// another lock; no file is involved, so no directory (`VTAP_STATE_DIR`),
/// user or mount can give two processes two locks of one name; and the
/// kernel frees the address when the socket's last descriptor closes,
/// however the process ends.
public final class NamespaceLock: @unchecked Sendable {
    public let name: String
    private let descriptor: Int32

    public enum Failure: Error, Equatable, Sendable, CustomStringConvertible {
        /// Bound by another socket; the holder's pid when it could be asked.
        case held(holder: Int32?)
        case system(operation: String, SystemError)

        public var description: String {
            switch self {
            case .held(let holder): "held by another process\(holder.map { " (pid \($0))" } ?? "")"
            case .system(let operation, let error): "\(operation): \(error)"
            }
        }
    }

    /// Binds `name` (at most 107 bytes) in this network namespace's
    /// abstract socket space, or fails with `.held`.
    public init(name: String) throws(Failure) {
        self.name = name
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw .system(operation: "socket", .current) }
        let bound = Self.withAddress(name) { bind(fd, $0, $1) }
        if bound != 0 {
            let error = SystemError.current
            close(fd)
            throw error.code == EADDRINUSE ? .held(holder: Self.holder(name)) : .system(operation: "bind", error)
        }
        // Listening lets the next process ask who holds it (SO_PEERCRED).
        guard listen(fd, 8) == 0 else {
            let error = SystemError.current
            close(fd)
            throw .system(operation: "listen", error)
        }
        descriptor = fd
    }

    deinit { close(descriptor) }

    /// The pid of the process listening on `name`, from the kernel's
    /// credentials of the connection.
    static func holder(_ name: String) -> Int32? {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        guard withAddress(name, { connect(fd, $0, $1) }) == 0 else { return nil }
        // struct ucred (pid, uid, gid), which Glibc declares only under _GNU_SOURCE.
        var credentials: (pid: Int32, uid: UInt32, gid: UInt32) = (0, 0, 0)
        var length = socklen_t(MemoryLayout.size(ofValue: credentials))
        guard getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &credentials, &length) == 0, credentials.pid > 0 else {
            return nil
        }
        return credentials.pid
    }

    /// A `sockaddr_un` whose path starts with NUL (abstract), then `name`.
    private static func withAddress(
        _ name: String, _ body: (UnsafePointer<sockaddr>, socklen_t) -> Int32
    ) -> Int32 {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = [UInt8(0)] + Array(name.utf8.prefix(MemoryLayout.size(ofValue: address.sun_path) - 1))
        withUnsafeMutableBytes(of: &address.sun_path) { path in
            for (index, byte) in bytes.enumerated() { path[index] = byte }
        }
        let length = socklen_t(MemoryLayout<sa_family_t>.size + bytes.count)
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, length) }
        }
    }
}

/// Network namespaces by their inode, as `ip netns identify` and
/// `/proc/PID/ns/net` show them.
public enum NetworkNamespace {
    /// The namespace of process `pid`, or of this process; nil when it
    /// cannot be read (the process is gone, or another user's).
    public static func inode(ofProcess pid: Int32? = nil) -> UInt64? {
        var status = stat()
        let path = "/proc/\(pid.map(String.init) ?? "self")/ns/net"
        guard stat(path, &status) == 0 else { return nil }
        return UInt64(status.st_ino)
    }
}
