import Foundation
import VtapBPF
import VtapMetrics
import VtapRuleModel

/// What the program decided for one frame.
public enum Verdict: Sendable, Equatable {
    case matched(rule: Int)
    /// Parsed, but no rule matches (non-IP frames included).
    case unmatched
    /// Counted under this `vtap_totals` slot name.
    case malformed(String)

    init(returnValue: UInt32) {
        if returnValue & ObjectContract.malformedVerdictBit != 0 {
            let slot = Int(returnValue & ~ObjectContract.malformedVerdictBit)
            self = .malformed(TotalSlot(rawValue: slot)?.name ?? "slot \(slot)")
        } else if returnValue == 0 {
            self = .unmatched
        } else {
            self = .matched(rule: Int(returnValue) - 1)
        }
    }
}

/// Runs frames through a loaded object with BPF_PROG_TEST_RUN, each with
/// its own timestamp and wire length, exactly as a live socket would count
/// them.
public final class ReplaySession: @unchecked Sendable {
    public let measurement: LoadedMeasurement
    private let replayGlobal: Manifest.Global
    private let bss: BPFMap
    /// The longest frame BPF_PROG_TEST_RUN takes: one page less the skb's
    /// headroom and shared info (3,712 bytes with 4 KiB pages on x86-64).
    /// Learned downward if the kernel refuses a frame of this size.
    public private(set) var runnableLimit = Int(sysconf(Int32(_SC_PAGESIZE))) - 384

    /// Reads qlog's segments after every frame, when asked for.
    private var segmentReader: RingBufferReader?

    /// `segments` gets the TCP segments the packet program writes for qlog
    /// (objects built with QLOG), each right after its frame ran.
    public init(
        _ object: MeasurementObject, segments: (@Sendable (TCPSegment) -> Void)? = nil, flowView: Bool = false
    ) throws {
        var configuration = LoadConfiguration.replay
        configuration.flowView = flowView
        measurement = try LoadedMeasurement(object, configuration: configuration)
        if let segments {
            try EventTap.requireSegments(object)
            // Capture times are already since the epoch.
            let dispatch = try RecordDispatch(object.manifest, epochOffset: 0, events: { _ in }, segments: segments)
            do {
                segmentReader = try RingBufferReader(measurement.bpfObject.map(named: ObjectContract.eventsMap)) {
                    _ = dispatch.handle($0)
                }
            } catch let error as BPFError {
                throw RuntimeError.from(error, doing: "reading the segments of \(object.origin)")
            }
        }
        guard let global = object.manifest.global(named: ObjectContract.replayGlobal) else {
            throw RuntimeError.badInput("\(object.origin): the manifest has no \(ObjectContract.replayGlobal) variable")
        }
        replayGlobal = global
        do {
            bss = try measurement.bpfObject.map(
                named: Self.internalMapName(for: global.section, in: measurement.bpfObject))
        } catch let error as BPFError {
            throw RuntimeError.from(error, doing: "finding \(global.section)")
        } catch {
            throw RuntimeError.internalError("finding \(global.section): \(error)")
        }
    }

    /// Enough for every header vtap parses.
    static let minimumRunnableFrame = 256

    /// libbpf names global-data maps after the object and section, e.g. "vtap.bss".
    static func internalMapName(for section: String, in object: BPFObject) -> String {
        object.maps.first { $0.isInternal && $0.name.hasSuffix(section) }?.name ?? section
    }

    /// Runs one frame. `frame` starts with its Ethernet header; `wireLength`
    /// is its length on the wire (at least `frame.count` unless truncated).
    /// Frames longer than `runnableLimit` run truncated to it, as a snap
    /// length would: counts stay exact, bytes past it cannot be read.
    @discardableResult
    public func run(frame: [UInt8], timestampNanoseconds: UInt64, wireLength: Int) throws -> Verdict {
        while true {
            do {
                let verdict = try runOnce(
                    frame: frame.count > runnableLimit ? Array(frame.prefix(runnableLimit)) : frame,
                    timestampNanoseconds: timestampNanoseconds, wireLength: max(wireLength, frame.count))
                try readSegments()
                return verdict
            } catch let error as BPFError where error.kind == .invalidArgument {
                guard frame.count >= runnableLimit, runnableLimit > 1514 else {
                    throw RuntimeError.badInput("the kernel refused to run a frame of \(frame.count) bytes: \(error)")
                }
                runnableLimit -= 64
            }
        }
    }

    private func readSegments() throws {
        do {
            try segmentReader?.drain()
        } catch let error as BPFError {
            throw RuntimeError.from(error, doing: "reading a frame's segments")
        }
    }

    private func runOnce(frame: [UInt8], timestampNanoseconds: UInt64, wireLength: Int) throws -> Verdict {
        // test_run refuses frames whose headers are cut short, which are
        // exactly the malformed ones to count. Padded, they run; the program
        // reads no further than the captured length it is given.
        let runnable =
            frame.count >= Self.minimumRunnableFrame
            ? frame : frame + [UInt8](repeating: 0, count: Self.minimumRunnableFrame - frame.count)
        var value = [UInt8](repeating: 0, count: bss.valueSize)
        let offset = replayGlobal.offset
        withUnsafeBytes(of: timestampNanoseconds.littleEndian) { value.replaceSubrange(offset..<offset + 8, with: $0) }
        withUnsafeBytes(of: UInt32(clamping: wireLength).littleEndian) {
            value.replaceSubrange(offset + 8..<offset + 12, with: $0)
        }
        withUnsafeBytes(of: UInt32(clamping: frame.count).littleEndian) {
            value.replaceSubrange(offset + 12..<offset + 16, with: $0)
        }
        do {
            try bss.update(key: [0, 0, 0, 0], value: value)
        } catch let error as BPFError {
            throw RuntimeError.from(error, doing: "passing a frame's time and length")
        }
        do {
            return Verdict(returnValue: try measurement.program.testRun(packet: runnable).returnValue)
        } catch let error as BPFError where error.kind == .invalidArgument {
            throw error  // the caller may retry with a shorter frame
        } catch let error as BPFError {
            throw RuntimeError.from(error, doing: "running a frame through the program")
        }
    }
}
