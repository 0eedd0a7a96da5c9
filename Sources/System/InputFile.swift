import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Reads an input file whole (a rules file, an object) with
/// a reason a user can act on when it cannot: "Is a directory", "is not a
/// regular file (a FIFO)", "is larger than 256 MiB", or strerror's words.
/// Foundation's `Data(contentsOf:)` said "NSCocoaErrorDomain error 256"
/// for a directory and blocked on a FIFO.
public enum InputFile {
    public struct Failure: Error, Sendable, Equatable, CustomStringConvertible {
        public var reason: String
        public var description: String { reason }
    }

    /// The bytes of the regular file at `path`, at most `limit` of them.
    public static func read(_ path: String, limit: Int) throws(Failure) -> [UInt8] {
        // O_NONBLOCK: opening a FIFO must not wait for a writer.
        let descriptor = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard descriptor >= 0 else { throw Failure(reason: SystemError.current.description) }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { throw Failure(reason: SystemError.current.description) }
        switch status.st_mode & S_IFMT {
        case S_IFREG: break
        case S_IFDIR: throw Failure(reason: SystemError(EISDIR).description)
        case S_IFIFO: throw Failure(reason: "is not a regular file (a FIFO)")
        case S_IFCHR, S_IFBLK: throw Failure(reason: "is not a regular file (a device)")
        case S_IFSOCK: throw Failure(reason: "is not a regular file (a socket)")
        default: throw Failure(reason: "is not a regular file")
        }
        guard status.st_size <= limit else {
            throw Failure(reason: "is larger than \(limit >> 20) MiB (\(status.st_size) bytes)")
        }
        var bytes = [UInt8](repeating: 0, count: Int(status.st_size))
        var filled = 0
        while filled < bytes.count {
            let count = bytes.withUnsafeMutableBytes {
                Glibc.read(descriptor, $0.baseAddress! + filled, $0.count - filled)
            }
            if count < 0 {
                if errno == EINTR { continue }
                throw Failure(reason: SystemError.current.description)
            }
            if count == 0 { break }  // shrank while read: what is there
            filled += count
        }
        return Array(bytes.prefix(filled))
    }
}

/// Whether two paths name one file: the same device and inode when both
/// exist (a link or "./" names the same file), else the same absolute
/// path.
public enum FileIdentity {
    public static func same(_ first: String, _ second: String) -> Bool {
        var a = stat()
        var b = stat()
        if stat(first, &a) == 0, stat(second, &b) == 0 { return a.st_dev == b.st_dev && a.st_ino == b.st_ino }
        return URL(fileURLWithPath: first).standardizedFileURL.path
            == URL(fileURLWithPath: second).standardizedFileURL.path
    }
}
