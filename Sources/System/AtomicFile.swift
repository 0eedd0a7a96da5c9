import Foundation

/// Why a file could not be written: the path and `strerror`'s reason.
public struct FileWriteError: Error, Equatable, Sendable, CustomStringConvertible {
    public var path: String
    public var reason: String
    public var description: String { "cannot write \(path): \(reason)" }
}

/// Files that other processes read, or that must not exist half-written:
/// each is written to an unpredictable temporary name in its own directory
/// (mkstemp), flushed to disk, and renamed over its final name, so a reader
/// sees the old content or the new, never a part, even after a crash.
public enum AtomicFile {
    public static func write(_ data: Data, to path: String, mode: mode_t = 0o644) throws {
        try writeAll([(path, data)], mode: mode)
    }

    /// All files or none: every one is staged before the first rename; if a
    /// rename fails, the ones already in place are removed again (a half
    /// pair, such as an object without its manifest, is worse than none).
    public static func writeAll(_ files: [(path: String, data: Data)], mode: mode_t = 0o644) throws {
        var staged: [(temporary: String, final: String)] = []
        func discard() { staged.forEach { unlink($0.temporary) } }
        for file in files {
            do {
                staged.append((try stage(file.data, beside: file.path, mode: mode), file.path))
            } catch {
                discard()
                throw error
            }
        }
        var placed: [String] = []
        for entry in staged {
            if rename(entry.temporary, entry.final) != 0 {
                let reason = SystemError.current.description
                placed.forEach { unlink($0) }
                discard()
                throw FileWriteError(path: entry.final, reason: reason)
            }
            placed.append(entry.final)
        }
        // The renames themselves reach the disk with their directories.
        for directory in Set(placed.map(directoryOf)) { syncDirectory(directory) }
    }

    /// Writes `data` to a new temporary file beside `path`; returns its name.
    private static func stage(_ data: Data, beside path: String, mode: mode_t) throws -> String {
        let name = URL(fileURLWithPath: path).lastPathComponent
        var template = Array("\(directoryOf(path))/.\(name).XXXXXX".utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else { throw FileWriteError(path: path, reason: SystemError.current.description) }
        // mkstemp's descriptor is not close-on-exec; a child spawned meanwhile must not keep it.
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        let temporary = String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
        var failure: String?
        if fchmod(fd, mode) != 0 { failure = SystemError.current.description }
        if failure == nil {
            do {
                try data.withUnsafeBytes { try Descriptor.writeAll(fd, $0) }
            } catch {
                failure = SystemError.describe(error)
            }
        }
        if failure == nil, fsync(fd) != 0 { failure = SystemError.current.description }
        if close(fd) != 0, failure == nil { failure = SystemError.current.description }
        if let failure {
            unlink(temporary)
            throw FileWriteError(path: path, reason: failure)
        }
        return temporary
    }

    private static func directoryOf(_ path: String) -> String {
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        return directory.isEmpty ? "." : directory
    }

    private static func syncDirectory(_ path: String) {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return }
        _ = fsync(fd)
        close(fd)
    }
}
