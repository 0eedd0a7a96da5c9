import Foundation

/// Files other processes read while this one writes them: written beside
/// their final name and renamed over it, so a reader (another vtap,
/// Prometheus) sees the old content or the new, never a part.
enum AtomicFile {
    static func write(_ data: Data, to path: String, mode: mode_t = 0o644) throws {
        let directory = (path as NSString).deletingLastPathComponent
        let name = (path as NSString).lastPathComponent
        let temporary = "\(directory)/.\(name).\(getpid()).\(UInt32.random(in: 0...UInt32.max)).tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        guard fd >= 0 else { throw ControllerError.io("cannot write \(path): \(Errno.text())") }
        var written = 0
        let failure: String? = data.withUnsafeBytes { buffer in
            while written < buffer.count {
                let count = Foundation.write(fd, buffer.baseAddress! + written, buffer.count - written)
                if count < 0 {
                    if errno == EINTR { continue }
                    return Errno.text()
                }
                written += count
            }
            return fsync(fd) == 0 ? nil : Errno.text()
        }
        close(fd)
        if let failure {
            unlink(temporary)
            throw ControllerError.io("cannot write \(path): \(failure)")
        }
        guard rename(temporary, path) == 0 else {
            let reason = Errno.text()
            unlink(temporary)
            throw ControllerError.io("cannot write \(path): \(reason)")
        }
    }
}

/// An exclusive flock on a file, held while `body` runs. flock locks belong
/// to the open file, so two threads of one process exclude each other as
/// two processes do.
enum FileLock {
    static func withExclusiveLock<T>(_ path: String, _ body: () throws -> T) throws -> T {
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw ControllerError.io("cannot open \(path): \(Errno.text())") }
        defer { close(fd) }
        while flock(fd, LOCK_EX) != 0 {
            guard errno == EINTR else { throw ControllerError.io("cannot lock \(path): \(Errno.text())") }
        }
        return try body()
    }
}

enum Errno {
    static func text(_ number: Int32 = errno) -> String { String(cString: strerror(number)) }
}
