import VtapMetrics
import VtapRuleModel

/// Decodes `struct vtap_kpi` records (KPIS) by field name, using the
/// layout in the manifest, like `EventDecoder`.
struct KPIDecoder {
    private let size: Int
    /// Each field's offset, by `Field.rawValue`: looked up once here, not
    /// by name for every record.
    private let offsets: [Int]
    /// Added to the BPF clock's times to give nanoseconds since the epoch.
    private let epochOffset: Int64

    enum Field: Int, CaseIterable {
        case time, socket, rule, start, established, bytesSent, bytesAcked, bytesReceived
        case segmentsIn, segmentsOut, dataSegmentsIn, dataSegmentsOut, retransmissions
        case smoothedRTT, minimumRTT, maximumRTT, handshakeRTT, reordering, duplicates, outOfOrder
        case receiveBufferStart, receiveBufferEnd, stalls, resetsSent, resetsReceived, end
        case family, localPort, remotePort, state, localAddress, remoteAddress
        case reinjected, mptcpToken, pathIndex, subflows, scope

        /// The field's name in `struct vtap_kpi`.
        var name: String {
            switch self {
            case .time: "time_ns"
            case .socket: "socket"
            case .rule: "rule"
            case .start: "start_ns"
            case .established: "established_ns"
            case .bytesSent: "bytes_sent"
            case .bytesAcked: "bytes_acked"
            case .bytesReceived: "bytes_received"
            case .segmentsIn: "segs_in"
            case .segmentsOut: "segs_out"
            case .dataSegmentsIn: "data_segs_in"
            case .dataSegmentsOut: "data_segs_out"
            case .retransmissions: "total_retrans"
            case .smoothedRTT: "srtt_us"
            case .minimumRTT: "rtt_min_us"
            case .maximumRTT: "rtt_max_us"
            case .handshakeRTT: "handshake_rtt_us"
            case .reordering: "reord_seen"
            case .duplicates: "dsack_dups"
            case .outOfOrder: "rcv_ooopack"
            case .receiveBufferStart: "rcvbuf_start"
            case .receiveBufferEnd: "rcvbuf_end"
            case .stalls: "total_rto"
            case .resetsSent: "resets_sent"
            case .resetsReceived: "resets_received"
            case .end: "end"
            case .family: "family"
            case .localPort: "local_port"
            case .remotePort: "remote_port"
            case .state: "state"
            case .localAddress: "local_addr"
            case .remoteAddress: "remote_addr"
            case .reinjected: "reinjected"
            case .mptcpToken: "mptcp_token"
            case .pathIndex: "path_index"
            case .subflows: "subflows"
            case .scope: "scope"
            }
        }

        /// Bytes the decoder reads there.
        var width: Int {
            switch self {
            case .time, .socket, .start, .established, .bytesSent, .bytesAcked, .bytesReceived, .reinjected: 8
            case .rule, .segmentsIn, .segmentsOut, .dataSegmentsIn, .dataSegmentsOut, .retransmissions,
                .smoothedRTT, .minimumRTT, .maximumRTT, .handshakeRTT, .reordering, .duplicates, .outOfOrder,
                .receiveBufferStart, .receiveBufferEnd, .mptcpToken:
                4
            case .stalls, .resetsSent, .resetsReceived, .end, .family, .localPort, .remotePort, .state, .pathIndex,
                .subflows, .scope:
                2
            case .localAddress, .remoteAddress: 16
            }
        }
    }

    init(_ manifest: Manifest, epochOffset: Int64) throws {
        (size, offsets) = try EventDecoder.layout(
            ObjectContract.kpiStruct, in: manifest, fields: Field.allCases.map { ($0.name, $0.width) })
        self.epochOffset = epochOffset
    }

    /// Nil for a record shorter than the layout or of an unknown end or scope.
    func decode(_ record: UnsafeRawBufferPointer) -> ConnectionKPIs? {
        guard record.count >= size else { return nil }
        func load<T: FixedWidthInteger>(_ field: Field, _ type: T.Type = T.self) -> T {
            record.loadUnaligned(fromByteOffset: offsets[field.rawValue], as: T.self)
        }
        guard let end = ConnectionKPIs.End(rawValue: load(.end)), let scope = KPIScope(rawValue: load(.scope))
        else { return nil }
        let version = load(.family, UInt16.self) == 10 ? 6 : 4
        func address(_ field: Field) -> String {
            let offset = offsets[field.rawValue]
            return EventDecoder.text(UnsafeRawBufferPointer(rebasing: record[offset..<offset + 16]), version: version)
        }
        func epoch(_ field: Field) -> Int64 { Int64(clamping: load(field, UInt64.self)) &+ epochOffset }
        let established: UInt64 = load(.established)
        return ConnectionKPIs(
            socket: load(.socket), rule: Int(load(.rule, Int32.self)), nanoseconds: epoch(.time),
            startNanoseconds: epoch(.start), establishedNanoseconds: established == 0 ? nil : epoch(.established),
            end: end, state: Int(load(.state, UInt16.self)), ipVersion: version, localAddress: address(.localAddress),
            localPort: load(.localPort), remoteAddress: address(.remoteAddress), remotePort: load(.remotePort),
            bytesSent: load(.bytesSent), bytesAcked: load(.bytesAcked), bytesReceived: load(.bytesReceived),
            segmentsIn: load(.segmentsIn), segmentsOut: load(.segmentsOut), dataSegmentsIn: load(.dataSegmentsIn),
            dataSegmentsOut: load(.dataSegmentsOut), retransmissions: load(.retransmissions),
            smoothedRTTMicroseconds: load(.smoothedRTT), minimumRTTMicroseconds: load(.minimumRTT),
            maximumRTTMicroseconds: load(.maximumRTT), handshakeRTTMicroseconds: load(.handshakeRTT),
            reorderingSeen: load(.reordering), duplicateSegments: load(.duplicates),
            outOfOrderReceived: load(.outOfOrder),
            stalls: load(.stalls), resetsSent: load(.resetsSent), resetsReceived: load(.resetsReceived),
            receiveBufferStart: load(.receiveBufferStart), receiveBufferEnd: load(.receiveBufferEnd),
            mptcp: scope == .tcp
                ? nil
                : ConnectionKPIs.MPTCP(
                    scope: scope, token: load(.mptcpToken), pathIndex: load(.pathIndex), subflows: load(.subflows),
                    reinjectedBytes: load(.reinjected)))
    }
}
