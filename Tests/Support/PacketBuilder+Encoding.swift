import VtapRuleModel

/// Where one header sits in a built frame, for truncating at boundaries.
public struct HeaderSpan: Sendable, Hashable {
    public enum Layer: Sendable, Hashable {
        case ethernet
        case vlanTag(index: Int)
        case ipv4Header
        case ipv4Options
        case ipv6Header
        case ipv6Extension(index: Int, number: UInt8)
        case transportHeader
        case payload
        case padding
    }

    public var layer: Layer
    public var name: String
    public var range: Range<Int>
}

extension PacketBuilder {
    /// Protocol number written when a packet has no transport layer.
    public static let noNextHeader: UInt8 = 59

    /// The frame's bytes, exactly as sent.
    public var bytes: [UInt8] { encode().bytes }

    /// The headers in wire order with their byte ranges.
    public var headerSpans: [HeaderSpan] { encode().spans }

    var transportProtocolNumber: UInt8 {
        transport?.protocolNumber(overIPv6: isIPv6) ?? Self.noNextHeader
    }

    public var isIPv6: Bool {
        if case .ipv6 = network { return true }
        return false
    }

    private func encode() -> (bytes: [UInt8], spans: [HeaderSpan]) {
        var spans: [HeaderSpan] = []
        var frame: [UInt8] = []
        func add(_ bytes: [UInt8], _ layer: HeaderSpan.Layer, _ name: String) {
            guard !bytes.isEmpty else { return }
            spans.append(HeaderSpan(layer: layer, name: name, range: frame.count..<frame.count + bytes.count))
            frame += bytes
        }

        // Ethernet: addresses, each tag's TPID + TCI, then the inner type.
        add(destination.bytes + source.bytes, .ethernet, "ethernet addresses")
        for (index, tag) in vlanTags.enumerated() {
            var bytes: [UInt8] = []
            bytes.appendBigEndian(tag.tpid)
            bytes.appendBigEndian(tag.tagControl)
            add(bytes, .vlanTag(index: index), "vlan tag \(index + 1)")
        }
        var typeBytes: [UInt8] = []
        typeBytes.appendBigEndian(etherTypeOverride ?? impliedEtherType)
        // The type field ends the Ethernet header proper.
        add(typeBytes, .ethernet, "ethertype")

        let (segment, transportHeaderLength) =
            transport?.encode(payload: payload, overIPv6: isIPv6, pseudoHeader: pseudoHeaderMaker)
            ?? (payload, 0)

        switch network {
        case .ipv4(let header):
            let encoded = header.encode(protocolNumber: transportProtocolNumber, payloadLength: segment.count)
            add(Array(encoded.prefix(20)), .ipv4Header, "ipv4 header")
            add(Array(encoded.dropFirst(20)), .ipv4Options, "ipv4 options")
        case .ipv6(let header):
            let encoded = header.encode(protocolNumber: transportProtocolNumber, payloadLength: segment.count)
            add(encoded.fixed, .ipv6Header, "ipv6 header")
            for (index, bytes) in encoded.extensions.enumerated() {
                let ext = header.extensionHeaders[index]
                add(bytes, .ipv6Extension(index: index, number: ext.number), "ipv6 \(ext.name) header")
            }
        case nil:
            break
        }
        add(Array(segment.prefix(transportHeaderLength)), .transportHeader, transportName + " header")
        add(Array(segment.dropFirst(transportHeaderLength)), .payload, "payload")
        if padsToMinimumLength && frame.count < Self.minimumFrameLength {
            add(Array(repeating: 0, count: Self.minimumFrameLength - frame.count), .padding, "padding")
        }
        return (frame, spans)
    }

    private var impliedEtherType: UInt16 {
        switch network {
        case .ipv4: EtherType.ipv4
        case .ipv6: EtherType.ipv6
        case nil: EtherType.localExperimental
        }
    }

    private var pseudoHeaderMaker: ((UInt8, Int) -> [UInt8])? {
        switch network {
        case .ipv4(let ip):
            return {
                Checksum.pseudoHeader(
                    source: .v4(ip.source), destination: .v4(ip.destination), protocolNumber: $0, length: $1)
            }
        case .ipv6(let ip):
            return {
                Checksum.pseudoHeader(
                    source: .v6(ip.source), destination: .v6(ip.destination), protocolNumber: $0, length: $1)
            }
        case nil:
            return nil
        }
    }

    private var transportName: String {
        switch transport {
        case .tcp: "tcp"
        case .udp(let udp): udp.isLite ? "udplite" : "udp"
        case .icmpEcho: isIPv6 ? "icmpv6" : "icmp"
        case .sctp: "sctp"
        case .raw(let number, _): "protocol \(number)"
        case nil: "transport"
        }
    }
}
