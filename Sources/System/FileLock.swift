import Foundation

/// An exclusive `flock` on a file. flock locks belong to the open file, so
/// two threads of one process exclude each other as two processes do, and
/// the kernel drops the lock when the process ends, however it ends.
public final class FileLock: @unchecked Sendable {
    public let path: String
    /// The open, locked file (the holder may write its pid into it).
    public let descriptor: Int32

    public enum Failure: Error, Equatable, Sendable, CustomStringConvertible {
        /// Another open file holds the lock (`wait: false` only).
        case held
        case system(operation: String, SystemError)

        public var description: String {
            switch self {
            case .held: "held by another process"
            case .system(let operation, let error): "\(operation): \(error)"
            }
        }
    }

    /// Opens (creating it 0644) and locks `path`. `wait`: block until the
    /// lock is free; else fail with `.held`. A file another user created
    /// and this one cannot write is locked read-only: flock needs no write
    /// access.
    public init(path: String, wait: Bool) throws(Failure) {
        self.path = path
        var fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        if fd < 0, errno == EACCES { fd = open(path, O_RDONLY | O_CLOEXEC) }
        guard fd >= 0 else { throw .system(operation: "open", .current) }
        while flock(fd, wait ? LOCK_EX : LOCK_EX | LOCK_NB) != 0 {
            let error = SystemError.current
            if error.code == EINTR { continue }
            if error.code == EWOULDBLOCK, !wait {
                close(fd)
                throw .held
            }
            close(fd)
            throw .system(operation: "lock", error)
        }
        descriptor = fd
    }

    deinit { close(descriptor) }
}
