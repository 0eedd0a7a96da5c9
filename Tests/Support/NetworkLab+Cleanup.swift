import Foundation

extension NetworkLab {
    /// Deletes namespaces named like a lab's whose process is gone; returns
    /// their names. Namespaces of live processes (other test runs) stay.
    @discardableResult
    public static func sweepLeftovers() -> [String] {
        guard let listing = try? CommandRunner.run(["ip", "netns", "list"]), listing.succeeded else { return [] }
        var removed: [String] = []
        for line in listing.standardOutput.split(separator: "\n") {
            // "vt1234-5s (id: 3)" or just "vt1234-5s"
            let name = String(line.split(separator: " ").first ?? "")
            guard let pid = LabRegistry.ownerPID(ofNamespace: name), pid != getpid(), !LabRegistry.isAlive(pid) else {
                continue
            }
            if (try? CommandRunner.run(["ip", "netns", "del", name]))?.succeeded == true { removed.append(name) }
        }
        return removed
    }
}

/// The namespaces this process created, for cleanup at exit, and the lab
/// counter.
enum LabRegistry {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var namespaces: Set<String> = []
    nonisolated(unsafe) private static var counter = 0
    nonisolated(unsafe) private static var didSweep = false

    static func nextIndex() -> Int {
        lock.withLock {
            counter += 1
            return counter % 10000  // keeps names within 15 characters
        }
    }

    static func remember(_ namespace: String) {
        lock.withLock { _ = namespaces.insert(namespace) }
    }

    static func forget(_ namespace: String) {
        lock.withLock { _ = namespaces.remove(namespace) }
    }

    /// The first lab of a process clears what dead runs left and arranges
    /// cleanup at exit for labs a test never shut down.
    static func sweepOnce() {
        let first = lock.withLock {
            defer { didSweep = true }
            return !didSweep
        }
        guard first else { return }
        NetworkLab.sweepLeftovers()
        atexit { LabRegistry.removeRemainingAtExit() }
    }

    /// What `ip netns del` does, without starting processes while the
    /// process exits: detach the namespace's bind mount and remove it.
    private static func removeRemainingAtExit() {
        for namespace in lock.withLock({ namespaces }) {
            let path = "/run/netns/\(namespace)"
            _ = umount2(path, Int32(MNT_DETACH))
            _ = unlink(path)
        }
    }

    /// The pid in a lab namespace's name `vt<pid>-<n>s|r`, or nil.
    static func ownerPID(ofNamespace name: String) -> pid_t? {
        guard name.hasPrefix("vt"), let side = name.last, side == "s" || side == "r" else { return nil }
        let parts = name.dropFirst(2).dropLast().split(separator: "-", omittingEmptySubsequences: false)
        let isDecimal = { (part: Substring) in !part.isEmpty && part.allSatisfy { $0.isASCII && $0.isNumber } }
        guard parts.count == 2, parts.allSatisfy(isDecimal),
            Int(parts[1]) != nil
        else { return nil }
        return pid_t(parts[0])
    }

    static func isAlive(_ pid: pid_t) -> Bool {
        kill(pid, 0) == 0 || errno == EPERM
    }
}
