import VtapMetrics
import VtapRuleModel

/// Decodes `struct vtap_kpi` records (KPIS) by field name, using the
/// layout in the manifest, like `EventDecoder`.
struct KPIDecoder {
    private let size: Int
    private let offsets: [String: Int]
    /// Added to the BPF clock's times to give nanoseconds since the epoch.
    private let epochOffset: Int64

    /// Every field read, with its width.
    static let fields: [(name: String, width: Int)] = [
        ("time_ns", 8), ("socket", 8), ("rule", 4), ("start_ns", 8), ("established_ns", 8), ("bytes_sent", 8),
        ("bytes_acked", 8), ("bytes_received", 8), ("segs_in", 4), ("segs_out", 4), ("data_segs_in", 4),
        ("data_segs_out", 4), ("total_retrans", 4), ("srtt_us", 4), ("rtt_min_us", 4), ("rtt_max_us", 4),
        ("handshake_rtt_us", 4), ("reord_seen", 4), ("dsack_dups", 4), ("rcv_ooopack", 4), ("rcvbuf_start", 4),
        ("rcvbuf_end", 4), ("total_rto", 2), ("resets_sent", 2), ("resets_received", 2), ("end", 2),
        ("family", 2), ("local_port", 2), ("remote_port", 2), ("state", 2), ("local_addr", 16),
        ("remote_addr", 16),
    ]

    init(_ manifest: Manifest, epochOffset: Int64) throws {
        let (size, found) = try EventDecoder.layout(ObjectContract.kpiStruct, in: manifest, fields: Self.fields)
        self.size = size
        offsets = Dictionary(uniqueKeysWithValues: zip(Self.fields.map(\.name), found))
        self.epochOffset = epochOffset
    }

    /// Nil for a record shorter than the layout or of an unknown end.
    func decode(_ record: UnsafeRawBufferPointer) -> ConnectionKPIs? {
        guard record.count >= size else { return nil }
        func load<T: FixedWidthInteger>(_ name: String, _ type: T.Type) -> T {
            record.loadUnaligned(fromByteOffset: offsets[name] ?? 0, as: T.self)
        }
        guard let end = ConnectionKPIs.End(rawValue: load("end", UInt16.self)) else { return nil }
        let version = load("family", UInt16.self) == 10 ? 6 : 4
        func address(_ name: String) -> String {
            let offset = offsets[name] ?? 0
            return EventDecoder.text(UnsafeRawBufferPointer(rebasing: record[offset..<offset + 16]), version: version)
        }
        func epoch(_ name: String) -> Int64 { Int64(clamping: load(name, UInt64.self)) &+ epochOffset }
        let established = load("established_ns", UInt64.self)
        return ConnectionKPIs(
            socket: load("socket", UInt64.self), rule: Int(load("rule", Int32.self)), nanoseconds: epoch("time_ns"),
            startNanoseconds: epoch("start_ns"),
            establishedNanoseconds: established == 0 ? nil : epoch("established_ns"),
            end: end, state: Int(load("state", UInt16.self)), ipVersion: version, localAddress: address("local_addr"),
            localPort: load("local_port", UInt16.self), remoteAddress: address("remote_addr"),
            remotePort: load("remote_port", UInt16.self), bytesSent: load("bytes_sent", UInt64.self),
            bytesAcked: load("bytes_acked", UInt64.self), bytesReceived: load("bytes_received", UInt64.self),
            segmentsIn: load("segs_in", UInt32.self), segmentsOut: load("segs_out", UInt32.self),
            dataSegmentsIn: load("data_segs_in", UInt32.self), dataSegmentsOut: load("data_segs_out", UInt32.self),
            retransmissions: load("total_retrans", UInt32.self), smoothedRTTMicroseconds: load("srtt_us", UInt32.self),
            minimumRTTMicroseconds: load("rtt_min_us", UInt32.self),
            maximumRTTMicroseconds: load("rtt_max_us", UInt32.self),
            handshakeRTTMicroseconds: load("handshake_rtt_us", UInt32.self),
            reorderingSeen: load("reord_seen", UInt32.self), duplicateSegments: load("dsack_dups", UInt32.self),
            outOfOrderReceived: load("rcv_ooopack", UInt32.self), stalls: load("total_rto", UInt16.self),
            resetsSent: load("resets_sent", UInt16.self), resetsReceived: load("resets_received", UInt16.self),
            receiveBufferStart: load("rcvbuf_start", UInt32.self), receiveBufferEnd: load("rcvbuf_end", UInt32.self))
    }
}
