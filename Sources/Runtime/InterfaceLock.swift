import Foundation
import VtapSystem

/// One vtap measurement per interface: a lock held for as long as the
/// measurement runs, so a second `vtap run` on the same interface is
/// refused (its counts would not be separable from the first's). The lock
/// is named in the network namespace (interface names are unique only
/// there) and in no directory: a run with another `VTAP_STATE_DIR` or as
/// another user is refused too. The kernel drops it when the process ends,
/// however it ends.
public final class InterfaceLock: @unchecked Sendable {
    public let interface: String
    private let lock: NamespaceLock

    public init(interface: String) throws {
        self.interface = interface
        do {
            lock = try NamespaceLock(name: "vtap/interface/\(interface)")
        } catch .held(let holder) {
            throw RuntimeError.interface(
                "interface \(interface) is already measured by vtap\(holder.map { " (pid \($0))" } ?? "")")
        } catch .system(let operation, let error) {
            throw RuntimeError.io("cannot \(operation) the lock of interface \(interface): \(error)")
        }
    }
}
