import VtapMetrics
import VtapRuleModel

#if canImport(Glibc)
    import Glibc
#endif

/// How a connection's KPIs travel over IPFIX: IANA's elements (RFC 7012)
/// where one has the meaning, Flowcorder's enterprise elements where it
/// defined one (its elements.iespec, enterprise 65534), and vtap's own
/// under the same enterprise number from id 100 (docs/kpis.md lists them).
public enum KPIElements {
    /// Flowcorder's: a collector set up for Flowcorder's records reads these.
    public static let enterprise: UInt32 = 65534

    public static let templateIDv4: UInt16 = 256
    public static let templateIDv6: UInt16 = 257

    // IANA.
    static let sourceIPv4Address = IPFIXElement("sourceIPv4Address", 8, length: 4)
    static let destinationIPv4Address = IPFIXElement("destinationIPv4Address", 12, length: 4)
    static let sourceIPv6Address = IPFIXElement("sourceIPv6Address", 27, length: 16)
    static let destinationIPv6Address = IPFIXElement("destinationIPv6Address", 28, length: 16)
    static let sourceTransportPort = IPFIXElement("sourceTransportPort", 7, length: 2)
    static let destinationTransportPort = IPFIXElement("destinationTransportPort", 11, length: 2)
    static let protocolIdentifier = IPFIXElement("protocolIdentifier", 4, length: 1)
    static let flowStartMilliseconds = IPFIXElement("flowStartMilliseconds", 152, length: 8)
    static let flowEndMilliseconds = IPFIXElement("flowEndMilliseconds", 153, length: 8)
    static let octetTotalCount = IPFIXElement("octetTotalCount", 85, length: 8)
    static let packetTotalCount = IPFIXElement("packetTotalCount", 86, length: 8)
    static let flowEndReason = IPFIXElement("flowEndReason", 136, length: 1)

    // Flowcorder's (elements.iespec), same meaning.
    static func flowcorder(_ name: String, _ id: UInt16, _ length: UInt16) -> IPFIXElement {
        IPFIXElement(name, id, length: length, enterprise: enterprise)
    }
    static let transferredOctetTotalCount = flowcorder("transferredOctetTotalCount", 2, 8)
    static let receivedOctetTotalCount = flowcorder("receivedOctetTotalCount", 3, 8)
    static let retransmittedPacketTotalCount = flowcorder("retransmittedPacketTotalCount", 4, 4)
    static let meanLatencyMilliseconds = flowcorder("meanLatencyMilliseconds", 5, 2)
    static let duplicatePacketTotalCount = flowcorder("duplicatePacketTotalCount", 6, 4)
    static let stallCount = flowcorder("stallCount", 8, 2)
    static let reorderingPacketCount = flowcorder("reorderingPacketCount", 9, 4)
    static let rcvBufOctetCount = flowcorder("rcvBufOctetCount", 18, 4)
    static let reinjectionOctetOut = flowcorder("reinjectionOctetOut", 14, 8)
    static let subflowCount = flowcorder("subflowCount", 17, 1)
    static let pathIndex = flowcorder("pathIndex", 19, 1)

    // vtap's own.
    static let handshakeRttMicroseconds = flowcorder("handshakeRttMicroseconds", 100, 4)
    static let minimumRttMicroseconds = flowcorder("minimumRttMicroseconds", 101, 4)
    static let smoothedRttMicroseconds = flowcorder("smoothedRttMicroseconds", 102, 4)
    static let maximumRttMicroseconds = flowcorder("maximumRttMicroseconds", 103, 4)
    static let receivedPacketTotalCount = flowcorder("receivedPacketTotalCount", 104, 4)
    static let outOfOrderPacketTotalCount = flowcorder("outOfOrderPacketTotalCount", 105, 4)
    static let resetSentCount = flowcorder("resetSentCount", 106, 2)
    static let resetReceivedCount = flowcorder("resetReceivedCount", 107, 2)
    static let tcpFinalState = flowcorder("tcpFinalState", 108, 1)
    static let vtapRuleIndex = flowcorder("vtapRuleIndex", 109, 4)
    static let rcvBufStartOctetCount = flowcorder("rcvBufStartOctetCount", 110, 4)
    static let mptcpToken = flowcorder("mptcpToken", 111, 4)
    static let kpiScope = flowcorder("kpiScope", 112, 1)

    /// One element of the templates: the KPI it belongs to (nil: the
    /// connection's identity, in every record) and how a record writes it.
    struct Field: Sendable {
        let element: IPFIXElement
        let kpi: KPI?
        let write: @Sendable (ConnectionKPIs, inout IPFIXBytes) -> Void

        init(
            _ element: IPFIXElement, _ kpi: KPI?,
            _ write: @escaping @Sendable (ConnectionKPIs, inout IPFIXBytes) -> Void
        ) {
            self.element = element
            self.kpi = kpi
            self.write = write
        }
    }

    /// The elements after the addresses, the same in both templates, in
    /// their order there.
    static let fields: [Field] = [
        Field(sourceTransportPort, nil) { $1.u16($0.localPort) },
        Field(destinationTransportPort, nil) { $1.u16($0.remotePort) },
        Field(protocolIdentifier, nil) { _, out in out.u8(6) },
        Field(flowStartMilliseconds, nil) { $1.u64(UInt64(max(0, $0.startNanoseconds / 1_000_000))) },
        Field(flowEndMilliseconds, nil) { $1.u64(UInt64(max(0, $0.nanoseconds / 1_000_000))) },
        Field(octetTotalCount, .bytes) { $1.u64($0.bytesSent) },
        Field(packetTotalCount, .segments) { $1.u64(UInt64($0.segmentsOut)) },
        Field(flowEndReason, nil) { $1.u8(endReason($0.end)) },
        Field(transferredOctetTotalCount, .bytes) { $1.u64($0.bytesAcked) },
        Field(receivedOctetTotalCount, .bytes) { $1.u64($0.bytesReceived) },
        Field(retransmittedPacketTotalCount, .retransmissions) { $1.u32($0.retransmissions) },
        Field(meanLatencyMilliseconds, .rtt) { $1.u16(UInt16(clamping: ($0.smoothedRTTMicroseconds + 500) / 1000)) },
        Field(duplicatePacketTotalCount, .duplicates) { $1.u32($0.duplicateSegments) },
        Field(stallCount, .stalls) { $1.u16($0.stalls) },
        Field(reorderingPacketCount, .reordering) { $1.u32($0.reorderingSeen) },
        Field(rcvBufOctetCount, .receiveBuffer) { $1.u32($0.receiveBufferEnd) },
        Field(handshakeRttMicroseconds, .rtt) { $1.u32($0.handshakeRTTMicroseconds) },
        Field(minimumRttMicroseconds, .rtt) { $1.u32($0.minimumRTTMicroseconds) },
        Field(smoothedRttMicroseconds, .rtt) { $1.u32($0.smoothedRTTMicroseconds) },
        Field(maximumRttMicroseconds, .rtt) { $1.u32($0.maximumRTTMicroseconds) },
        Field(receivedPacketTotalCount, .segments) { $1.u32($0.segmentsIn) },
        Field(outOfOrderPacketTotalCount, .reordering) { $1.u32($0.outOfOrderReceived) },
        Field(resetSentCount, .resets) { $1.u16($0.resetsSent) },
        Field(resetReceivedCount, .resets) { $1.u16($0.resetsReceived) },
        Field(tcpFinalState, .state) { $1.u8(UInt8(clamping: $0.state)) },
        Field(vtapRuleIndex, nil) { $1.u32(UInt32(clamping: max(0, $0.rule))) },
        Field(rcvBufStartOctetCount, .receiveBuffer) { $1.u32($0.receiveBufferStart) },
        Field(reinjectionOctetOut, .mptcp) { $1.u64($0.mptcp?.reinjectedBytes ?? 0) },
        Field(subflowCount, .mptcp) { $1.u8(UInt8(clamping: $0.mptcp?.subflows ?? 0)) },
        Field(pathIndex, .mptcp) { $1.u8(UInt8(clamping: $0.mptcp?.pathIndex ?? 0)) },
        Field(mptcpToken, .mptcp) { $1.u32($0.mptcp?.token ?? 0) },
        Field(kpiScope, .mptcp) { $1.u8(UInt8(clamping: $0.scope.rawValue)) },
    ]

    /// flowEndReason (RFC 7012, 5.11.3): an interim record is an active
    /// timeout, a closed connection the end of the flow detected.
    static func endReason(_ end: ConnectionKPIs.End) -> UInt8 { end == .open ? 0x02 : 0x03 }
}

/// The templates and records for the KPIs a KPIS section chose: the
/// elements of the KPIs not chosen are left out of both.
public struct KPIRecords: Sendable {
    let fields: [KPIElements.Field]
    public let templates: [IPFIXTemplate]

    /// Every KPI's elements.
    public static let all = KPIRecords(Set(KPI.allCases))

    public init(_ chosen: Set<KPI>) {
        fields = KPIElements.fields.filter { $0.kpi.map(chosen.contains) ?? true }
        let common = fields.map(\.element)
        templates = [
            IPFIXTemplate(
                id: KPIElements.templateIDv4,
                elements: [KPIElements.sourceIPv4Address, KPIElements.destinationIPv4Address] + common),
            IPFIXTemplate(
                id: KPIElements.templateIDv6,
                elements: [KPIElements.sourceIPv6Address, KPIElements.destinationIPv6Address] + common),
        ]
    }

    /// A connection's data record, for its address family's template. The
    /// source is the local end: the KPIs are the local socket's.
    public func record(_ k: ConnectionKPIs) -> (template: UInt16, bytes: [UInt8])? {
        guard let local = IPAddressBytes.parse(k.localAddress), let remote = IPAddressBytes.parse(k.remoteAddress),
            local.count == remote.count
        else { return nil }
        var out = IPFIXBytes()
        out.bytes += local + remote
        for field in fields { field.write(k, &out) }
        return (local.count == 4 ? KPIElements.templateIDv4 : KPIElements.templateIDv6, out.bytes)
    }
}

/// An address's bytes in network order, from its text (inet_pton).
enum IPAddressBytes {
    static func parse(_ text: String) -> [UInt8]? {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 { return withUnsafeBytes(of: &v4) { Array($0) } }
        var v6 = in6_addr()
        guard inet_pton(AF_INET6, text, &v6) == 1 else { return nil }
        let bytes = withUnsafeBytes(of: &v6) { Array($0) }
        // A dual-stack socket's IPv4 peer, v4-mapped: its IPv4 address.
        if bytes.prefix(10).allSatisfy({ $0 == 0 }), bytes[10] == 0xff, bytes[11] == 0xff { return Array(bytes[12...]) }
        return bytes
    }
}
