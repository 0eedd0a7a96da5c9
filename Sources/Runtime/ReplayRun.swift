import Foundation
import VtapCapture
import VtapMetrics

/// `vtap replay` with intervals: the live run's twin on capture time.
/// Counters are read whenever capture time passes a boundary (before the
/// packet that passed it) and at least every capture second.
public enum ReplayRun {
    public struct Result: Sendable {
        public var packets: Int
    }

    /// Empty report intervals written out in a row before the rest of a
    /// gap in capture time is passed over (a day's gap was 86,400
    /// intervals, 157 MB of JSON; a timestamp of 2106 ran out of memory).
    public static let idleIntervalsShown: UInt64 = 60

    /// `notice` hears of every gap passed over, in a line for stderr.
    public static func run(
        _ object: MeasurementObject, capture path: String, reportSeconds: Double, jitterSeconds: Double,
        flowView: Bool = false, observer: MeasurementObserver, segments: (@Sendable (TCPSegment) -> Void)? = nil,
        notice: (String) -> Void = { _ in }
    ) throws -> Result {
        let session = try ReplaySession(object, segments: segments, flowView: flowView)
        let reader: CaptureReader
        do {
            reader = try CaptureReader(path: path)
        } catch {
            throw RuntimeError.badInput("\(error)")
        }
        var timeline: MeasurementTimeline?
        var lastRead: UInt64 = 0
        var lastTime: UInt64 = 0
        func read(at time: UInt64) throws {
            timeline?.record([("capture", try session.measurement.snapshot())], at: time)
            lastRead = time
        }

        while let packet = try nextPacket(reader, notice: notice) {
            let time = packet.timestampNanoseconds
            if timeline == nil {
                timeline = MeasurementTimeline(
                    ruleCount: object.manifest.rules.count, start: time, reportSeconds: reportSeconds,
                    jitterSeconds: jitterSeconds, origin: ReportTime(nanosecondsSinceEpoch: Int64(time)))
                lastRead = time
                lastTime = time
            }
            // The timeline's own interval: set just above, it is never nil here.
            let idleLimit = idleIntervalsShown * (timeline?.reportNanoseconds ?? 1)
            if time > lastTime, time - lastTime > idleLimit {
                let through = lastTime + idleLimit
                try read(at: through)
                for interval in timeline?.intervalsEnded(by: through) ?? [] { try observer.measured(interval) }
                let skipped = timeline?.skipIdle(until: time) ?? 0
                notice(
                    "\(path): no packet for \(Double(time - lastTime) / 1e9) s of capture time after packet "
                        + "\(reader.packetsRead - 1); \(idleIntervalsShown) empty intervals shown, \(skipped) more passed over"
                )
            }
            if let next = timeline?.nextBoundary, time >= next || time >= lastRead + LiveRun.maximumReadGap {
                try read(at: time)
                for interval in timeline?.intervalsEnded(by: time) ?? [] { try observer.measured(interval) }
            }
            lastTime = max(lastTime, time)
            try session.run(frame: packet.bytes, timestampNanoseconds: time, wireLength: packet.originalLength)
        }

        guard var timeline else {
            throw RuntimeError.badInput("\(path) holds no packets")
        }
        timeline.record([("capture", try session.measurement.snapshot())], at: lastTime)
        for interval in timeline.intervalsEnded(by: lastTime) { try observer.measured(interval) }
        let end = timeline.finish(at: lastTime)
        if let partial = end.partial { try observer.measured(partial) }
        try observer.measured(end.summary)
        return Result(packets: reader.packetsRead)
    }

    /// A capture cut off inside a packet (a capture still being written,
    /// a copy interrupted) ends at its last whole packet, as tshark reads
    /// it, with a notice; cut off before any packet, it is bad input.
    private static func nextPacket(_ reader: CaptureReader, notice: (String) -> Void) throws -> CapturedPacket? {
        do {
            return try reader.nextEthernetPacket()
        } catch let error as CaptureError where error.kind == .truncated && reader.packetsRead > 0 {
            notice("\(error); replayed the \(reader.packetsRead) whole packets before the cut")
            return nil
        } catch {
            throw RuntimeError.badInput("\(error)")
        }
    }
}
