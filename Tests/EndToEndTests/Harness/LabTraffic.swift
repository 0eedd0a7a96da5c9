import Foundation
import VtapTestSupport

/// The two ends of a lab as crafted frames need them: real MAC addresses
/// (so the receiver takes the frames as its own, not as another host's)
/// and IPv4 addresses.
struct LabEndpoints: Sendable {
    var senderMAC: MACAddress
    var receiverMAC: MACAddress
    var senderAddress: String
    var receiverAddress: String

    /// Ethernet + IPv4 from the sender to the receiver; add L4 and payload.
    var ipv4: PacketBuilder {
        PacketBuilder(source: senderMAC, destination: receiverMAC).ipv4(from: senderAddress, to: receiverAddress)
    }

    /// Ethernet to the receiver with any IPv4 addresses: other flows'
    /// sources, or a flow in the opposite direction.
    func ipv4(from source: String, to destination: String) -> PacketBuilder {
        PacketBuilder(source: senderMAC, destination: receiverMAC).ipv4(from: source, to: destination)
    }

    /// A catalogue frame addressed to the receiver's MAC.
    func addressedToReceiver(_ frame: [UInt8]) -> [UInt8] {
        var copy = frame
        guard copy.count >= 12 else { return copy }
        copy.replaceSubrange(0..<6, with: receiverMAC.bytes)
        copy.replaceSubrange(6..<12, with: senderMAC.bytes)
        return copy
    }
}

extension NetworkLab {
    /// `count` UDP datagrams ("vtap") from a real socket in `side`'s
    /// namespace to `address`, port `port`.
    func sendDatagrams(_ count: Int, from side: Side, to address: String, port: Int = 9) throws -> CommandResult {
        try run(
            in: side,
            [
                "python3", "-c",
                "import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
                    + "for _ in range(\(count)): s.sendto(b'vtap', ('\(address)', \(port)))",
            ])
    }

    func macAddress(_ side: Side) throws -> MACAddress {
        let result = try CommandRunner.check([
            "ip", "-n", namespace(side), "-j", "link", "show", "dev", interface(side),
        ])
        let links = try JSONSerialization.jsonObject(with: Data(result.standardOutput.utf8)) as? [[String: Any]]
        guard let text = links?.first?["address"] as? String else { throw ReportError("no MAC in \(result.summary)") }
        let bytes = text.split(separator: ":").compactMap { UInt8($0, radix: 16) }
        guard bytes.count == 6 else { throw ReportError("bad MAC \(text)") }
        return MACAddress(bytes)
    }

    /// Addresses and MACs of both ends, with permanent neighbour entries on
    /// both sides so no ARP ever crosses the veth: received traffic is then
    /// exactly what a test sends.
    func preparedEndpoints() throws -> LabEndpoints {
        let endpoints = LabEndpoints(
            senderMAC: try macAddress(.sender), receiverMAC: try macAddress(.receiver),
            senderAddress: address(.sender), receiverAddress: address(.receiver))
        for (side, peerAddress, peerMAC) in [
            (Side.sender, endpoints.receiverAddress, endpoints.receiverMAC),
            (Side.receiver, endpoints.senderAddress, endpoints.senderMAC),
        ] {
            try CommandRunner.check([
                "ip", "-n", namespace(side), "neigh", "replace", peerAddress, "lladdr", peerMAC.description,
                "nud", "permanent", "dev", interface(side),
            ])
        }
        return endpoints
    }

    /// Sends frames at chosen times: written to a pcap whose timestamps are
    /// the offsets, which trafgen replays at that pace. `offsets` are ns
    /// from the first frame (non-decreasing).
    @discardableResult
    func sendTimed(_ frames: [[UInt8]], offsetsNanoseconds offsets: [UInt64], timeout: Duration = .seconds(60)) throws
        -> CommandResult
    {
        precondition(frames.count == offsets.count && !frames.isEmpty, "one offset per frame")
        let directory = try TemporaryDirectory(prefix: "vtap-e2e-timed")
        let file = directory.file("timed.pcap")
        try MicrosecondPcap.data(frames: frames, offsetsNanoseconds: offsets).write(to: file)
        var arguments = [
            "trafgen", "--dev", senderInterface, "--in", file.path, "--cpus", "1", "--no-sock-mem",
            "--notouch-irq", "--no-cpu-stats",
        ]
        if frames.contains(where: { $0.count > 2048 }) { arguments.append("--jumbo-support") }
        let result = try run(in: .sender, arguments, timeout: timeout)
        guard result.succeeded else { throw ReportError("trafgen failed: \(result.summary)") }
        return result
    }
}

/// A classic microsecond pcap: trafgen 0.6.8 paces by the timestamps of
/// this format only (it reads a nanosecond file's fractions as
/// microseconds, which turns gaps into bursts a second apart).
enum MicrosecondPcap {
    static func data(frames: [[UInt8]], offsetsNanoseconds offsets: [UInt64]) -> Data {
        var bytes: [UInt8] = []
        func put(_ value: UInt32) { withUnsafeBytes(of: value.littleEndian) { bytes += $0 } }
        put(0xA1B2_C3D4)
        put(UInt32(2) | UInt32(4) << 16)  // version 2.4, two little-endian halves
        put(0)
        put(0)
        put(262_144)
        put(1)  // Ethernet
        let start: UInt64 = 1_700_000_000_000_000
        for (frame, offset) in zip(frames, offsets) {
            let microseconds = start + offset / 1000
            put(UInt32(microseconds / 1_000_000))
            put(UInt32(microseconds % 1_000_000))
            put(UInt32(frame.count))
            put(UInt32(frame.count))
            bytes += frame
        }
        return Data(bytes)
    }
}

/// Offsets (ns from the first packet) for a list of gaps.
func cumulativeOffsets(gaps: [UInt64]) -> [UInt64] {
    var offsets: [UInt64] = [0]
    for gap in gaps { offsets.append(offsets.last! + gap) }
    return offsets
}

extension PacketBuilder {
    /// What vtap must add for this frame: one packet, the whole frame, the
    /// L4 payload from the IP lengths.
    var expectedTotals: PacketTotals {
        PacketTotals(packets: 1, bytes: UInt64(frameLength), payloadBytes: UInt64(l4PayloadLength ?? 0))
    }
}

extension Array where Element == PacketBuilder {
    var expectedTotals: PacketTotals { reduce(.zero) { $0 + $1.expectedTotals } }
}
