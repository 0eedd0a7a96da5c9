import Dispatch
import Foundation
import Synchronization

/// Threads of the exporter's own that run its tasks (Hummingbird's
/// connection and request handlers), preferred over Swift's cooperative
/// pool.
///
/// That pool has one thread per core, and any code in the process that
/// blocks one of its threads takes it from every task. On two cores, two
/// blocking callers (in a test run: synchronous tests waiting on child
/// processes) left no thread at all, and a request sent to the exporter in
/// the same process was not answered for 5 s. The map read itself already
/// runs on a queue of its own (`ScrapeCoalescer`); these threads only
/// parse, render and write, so two of them are plenty.
final class ExporterThreads: TaskExecutor, @unchecked Sendable {
    /// Shared by every server of the process, started on first use and
    /// kept: an exporter lives as long as its run.
    static let shared = ExporterThreads(count: 2)

    private let jobs = Mutex<[UnownedJob]>([])
    private let waiting = DispatchSemaphore(value: 0)

    private init(count: Int) {
        for index in 0..<count {
            let thread = Thread { [unowned self] in self.work() }
            thread.name = "vtap.exporter.\(index)"
            thread.start()
        }
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        jobs.withLock { $0.append(job) }
        waiting.signal()
    }

    private func work() -> Never {
        while true {
            waiting.wait()
            // One signal per job, so a job is there for every wake.
            guard let job = jobs.withLock({ $0.isEmpty ? nil : $0.removeFirst() }) else { continue }
            job.runSynchronously(on: asUnownedTaskExecutor())
        }
    }
}
