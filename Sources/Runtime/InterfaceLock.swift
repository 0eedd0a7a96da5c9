import Foundation
import VtapSystem

/// One vtap measurement per interface: an advisory lock held for as long as
/// the measurement runs, so a second `vtap run` on the same interface is
/// refused (its counts would not be separable from the first's). The kernel
/// drops the lock when the process ends, however it ends.
public final class InterfaceLock: @unchecked Sendable {
    public let interface: String
    private let lock: FileLock

    /// Where instance state lives: `VTAP_STATE_DIR`, or /run/vtap.
    public static var defaultStateDirectory: String {
        ProcessInfo.processInfo.environment["VTAP_STATE_DIR"] ?? "/run/vtap"
    }

    public init(interface: String, stateDirectory: String = InterfaceLock.defaultStateDirectory) throws {
        self.interface = interface
        let directory = stateDirectory + "/interfaces"
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw RuntimeError.io("cannot create \(directory): \(SystemError.describe(error))")
        }
        // Names are unique only within a network namespace.
        let path = "\(directory)/\(Self.networkNamespace())-\(interface).lock"
        do {
            // A file left by another user (a root run before the service's
            // user) is locked read-only: see FileLock.
            lock = try FileLock(path: path, wait: false)
        } catch .held {
            let holder = Self.holder(path)
            throw RuntimeError.interface(
                "interface \(interface) is already measured by vtap\(holder.map { " (pid \($0))" } ?? "")")
        } catch .system(let operation, let error) {
            throw RuntimeError.io("cannot \(operation) \(path): \(error)")
        }
        // Who holds it, for the message above in the next process.
        let pid = "\(getpid())\n"
        _ = ftruncate(lock.descriptor, 0)
        _ = pid.withCString { pwrite(lock.descriptor, $0, strlen($0), 0) }
    }

    deinit {
        _ = ftruncate(lock.descriptor, 0)
    }

    /// The inode of this process's network namespace, as `ip netns identify` sees it.
    static func networkNamespace() -> String {
        var info = stat()
        guard stat("/proc/self/ns/net", &info) == 0 else { return "net" }
        return "net\(info.st_ino)"
    }

    private static func holder(_ path: String) -> Int32? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 32)
        let count = pread(fd, &buffer, buffer.count - 1, 0)
        guard count > 0 else { return nil }
        return Int32(String(decoding: buffer[..<count], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
    }
}
