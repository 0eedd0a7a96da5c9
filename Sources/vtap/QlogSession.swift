import Foundation
import Synchronization
import VtapDiagnostics
import VtapMetrics
import VtapOutputs
import VtapRuleModel
import VtapRuntime
import VtapSystem

/// `--qlog DIR`: segments in, one trace file per connection out. Closed
/// connections are written once quiet for `quietNanoseconds` (a late
/// retransmitted FIN still lands in its trace), the rest at the end.
final class QlogSession: Sendable {
    private let writer: QlogWriter
    private let state: Mutex<State>
    private static let quietNanoseconds: Int64 = 10_000_000_000

    private struct State {
        var tracker: TCPConnectionTracker
        var written = 0
        var failure: RuntimeError?
        /// Segment time of the last hand-out of finished traces.
        var lastSweep: Int64 = 0
    }

    /// Nil without `--qlog`.
    init?(
        _ options: QlogOptions, object: MeasurementObject, origin: String,
        captureVantage: TCPConnectionTracker.CaptureVantage = .client
    ) throws {
        guard let directory = options.qlog else { return nil }
        try EventTap.requireSegments(object)
        // Created with the first trace, so a run that fails to start
        // leaves nothing behind; its parent must be there now.
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else { throw RuntimeError.badInput("--qlog: \(directory) is not a directory") }
        } else {
            let parent = (directory as NSString).deletingLastPathComponent
            guard parent.isEmpty || FileManager.default.fileExists(atPath: parent, isDirectory: &isDirectory),
                parent.isEmpty || isDirectory.boolValue
            else { throw RuntimeError.badInput("--qlog: \(parent) is not a directory") }
        }
        writer = QlogWriter(
            directory: directory, format: options.qlogFormat, ruleLabels: object.manifest.rules.map(\.label),
            origin: origin)
        state = Mutex(State(tracker: TCPConnectionTracker(captureVantage: captureVantage)))
    }

    /// From the events' thread, or replay's loop.
    @Sendable func add(_ segment: TCPSegment) {
        let finished = state.withLock { state -> [TCPTrace] in
            state.tracker.add(segment)
            // Also on the segments' own clock, once a second of it: a
            // replay has no other, and would keep every trace to the end.
            guard segment.nanoseconds - state.lastSweep >= 1_000_000_000 else { return [] }
            state.lastSweep = segment.nanoseconds
            return state.tracker.takeFinished(now: segment.nanoseconds, quietNanoseconds: Self.quietNanoseconds)
        }
        write(finished)
    }

    /// A connection-level event (LEVELS connection): its socket's state change.
    func add(_ event: KernelEvent, epochOffset: Int64) {
        guard event.kind == .state else { return }
        let change = TCPConnectionTracker.StateChange(
            nanoseconds: Int64(clamping: event.monotonicNanoseconds) &+ epochOffset,
            local: .init(event.localAddress, event.localPort), remote: .init(event.remoteAddress, event.remotePort),
            old: TCPState.name(of: event.detail), new: TCPState.name(of: event.value))
        state.withLock { $0.tracker.add(change) }
    }

    /// Writes the traces that are final by `now` (nanoseconds since the epoch).
    func writeFinished(now: Int64) {
        let traces = state.withLock { $0.tracker.takeFinished(now: now, quietNanoseconds: Self.quietNanoseconds) }
        write(traces)
    }

    /// Writes every trace left; says how many were written, and where.
    func finish() throws {
        write(state.withLock { $0.tracker.finish() })
        let (written, failure) = state.withLock { ($0.written, $0.failure) }
        if let failure { throw failure }
        StandardStreams.writeError(
            "vtap: qlog: \(written) trace\(written == 1 ? "" : "s") (\(writer.format.rawValue)) in \(writer.directory)\n"
        )
    }

    private func write(_ traces: [TCPTrace]) {
        guard !traces.isEmpty else { return }
        do {
            if !FileManager.default.fileExists(atPath: writer.directory) {
                try FileManager.default.createDirectory(atPath: writer.directory, withIntermediateDirectories: false)
            }
        } catch {
            state.withLock {
                $0.failure =
                    $0.failure ?? .io("--qlog: cannot create \(writer.directory): \(SystemError.describe(error))")
            }
            return
        }
        for trace in traces {
            do {
                try writer.write(trace)
                state.withLock { $0.written += 1 }
            } catch {
                state.withLock { $0.failure = $0.failure ?? .io("\(error)") }
            }
        }
    }
}
