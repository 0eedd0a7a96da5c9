import Foundation
import VtapMetrics
import VtapRuleModel
import VtapSystem

/// Sends connections' KPIs to an IPFIX collector (RFC 7011): over UDP the
/// templates go with the first message and again every
/// `templateRefreshSeconds` (RFC 7011, 8.4: a UDP collector forgets
/// templates; no withdrawal is sent over UDP); over TCP with the first
/// message of each connection, a lost connection is made again on the
/// next export (its records in flight are counted as lost; the new
/// connection starts with the templates and sequence number 0), and the
/// templates are withdrawn when the exporter finishes.
public final class IPFIXExporter: @unchecked Sendable {
    public let collector: CollectorAddress
    public let transport: Settings.KPIs.Transport
    public let templateRefreshSeconds: Double
    /// The chosen KPIs' templates and records.
    private let kpis: KPIRecords
    private let lock = NSLock()
    private var messages: IPFIXMessages
    private var socket: CollectorSocket?
    private var templatesSentAt: Date?
    /// What went out, and what could not.
    public private(set) var recordsSent = 0
    public private(set) var messagesSent = 0
    public private(set) var recordsLost = 0
    public private(set) var lastError: String?

    /// Connects at once: a collector that cannot be resolved (or, over
    /// TCP, reached) is an error before anything is measured.
    public init(
        collector: CollectorAddress, transport: Settings.KPIs.Transport, observationDomain: UInt32,
        kpis: KPIRecords = .all, templateRefreshSeconds: Double = 60
    ) throws {
        self.kpis = kpis
        self.collector = collector
        self.transport = transport
        self.templateRefreshSeconds = templateRefreshSeconds
        messages = Self.session(observationDomain, kpis, transport)
        socket = try Self.connect(collector, transport)
    }

    /// A transport session's messages: the export sequence number counts
    /// the data records sent in the current stream (RFC 7011, 3.1), so a
    /// new TCP connection starts again from 0.
    private static func session(
        _ observationDomain: UInt32, _ kpis: KPIRecords, _ transport: Settings.KPIs.Transport
    ) -> IPFIXMessages {
        IPFIXMessages(
            observationDomain: observationDomain, templates: kpis.templates,
            maximumLength: transport == .udp ? 1400 : 65535)
    }

    private static func connect(_ collector: CollectorAddress, _ transport: Settings.KPIs.Transport) throws
        -> CollectorSocket
    {
        try CollectorSocket(host: collector.host, port: collector.port, transport: transport == .udp ? .udp : .tcp)
    }

    /// Sends the records (and the templates when due); from any thread.
    public func export(_ records: [ConnectionKPIs], now: Date = Date()) {
        lock.lock()
        defer { lock.unlock() }
        let encoded = records.compactMap(kpis.record)
        // A record whose addresses do not parse cannot be encoded: lost, not dropped silently.
        recordsLost += records.count - encoded.count
        let due =
            templatesSentAt.map { now.timeIntervalSince($0) >= templateRefreshSeconds && transport == .udp } ?? true
        guard !encoded.isEmpty || due else { return }
        if socket == nil {
            do {
                socket = try Self.connect(collector, transport)
                templatesSentAt = nil
                messages = Self.session(messages.observationDomain, kpis, transport)
            } catch {
                lastError = "\(error)"
                recordsLost += encoded.count
                return
            }
        }
        let includeTemplates = templatesSentAt == nil || due
        let batch = messages.messages(
            records: encoded, exportTime: UInt32(clamping: Int(now.timeIntervalSince1970)),
            includeTemplates: includeTemplates)
        for (index, message) in batch.enumerated() {
            do {
                try socket?.send(message.bytes)
                messagesSent += 1
                recordsSent += message.dataRecords
            } catch {
                lastError = "\(error)"
                // UDP: a refused datagram (no collector yet) is lost alone;
                // TCP: the stream is gone, and so is the rest of the batch.
                guard transport == .tcp else {
                    recordsLost += message.dataRecords
                    continue
                }
                recordsLost += batch[index...].reduce(0) { $0 + $1.dataRecords }
                socket = nil
                return
            }
        }
        if includeTemplates { templatesSentAt = now }
    }

    /// Over TCP, withdraws the templates (RFC 7011, 8.1) and closes.
    public func finish(now: Date = Date()) {
        lock.lock()
        defer { lock.unlock() }
        guard transport == .tcp, let socket else { return }
        try? socket.send(messages.withdrawal(exportTime: UInt32(clamping: Int(now.timeIntervalSince1970))))
        self.socket = nil
    }
}
