import Foundation
import Synchronization
import VtapBPF
import VtapMetrics
import VtapRuleModel

/// The event programs of an object (its EVENTS), loaded once for the host
/// (tracepoints are not per interface), attached, and read: a thread takes
/// each record from the ring buffer in order and hands it to `sink`.
///
/// Only the event programs of this instance are loaded; the packet program
/// stays with the per-interface instances.
public final class EventTap: @unchecked Sendable {
    private let bpf: BPFObject
    private var links: [TracepointLink] = []
    private let reader: RingBufferReader
    private let stats: BPFMap
    private let state = Mutex(State())
    private let counts = ReceivedCounts()
    private let finished = DispatchSemaphore(value: 0)

    private struct State {
        var running = false
        var stopRequested = false
        var readError: String?
    }

    /// Shared with the reader's handler, which exists before `self` does.
    private final class ReceivedCounts: Sendable {
        let byKind = Mutex<[EventKind: UInt64]>([:])
    }

    /// Whether an object has event programs at all.
    public static func hasEvents(_ object: MeasurementObject) -> Bool {
        object.manifest.programs.contains { $0.section.hasPrefix(ObjectContract.tracepointSectionPrefix) }
    }

    /// Called on the tap's thread after each batch the ring buffer gave.
    private let batchEnded: @Sendable () -> Void

    /// Loads and attaches. `sink` is called on the tap's own thread, one
    /// event at a time, in ring-buffer order; `batchEnded` after each batch.
    public init(
        _ object: MeasurementObject, sink: @escaping @Sendable (KernelEvent) -> Void,
        batchEnded: @escaping @Sendable () -> Void = {}
    ) throws {
        self.batchEnded = batchEnded
        let decoder = try EventDecoder(object.manifest)
        let received = counts
        do {
            bpf = try BPFObject(elf: object.elf, name: "vtap")
            for program in bpf.programs where !program.section.hasPrefix(ObjectContract.tracepointSectionPrefix) {
                try program.setAutoload(false)
            }
            try bpf.load()
            stats = try bpf.map(named: ObjectContract.eventStatsMap)
            reader = try RingBufferReader(try bpf.map(named: ObjectContract.eventsMap)) { record in
                guard let event = decoder.decode(record) else { return }
                received.byKind.withLock { $0[event.kind, default: 0] += 1 }
                sink(event)
            }
            for program in bpf.programs where program.section.hasPrefix(ObjectContract.tracepointSectionPrefix) {
                links.append(try TracepointLink(program))
            }
        } catch let error as BPFError {
            links.forEach { $0.detach() }
            throw RuntimeError.from(error, doing: "loading the event programs of \(object.origin)")
        }
    }

    /// The attached event programs.
    public var programs: [BPFProgram] { links.map(\.program) }

    /// Starts reading on a thread of its own.
    public func start() {
        state.withLock { $0.running = true }
        let thread = Thread { [self] in
            while !state.withLock({ $0.stopRequested }) {
                do {
                    // The programs wake the reader only once a quarter of
                    // the ring waits; what is there sooner is read when the
                    // wait times out, so no event waits more than ~100 ms.
                    try reader.poll(timeoutMilliseconds: 100)
                    try reader.drain()
                    batchEnded()
                } catch {
                    state.withLock { $0.readError = "\(error)" }
                    break
                }
            }
            finished.signal()
        }
        thread.name = "vtap-events"
        thread.start()
    }

    /// Detaches every program, reads what the ring buffer still holds and
    /// returns the run's totals; idempotent after the first call.
    public func stop() throws -> EventTotals {
        links.forEach { $0.detach() }
        let wasRunning = state.withLock { state -> Bool in
            defer {
                state.stopRequested = true
                state.running = false
            }
            return state.running
        }
        if wasRunning { finished.wait() }
        do {
            try reader.drain()
            batchEnded()
        } catch let error as BPFError {
            throw RuntimeError.from(error, doing: "reading the events")
        }
        let totals = try self.totals()
        if let failure = state.withLock({ $0.readError }) {
            throw RuntimeError.internalError("reading events: \(failure)")
        }
        return totals
    }

    /// What the programs wrote, lost and capped so far, and what was read;
    /// from any thread (the exporter's).
    public func totals() throws -> EventTotals {
        do {
            let snapshot = try stats.snapshot()
            var totals = EventTotals()
            totals.written = snapshot.sum(UInt64.self, at: EventStatSlot.written.rawValue) ?? 0
            totals.lost = snapshot.sum(UInt64.self, at: EventStatSlot.lost.rawValue) ?? 0
            totals.capped = snapshot.sum(UInt64.self, at: EventStatSlot.capped.rawValue) ?? 0
            totals.received = counts.byKind.withLock { $0 }
            return totals
        } catch let error as BPFError {
            throw RuntimeError.from(error, doing: "reading the event counters")
        }
    }

    deinit { links.forEach { $0.detach() } }
}
