import VtapMetrics

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

    /// The elements after the addresses, the same in both templates.
    static let common: [IPFIXElement] = [
        sourceTransportPort, destinationTransportPort, protocolIdentifier, flowStartMilliseconds,
        flowEndMilliseconds, octetTotalCount, packetTotalCount, flowEndReason, transferredOctetTotalCount,
        receivedOctetTotalCount, retransmittedPacketTotalCount, meanLatencyMilliseconds, duplicatePacketTotalCount,
        stallCount, reorderingPacketCount, rcvBufOctetCount, handshakeRttMicroseconds, minimumRttMicroseconds,
        smoothedRttMicroseconds, maximumRttMicroseconds, receivedPacketTotalCount, outOfOrderPacketTotalCount,
        resetSentCount, resetReceivedCount, tcpFinalState, vtapRuleIndex, rcvBufStartOctetCount,
        reinjectionOctetOut, subflowCount, pathIndex, mptcpToken, kpiScope,
    ]

    public static let templates: [IPFIXTemplate] = [
        IPFIXTemplate(id: templateIDv4, elements: [sourceIPv4Address, destinationIPv4Address] + common),
        IPFIXTemplate(id: templateIDv6, elements: [sourceIPv6Address, destinationIPv6Address] + common),
    ]

    /// flowEndReason (RFC 7012, 5.11.3): an interim record is an active
    /// timeout, a closed connection the end of the flow detected.
    static func endReason(_ end: ConnectionKPIs.End) -> UInt8 { end == .open ? 0x02 : 0x03 }

    /// A connection's data record, for its address family's template. The
    /// source is the local end: the KPIs are the local socket's.
    public static func record(_ k: ConnectionKPIs) -> (template: UInt16, bytes: [UInt8])? {
        guard let local = IPAddressBytes.parse(k.localAddress), let remote = IPAddressBytes.parse(k.remoteAddress),
            local.count == remote.count
        else { return nil }
        var out = IPFIXBytes()
        out.bytes += local + remote
        out.u16(k.localPort)
        out.u16(k.remotePort)
        out.u8(6)
        out.u64(UInt64(max(0, k.startNanoseconds / 1_000_000)))
        out.u64(UInt64(max(0, k.nanoseconds / 1_000_000)))
        out.u64(k.bytesSent)
        out.u64(UInt64(k.segmentsOut))
        out.u8(endReason(k.end))
        out.u64(k.bytesAcked)
        out.u64(k.bytesReceived)
        out.u32(k.retransmissions)
        out.u16(UInt16(clamping: (k.smoothedRTTMicroseconds + 500) / 1000))
        out.u32(k.duplicateSegments)
        out.u16(k.stalls)
        out.u32(k.reorderingSeen)
        out.u32(k.receiveBufferEnd)
        out.u32(k.handshakeRTTMicroseconds)
        out.u32(k.minimumRTTMicroseconds)
        out.u32(k.smoothedRTTMicroseconds)
        out.u32(k.maximumRTTMicroseconds)
        out.u32(k.segmentsIn)
        out.u32(k.outOfOrderReceived)
        out.u16(k.resetsSent)
        out.u16(k.resetsReceived)
        out.u8(UInt8(clamping: k.state))
        out.u32(UInt32(clamping: max(0, k.rule)))
        out.u32(k.receiveBufferStart)
        out.u64(k.mptcp?.reinjectedBytes ?? 0)
        out.u8(UInt8(clamping: k.mptcp?.subflows ?? 0))
        out.u8(UInt8(clamping: k.mptcp?.pathIndex ?? 0))
        out.u32(k.mptcp?.token ?? 0)
        out.u8(UInt8(clamping: k.scope.rawValue))
        return (local.count == 4 ? templateIDv4 : templateIDv6, out.bytes)
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
