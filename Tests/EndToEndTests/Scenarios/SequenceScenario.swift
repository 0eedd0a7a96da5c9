import Foundation
import VtapTestSupport

/// One flow (or a few, under one rule) of crafted packets whose sequence
/// counters are known by hand, from the contract's definitions.
struct SequenceCase {
    var name: String
    /// The rule's 5-tuple text.
    var rule: String
    var packets: [PacketBuilder]
    var expected: SequenceCounters
    /// seq_last after the case; nil when no number was found.
    var last: UInt64?

    /// The protocol class of the rule's packets (ICMPv6 is icmp).
    var protocolClass: String { rule.hasSuffix("UDP") ? "udp" : rule.hasSuffix("TCP") ? "tcp" : "icmp" }
}

/// Every sequence situation of the contract, each under its own rule so one
/// run checks them all exactly: UDP and ICMP echo with the seed's payload
/// layout (pattern 0xE7A5C318, number 4 bytes after it), threshold 2, and
/// crafted TCP segment streams.
struct SequenceScenario {
    let endpoints: LabEndpoints
    let cases: [SequenceCase]

    /// The veth MTU: room for 5100-byte datagrams.
    static let mtu = 9000

    static let settings: KeyValuePairs<String, String> = RulesFile.seedSequence

    init(_ endpoints: LabEndpoints) {
        self.endpoints = endpoints
        let s = endpoints.senderAddress
        let r = endpoints.receiverAddress
        let e = endpoints

        func udp(_ port: UInt16, _ numbers: [UInt32], patternOffset: Int = 4, length: Int = 16) -> [PacketBuilder] {
            numbers.map {
                e.ipv4.udp(from: port, to: 9)
                    .payload(seqPayload(sequence: $0, patternOffset: patternOffset, totalLength: length))
            }
        }
        func udpCase(
            _ name: String, _ port: UInt16, _ packets: [PacketBuilder], _ expected: SequenceCounters, last: UInt64?
        )
            -> SequenceCase
        {
            SequenceCase(name: name, rule: "\(s) \(r) \(port) 9 UDP", packets: packets, expected: expected, last: last)
        }
        func icmp(from source: String, identifier: UInt16, _ numbers: [UInt32]) -> [PacketBuilder] {
            numbers.enumerated().map { index, number in
                e.ipv4(from: source, to: r).icmpEcho(identifier: identifier, sequence: UInt16(index + 1))
                    .payload(seqPayload(sequence: number, totalLength: 16))
            }
        }
        func icmpCase(
            _ name: String, _ source: String, _ packets: [PacketBuilder], _ expected: SequenceCounters, last: UInt64?
        )
            -> SequenceCase
        {
            SequenceCase(name: name, rule: "\(source) \(r) - - ICMP", packets: packets, expected: expected, last: last)
        }
        func tcp(_ port: UInt16, _ segments: [(sequence: UInt32, payload: Int, flags: TCPFlags)]) -> [PacketBuilder] {
            segments.map { segment in
                e.ipv4.tcp(from: port, to: 80, flags: segment.flags) { $0.sequence = segment.sequence }
                    .payload(Array(repeating: 0x54, count: segment.payload))
            }
        }

        // Payloads with the number found nowhere or cut short: missing.
        let noPattern = e.ipv4.udp(from: 7010, to: 9).payload(Array(repeating: 0xA5, count: 16))
        let patternAtEnd = e.ipv4.udp(from: 7010, to: 9).payload([0xA5, 0x30, 0x0F, 0x10, 0xE7, 0xA5, 0xC3, 0x18])
            .paddedToMinimumLength()  // the padding must not be read as the number
        let twoBytesLeft = e.ipv4.udp(from: 7010, to: 9)
            .payload([0xA5, 0x30, 0x0F, 0x10, 0xE7, 0xA5, 0xC3, 0x18, 0x00, 0x00]).paddedToMinimumLength()
        // The pattern at unaligned offsets, one of them far into the payload.
        let unaligned = zip([UInt32(1), 2, 3, 5], [(3, 24), (5, 24), (7, 24), (1001, 1100)]).map { number, place in
            e.ipv4.udp(from: 7008, to: 9)
                .payload(seqPayload(sequence: number, patternOffset: place.0, totalLength: place.1))
        }

        cases = [
            udpCase("udp in order", 7001, udp(7001, Array(1...10)), .init(count: 10), last: 10),
            udpCase("udp loss", 7002, udp(7002, [1, 2, 3, 5]), .init(count: 4, small: 1, lost: 1), last: 5),
            udpCase("udp duplicate", 7003, udp(7003, [1, 2, 2, 3]), .init(count: 4, reverse: 1), last: 3),
            udpCase(
                "udp reorder", 7004, udp(7004, [1, 2, 4, 3, 5]), .init(count: 5, reverse: 1, small: 2, lost: 2), last: 5
            ),
            udpCase("udp reset", 7005, udp(7005, [100, 101, 0, 1]), .init(count: 4, reverse: 1), last: 1),
            udpCase("udp wrap", 7006, udp(7006, [0xFFFF_FFFE, 0xFFFF_FFFF, 0, 1]), .init(count: 4), last: 1),
            // d = 2 is still small (the threshold), d = 3 big; lost 2 + 3.
            udpCase(
                "udp threshold", 7007, udp(7007, [1, 2, 5, 9]), .init(count: 4, small: 1, big: 1, lost: 5), last: 9),
            udpCase("udp unaligned pattern", 7008, unaligned, .init(count: 4, small: 1, lost: 1), last: 5),
            udpCase(
                "udp pattern at 4990 of 5100", 7009, udp(7009, [1, 2, 3], patternOffset: 4990, length: 5100),
                .init(count: 3), last: 3),
            udpCase(
                "udp number missing", 7010,
                udp(7010, [1, 2]) + [noPattern, patternAtEnd, twoBytesLeft] + udp(7010, [3]),
                .init(count: 3, missing: 3), last: 3),
            udpCase(
                "udp pattern past 5000", 7011, udp(7011, [1, 2], patternOffset: 5000, length: 5100),
                .init(missing: 2), last: nil),
            icmpCase(
                "icmp loss", "198.18.0.1", icmp(from: "198.18.0.1", identifier: 1, [1, 2, 3, 5]),
                .init(count: 4, small: 1, lost: 1), last: 5),
            icmpCase(
                "icmp duplicate", "198.18.0.2", icmp(from: "198.18.0.2", identifier: 1, [7, 8, 8, 9]),
                .init(count: 4, reverse: 1), last: 9),
            icmpCase(
                "icmp wrap", "198.18.0.3", icmp(from: "198.18.0.3", identifier: 1, [0xFFFF_FFFF, 0, 1]),
                .init(count: 3), last: 1),
            // Identifiers are flows: 3 then 10 is no gap, they are different flows.
            icmpCase(
                "icmp identifiers", "198.18.0.4",
                icmp(from: "198.18.0.4", identifier: 1, [1, 2, 3])
                    + icmp(from: "198.18.0.4", identifier: 2, [10, 11, 12]),
                .init(count: 6), last: 12),
            // Over IPv6 (taps see it even with IPv6 off on the interface).
            SequenceCase(
                name: "udp over ipv6 loss", rule: "2001:db8::8 2001:db8::9 7020 9 UDP",
                packets: [UInt32(1), 2, 4].map {
                    PacketBuilder(source: e.senderMAC, destination: e.receiverMAC)
                        .ipv6(from: "2001:db8::8", to: "2001:db8::9").udp(from: 7020, to: 9)
                        .payload(seqPayload(sequence: $0, totalLength: 16))
                }, expected: .init(count: 3, small: 1, lost: 1), last: 4),
            SequenceCase(
                name: "icmpv6 duplicate", rule: "2001:db8::10 2001:db8::9 - - ICMPv6",
                packets: [UInt32(1), 2, 2, 3].enumerated().map { index, number in
                    PacketBuilder(source: e.senderMAC, destination: e.receiverMAC)
                        .ipv6(from: "2001:db8::10", to: "2001:db8::9").icmpEcho(identifier: 5, sequence: UInt16(index))
                        .payload(seqPayload(sequence: number, totalLength: 16))
                }, expected: .init(count: 4, reverse: 1), last: 3),
            // SYN, data, a pure ACK (not checked), a retransmission (reverse),
            // a 100-byte hole (big), a 1-byte hole (small), FIN.
            SequenceCase(
                name: "tcp stream", rule: "\(s) \(r) 6000 80 TCP",
                packets: tcp(
                    6000,
                    [
                        (1000, 0, [.syn]), (1001, 100, [.ack]), (1101, 100, [.ack]), (1201, 0, [.ack]),
                        (1101, 100, [.ack]), (1201, 100, [.ack]), (1401, 100, [.ack]), (1502, 50, [.ack]),
                        (1552, 0, [.fin, .ack]),
                    ]),
                expected: .init(count: 8, reverse: 1, small: 1, big: 1), last: 1552),
            // Across 2^32: 0xFFFFFFA0 + 96 = 0.
            SequenceCase(
                name: "tcp wrap", rule: "\(s) \(r) 6001 80 TCP",
                packets: tcp(6001, [(0xFFFF_FFA0, 96, [.ack]), (0, 10, [.ack]), (10, 10, [.psh, .ack])]),
                expected: .init(count: 3), last: 10),
        ]
    }

    var rules: [RulesFile.Rule] {
        cases.map { RulesFile.Rule($0.name.replacingOccurrences(of: " ", with: "-"), $0.rule) }
    }

    var frames: [[UInt8]] { cases.flatMap { $0.packets.map(\.bytes) } }

    /// The expected counters by the written-out rules of `SequenceReference`,
    /// from the numbers as crafted: a check on the hand-written values.
    static func reference(for sequenceCase: SequenceCase) -> SequenceCounters {
        var udpIcmp = SequenceReference(.counter)
        var tcp = SequenceReference(.tcp)
        for packet in sequenceCase.packets {
            let bytes = packet.bytes
            let ipStart = 14
            let isIPv6 = bytes[12] == 0x86 && bytes[13] == 0xDD
            // Header length, protocol, end of the IP packet and source address.
            let (ipHeader, proto, end, source): (Int, UInt8, Int, [UInt8]) =
                isIPv6
                ? (
                    40, bytes[ipStart + 6], ipStart + 40 + (Int(bytes[ipStart + 4]) << 8 | Int(bytes[ipStart + 5])),
                    Array(bytes[ipStart + 8..<ipStart + 24])
                )
                : (
                    Int(bytes[ipStart] & 0x0F) * 4, bytes[ipStart + 9],
                    ipStart + (Int(bytes[ipStart + 2]) << 8 | Int(bytes[ipStart + 3])),
                    Array(bytes[ipStart + 12..<ipStart + 16])
                )
            let l4 = ipStart + ipHeader
            if proto == 6 {
                let offset = Int(bytes[l4 + 12] >> 4) * 4
                let flags = bytes[l4 + 13]
                tcp.observe(
                    flow: "\(source) \(bytes[l4..<l4 + 4])", sequence: readUInt32(bytes, l4 + 4),
                    payload: UInt32(end - l4 - offset), syn: flags & 0x02 != 0, fin: flags & 0x01 != 0)
            } else {
                // Directional: source address, protocol, then ports or the ICMP identifier.
                let isICMP = proto == 1 || proto == 58
                let key = isICMP ? Array(bytes[l4 + 4..<l4 + 6]) : Array(bytes[l4..<l4 + 4])
                udpIcmp.observe(flow: "\(source) \(proto) \(key)", number: seedNumber(in: Array(bytes[l4 + 8..<end])))
            }
        }
        return udpIcmp.counters + tcp.counters
    }

    /// The number 4 bytes after the first 0xE7A5C318 starting in the first
    /// 5000 bytes, if it fits the payload.
    static func seedNumber(in payload: [UInt8]) -> UInt32? {
        let pattern: [UInt8] = [0xE7, 0xA5, 0xC3, 0x18]
        guard payload.count >= 4 else { return nil }
        for start in 0..<min(5000, payload.count - 3) where Array(payload[start..<start + 4]) == pattern {
            return start + 8 <= payload.count ? readUInt32(payload, start + 4) : nil
        }
        return nil
    }

    private static func readUInt32(_ bytes: [UInt8], _ at: Int) -> UInt32 {
        (0..<4).reduce(0) { $0 << 8 | UInt32(bytes[at + $1]) }
    }

    static func record(in lab: NetworkLab, options: [String] = []) throws -> (SequenceScenario, Recording) {
        let scenario = SequenceScenario(try lab.preparedEndpoints())
        let directory = try TemporaryDirectory(prefix: "vtap-e2e-sequence")
        let rules = try RulesFile.write(scenario.rules, settings: settings, to: directory)
        let frames = scenario.frames
        let recording = try Recording.make(in: lab, rules: rules, directory: directory, vtapOptions: options) {
            // Paced from a timed capture: 1 ms apart for real, so the run's
            // jitter is the senders', not a burst's queueing noise.
            try lab.sendTimed(frames, offsetsNanoseconds: frames.indices.map { UInt64($0) * 1_000_000 })
            return frames.count
        }
        return (scenario, recording)
    }
}
