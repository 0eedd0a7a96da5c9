import Foundation
import VtapSystem

/// Stopping instances: SIGTERM (vtap detaches, reports its summary and
/// unregisters), then waiting for the process to be gone; SIGKILL only once
/// the timeout has passed. Every process is checked against its recorded
/// start time before it is signalled, so a reused pid is never hit.
public enum InstanceStop {
    public enum Outcome: Sendable, Equatable {
        /// Ended after SIGTERM.
        case stopped
        /// Still there `timeout` after SIGTERM; killed with SIGKILL.
        case killed
        /// Had already ended before it was signalled.
        case alreadyEnded
    }

    /// Stops every process at once and waits for all of them; the outcomes
    /// are in the order given.
    public static func stop(
        _ processes: [ProcessIdentity], timeout: Double, poll: Double = 0.05
    ) throws -> [Outcome] {
        var outcomes = [Outcome?](repeating: nil, count: processes.count)
        for (index, process) in processes.enumerated() {
            if try !signal(process, SIGTERM) { outcomes[index] = .alreadyEnded }
        }
        let deadline = ContinuousClock.now + .seconds(timeout)
        while outcomes.contains(nil) {
            for (index, process) in processes.enumerated() where outcomes[index] == nil && !process.isRunning {
                outcomes[index] = .stopped
            }
            guard outcomes.contains(nil) else { break }
            if ContinuousClock.now >= deadline {
                for (index, process) in processes.enumerated() where outcomes[index] == nil {
                    outcomes[index] = try signal(process, SIGKILL) ? .killed : .stopped
                }
                break
            }
            Thread.sleep(forTimeInterval: poll)
        }
        // SIGKILL cannot be refused, but the process still has to be torn down.
        let killDeadline = ContinuousClock.now + .seconds(5)
        while processes.enumerated().contains(where: { outcomes[$0.offset] == .killed && $0.element.isRunning }),
            ContinuousClock.now < killDeadline
        {
            Thread.sleep(forTimeInterval: poll)
        }
        return outcomes.map { $0! }
    }

    /// Sends `number` if `process` is still that process; false if it has ended.
    static func signal(_ process: ProcessIdentity, _ number: Int32) throws -> Bool {
        guard process.isRunning else { return false }
        if kill(process.pid, number) == 0 { return true }
        let failure = errno
        if failure == ESRCH { return false }
        let hint = failure == EPERM ? " (stop it as the user who started it, or as root)" : ""
        throw ControllerError.signal("cannot signal pid \(process.pid): \(SystemError.text(failure))\(hint)")
    }
}
