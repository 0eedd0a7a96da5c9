import Foundation
import VtapSystem

/// The registry's file operations, with their failures as `ControllerError.io`
/// (exit 4) naming the file.
enum RegistryFiles {
    /// Replaces `path` atomically and durably (see `AtomicFile`).
    static func write(_ data: Data, to path: String) throws {
        do {
            try AtomicFile.write(data, to: path)
        } catch {
            throw ControllerError.io(String(describing: error))
        }
    }

    /// Runs `body` holding the exclusive lock on `path`.
    static func withLock<T>(_ path: String, _ body: () throws -> T) throws -> T {
        let lock: FileLock
        do {
            lock = try FileLock(path: path, wait: true)
        } catch {
            throw ControllerError.io("cannot lock \(path): \(error)")
        }
        return try withExtendedLifetime(lock) { try body() }
    }
}
