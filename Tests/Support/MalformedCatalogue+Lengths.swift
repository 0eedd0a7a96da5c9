import VtapRuleModel

/// Length and version fields that contradict the frame or each other.
extension Catalogue {
    static func lengthFields() -> [CatalogueEntry] {
        let tcp = v4.tcp(from: 1000, to: 80).payload([1, 2, 3, 4])  // IPv4 total length 44
        let tcp6 = v6().tcp(from: 1000, to: 80).payload([1, 2, 3, 4])
        func tcpWith(_ change: (inout IPv4Header) -> Void) -> [UInt8] {
            v4With(change).tcp(from: 1000, to: 80).payload([1, 2, 3, 4]).bytes
        }
        return [
            malformed("frame of 13 bytes", Array(tcp.bytes.prefix(13)), .linkLayer, "fewer than 14 bytes is malformed"),
            malformed("ipv4 IHL 4", tcpWith { $0.ihlOverride = 4 }, .ipLength, "IHL < 5 is malformed"),
            malformed("ipv4 IHL 0", tcpWith { $0.ihlOverride = 0 }, .ipLength, "IHL < 5 is malformed"),
            malformed(
                "ipv4 IHL 15 past the packet", tcpWith { $0.ihlOverride = 15 }, .ipLength,
                "IHL × 4 beyond the bytes after the IP start is malformed"),
            malformed(
                "ipv4 total length 19", tcpWith { $0.totalLengthOverride = 19 }, .ipLength,
                "total length < IHL × 4 is malformed"),
            malformed(
                "ipv4 total length 23 with IHL 6",
                v4With {
                    $0.options = [1, 1, 1, 1]
                    $0.totalLengthOverride = 23
                }
                .tcp(from: 1000, to: 80).bytes, .ipLength, "total length < IHL × 4 is malformed"),
            malformed(
                "ipv4 total length one past the frame", tcpWith { $0.totalLengthOverride = 45 }, .ipLength,
                "total length beyond the bytes after the IP start is malformed"),
            malformed(
                "ipv4 total length 65535", tcpWith { $0.totalLengthOverride = 65535 }, .ipLength,
                "total length beyond the bytes after the IP start is malformed"),
            malformed(
                "ipv4 version 6 under EtherType 0x0800", tcpWith { $0.version = 6 }, .ipHeader,
                "an IPv4 version nibble ≠ 4 is malformed"),
            malformed(
                "ipv4 version 0", tcpWith { $0.version = 0 }, .ipHeader,
                "an IPv4 version nibble ≠ 4 is malformed"),
            malformed(
                "ipv6 version 4 under EtherType 0x86DD", v6 { $0.version = 4 }.tcp(from: 1000, to: 80).bytes,
                .ipHeader, "an IPv6 version nibble ≠ 6 is malformed"),
            malformed(
                "ipv6 payload length one past the frame",
                v6 { $0.payloadLengthOverride = 25 }.tcp(from: 1000, to: 80).payload([1, 2, 3, 4]).bytes, .ipLength,
                "40 + payload length beyond the bytes after the IP start is malformed"),
            malformed(
                "ipv6 payload length 0 before tcp",
                v6 { $0.payloadLengthOverride = 0 }.tcp(from: 1000, to: 80).bytes, .transport,
                "the transport header must lie inside the payload length (no jumbograms)"),
            malformed(
                "tcp data offset 4",
                v4.tcp(from: 1000, to: 80) { $0.dataOffsetOverride = 4 }.payload([1, 2, 3, 4]).bytes, .transport,
                "TCP data offset < 5 is malformed"),
            malformed(
                "tcp data offset 15 past the end",
                v4.tcp(from: 1000, to: 80) { $0.dataOffsetOverride = 15 }.payload([1, 2, 3, 4]).bytes, .transport,
                "TCP data offset × 4 beyond the IP total length is malformed"),
            malformed(
                "ipv6 tcp data offset 6 past the end",
                v6().tcp(from: 1000, to: 80) { $0.dataOffsetOverride = 6 }.bytes,
                .transport, "TCP data offset × 4 beyond the IP payload length is malformed"),
            valid(
                "ipv4 padded to 60 bytes", v4.udp(from: 4500, to: 9).payload([1]).paddedToMinimumLength().bytes,
                v4Fields(IPProtocol.udp, ports: (4500, 9)), "bytes after the IP total length (padding) are ignored"),
            valid(
                "ipv4 total length shorter than the frame", tcpWith { $0.totalLengthOverride = 40 },
                v4Fields(IPProtocol.tcp, ports: (1000, 80)), "bytes after the IP total length are ignored"),
            valid(
                "ipv6 padded to 60 bytes", tcp6.paddedToMinimumLength().bytes,
                v6Fields(IPProtocol.tcp, ports: (1000, 80)),
                "bytes after the IPv6 payload length are ignored"),
            valid(
                "ipv6 payload length shorter than the frame",
                v6 { $0.payloadLengthOverride = 20 }.tcp(from: 1000, to: 80).payload([1, 2, 3, 4]).bytes,
                v6Fields(IPProtocol.tcp, ports: (1000, 80)), "bytes after the IPv6 payload length are ignored"),
            valid(
                "tcp without payload", v4.tcp(from: 1000, to: 80, flags: [.syn]).bytes,
                v4Fields(IPProtocol.tcp, ports: (1000, 80)), "a 20-byte TCP header exactly at the end is complete"),
            valid(
                "udp length field larger than the packet",
                v4.udp(from: 4500, to: 9) { $0.lengthOverride = 999 }.payload([1, 2]).bytes,
                v4Fields(IPProtocol.udp, ports: (4500, 9)), "the UDP length field is not consulted"),
            valid(
                "ipv4 bad header checksum", tcpWith { $0.checksumOverride = 0xDEAD },
                v4Fields(IPProtocol.tcp, ports: (1000, 80)), "checksums are not consulted"),
        ]
    }
}
