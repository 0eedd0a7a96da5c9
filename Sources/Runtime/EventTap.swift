import Foundation
import Synchronization
import VtapBPF
import VtapMetrics
import VtapRuleModel
import VtapSystem

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
    /// The kernel's drop reason names, read with the first drop.
    private let dropReasonNames = Mutex<[UInt32: String]?>(nil)
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

    /// Whether an object writes events at all: tracepoint programs, or
    /// qlog's segments from the packet program (both need the ring buffer).
    public static func hasEvents(_ object: MeasurementObject) -> Bool {
        object.manifest.maps.contains { $0.name == ObjectContract.eventsMap }
    }

    /// Whether the object has KPIS' programs.
    public static func hasKPIs(_ object: MeasurementObject) -> Bool {
        object.manifest.structLayout(named: ObjectContract.kpiStruct) != nil
    }

    /// Whether the packet program writes qlog's TCP segments.
    public static func hasSegments(_ object: MeasurementObject) -> Bool {
        object.manifest.structLayout(named: ObjectContract.segmentStruct) != nil
    }

    /// Throws for an object whose packet program writes no segments.
    public static func requireSegments(_ object: MeasurementObject) throws {
        guard hasSegments(object) else {
            throw RuntimeError.badInput(
                "--qlog: \(object.origin) writes no TCP segments; add \"EVENTS\": {\"QLOG\": true} to its rules file")
        }
    }

    /// The maps the packet program's per-interface instances write through
    /// (`LoadConfiguration.sharedMaps`): one ring, one set of loss counts.
    public var sharedMaps: [String: Int32] {
        var maps: [String: Int32] = [:]
        for name in [ObjectContract.eventsMap, ObjectContract.eventStatsMap, ObjectContract.eventRateMap] {
            if let fd = try? bpf.map(named: name).fileDescriptor { maps[name] = fd }
        }
        return maps
    }

    /// Added to the BPF clock to give nanoseconds since the epoch, for
    /// every record of this tap (segments are converted with it).
    public let epochOffset: Int64

    /// Called on the tap's thread after each batch the ring buffer gave.
    private let batchEnded: @Sendable () -> Void

    /// Loads and attaches. `sink` is called on the tap's own thread, one
    /// event at a time, in ring-buffer order; `batchEnded` after each batch.
    public init(
        _ object: MeasurementObject, sink: @escaping @Sendable (KernelEvent) -> Void,
        segments: @escaping @Sendable (TCPSegment) -> Void = { _ in },
        kpis: @escaping @Sendable (ConnectionKPIs) -> Void = { _ in },
        batchEnded: @escaping @Sendable () -> Void = {}, epochOffset: Int64 = MonotonicClock.epochOffset()
    ) throws {
        self.batchEnded = batchEnded
        self.epochOffset = epochOffset
        let dispatch = try RecordDispatch(
            object.manifest, epochOffset: epochOffset, events: sink, segments: segments, kpis: kpis)
        let received = counts
        do {
            bpf = try BPFObject(elf: object.elf, name: "vtap")
            for program in bpf.programs where !program.section.hasPrefix(ObjectContract.tracepointSectionPrefix) {
                try program.setAutoload(false)
            }
            try bpf.load()
            stats = try bpf.map(named: ObjectContract.eventStatsMap)
            reader = try RingBufferReader(try bpf.map(named: ObjectContract.eventsMap)) { record in
                guard let kind = dispatch.handle(record) else { return }
                received.byKind.withLock { $0[kind, default: 0] += 1 }
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

    /// LATENCY's histograms, one per rule and stage with a sample (none
    /// for an object without LATENCY); from any thread.
    public func latency() throws -> [StackLatency] {
        guard let map = try? bpf.map(named: ObjectContract.latencyMap) else { return [] }
        let entries: [(key: [UInt8], value: [UInt8])]
        do {
            entries = try map.entries()
        } catch let error as BPFError {
            throw RuntimeError.from(error, doing: "reading the latency histograms")
        }
        let width = LatencyStage.buckets
        return entries.compactMap { entry -> StackLatency? in
            guard let stage = LatencyStage(rawValue: Int(Self.word(entry.key, 1))), entry.value.count >= width * 8
            else { return nil }
            let buckets = (0..<width).map { Self.doubleWord(entry.value, $0) }
            guard buckets.contains(where: { $0 > 0 }) else { return nil }
            return StackLatency(rule: Int(Self.word(entry.key, 0)), stage: stage, buckets: buckets)
        }.sorted { ($0.rule, $0.stage.rawValue) < ($1.rule, $1.stage.rawValue) }
    }

    /// LATENCY's drops: the marked packets the kernel dropped, by rule,
    /// stage and reason, largest first; from any thread.
    public func drops() throws -> [StackDrop] {
        guard let map = try? bpf.map(named: ObjectContract.latencyDropsMap) else { return [] }
        let entries: [(key: [UInt8], value: [UInt8])]
        do {
            entries = try map.entries()
        } catch let error as BPFError {
            throw RuntimeError.from(error, doing: "reading the latency drops")
        }
        guard !entries.isEmpty else { return [] }
        // Named on the first drop: the kernel's BTF is a few MB to read.
        let names = dropReasonNames.withLock { names in
            if names == nil { names = (try? KernelTypes.enumCases(named: "skb_drop_reason")) ?? [:] }
            return names ?? [:]
        }
        return entries.compactMap { entry -> StackDrop? in
            guard let stage = LatencyStage(rawValue: Int(Self.word(entry.key, 1))), entry.value.count >= 8 else {
                return nil
            }
            let reason = Self.word(entry.key, 2)
            return StackDrop(
                rule: Int(Self.word(entry.key, 0)), stage: stage, reason: reason,
                reasonName: StackDrop.reasonName(reason, kernelNames: names), packets: Self.doubleWord(entry.value, 0))
        }.sorted { ($0.packets, $1.rule, $1.reason) > ($1.packets, $0.rule, $0.reason) }
    }

    /// The `index`th 32-bit word of a map key or value (host order); 0
    /// past its end.
    private static func word(_ bytes: [UInt8], _ index: Int) -> UInt32 {
        guard bytes.count >= (index + 1) * 4 else { return 0 }
        return bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: index * 4, as: UInt32.self) }
    }

    /// The `index`th 64-bit word (host order); 0 past its end.
    private static func doubleWord(_ bytes: [UInt8], _ index: Int) -> UInt64 {
        guard bytes.count >= (index + 1) * 8 else { return 0 }
        return bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: index * 8, as: UInt64.self) }
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

/// Hands each ring-buffer record to the decoder of its kind: tracepoint
/// events and qlog's segments share the ring (and its order).
struct RecordDispatch: Sendable {
    /// Nil for LATENCY alone, which writes no record.
    private let kindOffset: Int?
    private let events: EventDecoder?
    private let segments: SegmentDecoder?
    private let kpis: KPIDecoder?
    private let eventSink: @Sendable (KernelEvent) -> Void
    private let segmentSink: @Sendable (TCPSegment) -> Void
    private let kpiSink: @Sendable (ConnectionKPIs) -> Void

    init(
        _ manifest: Manifest, epochOffset: Int64, events: @escaping @Sendable (KernelEvent) -> Void,
        segments: @escaping @Sendable (TCPSegment) -> Void,
        kpis: @escaping @Sendable (ConnectionKPIs) -> Void = { _ in }
    ) throws {
        self.kpis =
            manifest.structLayout(named: ObjectContract.kpiStruct) == nil
            ? nil : try KPIDecoder(manifest, epochOffset: epochOffset)
        kpiSink = kpis
        kindOffset = SegmentDecoder.kindOffset(manifest)
        self.events =
            manifest.structLayout(named: ObjectContract.eventStruct) == nil ? nil : try EventDecoder(manifest)
        self.segments =
            manifest.structLayout(named: ObjectContract.segmentStruct) == nil
            ? nil : try SegmentDecoder(manifest, epochOffset: epochOffset)
        eventSink = events
        segmentSink = segments
    }

    /// The record's kind when it was decoded and handed on.
    func handle(_ record: UnsafeRawBufferPointer) -> EventKind? {
        guard let kindOffset, record.count >= kindOffset + 4,
            let kind = EventKind(rawValue: record.loadUnaligned(fromByteOffset: kindOffset, as: UInt32.self))
        else { return nil }
        if kind == .segment {
            guard let segment = segments?.decode(record) else { return nil }
            segmentSink(segment)
        } else if kind == .kpi {
            guard let kpi = kpis?.decode(record) else { return nil }
            kpiSink(kpi)
        } else {
            guard let event = events?.decode(record) else { return nil }
            eventSink(event)
        }
        return kind
    }
}
