import Foundation
import VtapTestSupport

/// One captured frame as tshark reads it: its timestamp (ns since the
/// epoch, exactly as in the nanosecond pcap), its wire length, and any
/// extra fields asked for.
struct CapturedFrame: Sendable {
    var timeNanoseconds: Int64
    var length: Int
    var fields: [String]
}

/// tshark over a capture, the oracles' source.
enum CaptureAnalysis {
    /// Frames matching a Wireshark display filter (nil: all), in capture order.
    static func frames(in file: URL, filter: String? = nil, fields: [String] = []) throws -> [CapturedFrame] {
        var arguments = ["tshark", "-n", "-r", file.path, "-T", "fields", "-E", "separator=\t", "-E", "occurrence=f"]
        arguments += ["-o", "ip.defragment:FALSE", "-o", "tcp.analyze_sequence_numbers:TRUE"]
        if let filter { arguments += ["-Y", filter] }
        for field in ["frame.time_epoch", "frame.len"] + fields { arguments += ["-e", field] }
        let result = try CommandRunner.check(arguments, timeout: .seconds(120))
        return try result.standardOutput.split(separator: "\n").map { line in
            let columns = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            guard columns.count == 2 + fields.count, let time = epochNanoseconds(columns[0]),
                let length = Int(columns[1])
            else { throw ReportError("unreadable tshark row: \(line)") }
            return CapturedFrame(timeNanoseconds: time, length: length, fields: Array(columns.dropFirst(2)))
        }
    }

    /// "1700000000.123456789" → ns, without going through a Double.
    static func epochNanoseconds(_ text: String) -> Int64? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard let seconds = Int64(parts[0]) else { return nil }
        guard parts.count == 2 else { return parts.count == 1 ? seconds * 1_000_000_000 : nil }
        let digits = String(parts[1].prefix(9)).padding(toLength: 9, withPad: "0", startingAt: 0)
        guard let fraction = Int64(digits) else { return nil }
        return seconds * 1_000_000_000 + fraction
    }

    /// Count and summed frame lengths; payload needs the protocol's length
    /// field, so it is given per frame by the caller.
    static func totals(of frames: [CapturedFrame], payload: (CapturedFrame) -> Int) -> PacketTotals {
        frames.reduce(.zero) {
            $0 + PacketTotals(packets: 1, bytes: UInt64($1.length), payloadBytes: UInt64(payload($1)))
        }
    }
}

/// Inter-arrival statistics as vtap defines jitter: mean and population
/// standard deviation of the gaps between consecutive packets, in ms; a
/// gap over 2 s restarts the series and is not a sample.
struct InterArrival: Sendable, CustomStringConvertible {
    static let restartGapNanoseconds: Int64 = 2_000_000_000

    var samples: Int
    var meanMilliseconds: Double
    var stddevMilliseconds: Double

    /// nil when there is no sample.
    init?(timesNanoseconds times: [Int64]) {
        let gaps = zip(times, times.dropFirst()).map { $1 - $0 }.filter { $0 <= Self.restartGapNanoseconds }
        guard !gaps.isEmpty else { return nil }
        let n = Double(gaps.count)
        let mean = gaps.reduce(0.0) { $0 + Double($1) } / n
        let variance = gaps.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / n
        samples = gaps.count
        meanMilliseconds = mean / 1e6
        stddevMilliseconds = variance.squareRoot() / 1e6
    }

    var description: String {
        String(format: "%d gaps, mean %.6f ms, stddev %.6f ms", samples, meanMilliseconds, stddevMilliseconds)
    }
}

/// The agreement vtap promises with an oracle (README, Tests): within 2%
/// or 20 µs, whichever is larger.
enum Agreement {
    static let relative = 0.02
    static let absoluteMilliseconds = 0.020

    /// `allowanceMilliseconds`: what a comparison may add to the 2% or
    /// 20 µs (see `jitterAgreesAcrossClocks`).
    static func jitterAgrees(_ actual: Double?, _ expected: Double, allowanceMilliseconds: Double = 0) -> Bool {
        guard let actual else { return false }
        return abs(actual - expected) <= max(relative * abs(expected), absoluteMilliseconds, allowanceMilliseconds)
    }

    /// How late the filter may see a frame after the capture stamped it:
    /// on a veth the capture's stamp is taken when the frame is queued to
    /// the receiving side, the filter's clock read when the softirq takes
    /// it, and on a loaded two-core machine that softirq can wait this long.
    static let frameDelayMilliseconds = 0.100

    /// Jitter from two clocks that stamp each frame at different points of
    /// the receive path (live: the filter; replay: the capture). One frame
    /// seen δ later moves two gaps by +δ and −δ: the mean of n gaps moves by
    /// at most δ/n and the population deviation by at most δ·√(2/n). With
    /// many gaps this is below the 20 µs floor; with the two gaps of a
    /// three-frame flow it is not, so the allowance grows as n shrinks.
    /// `frames` bounds n from above (a scope's frames less one), which only
    /// makes the allowance tighter.
    static func jitterAgreesAcrossClocks(_ actual: Double?, _ expected: Double, frames: UInt64) -> Bool {
        let gaps = Double(max(frames, 2) - 1)
        return jitterAgrees(
            actual, expected, allowanceMilliseconds: frameDelayMilliseconds * (2 / gaps).squareRoot())
    }

    /// Rates: within 2% of the expected value.
    static func rateAgrees(_ actual: Double, _ expected: Double, relative: Double = relative) -> Bool {
        abs(actual - expected) <= relative * abs(expected)
    }
}

extension CaptureAnalysis {
    /// Fields from which `l4Payload` computes a frame's payload.
    static let payloadFields = ["ip.len", "ip.hdr_len", "ip.proto", "tcp.hdr_len", "ipv6.plen", "ipv6.nxt"]

    /// The L4 payload from the IP lengths, as the contract defines it (UDP
    /// and ICMP: minus 8; TCP: minus its data offset), from a frame read
    /// with `payloadFields` first among its fields; IPv6 packets here carry
    /// no extension headers.
    static func l4Payload(_ frame: CapturedFrame) -> Int {
        let f = frame.fields
        // IPv6 without extension headers: the payload length field.
        if f.count >= 6, f[0].isEmpty, let payloadLength = Int(f[4]), let next = Int(f[5]) {
            switch next {
            case 6: return payloadLength - (Int(f[3]) ?? 0)
            case 17, 58: return payloadLength - 8
            default: return payloadLength
            }
        }
        guard f.count >= 4, let ipLength = Int(f[0]), let ipHeader = Int(f[1]), let proto = Int(f[2]) else { return 0 }
        switch proto {
        case 6: return ipLength - ipHeader - (Int(f[3]) ?? 0)
        case 1, 17: return ipLength - ipHeader - 8
        default: return ipLength - ipHeader
        }
    }

    /// Packets, bytes and L4 payload of the frames matching `filter`.
    static func totals(in file: URL, filter: String?) throws -> PacketTotals {
        totals(of: try frames(in: file, filter: filter, fields: payloadFields), payload: l4Payload)
    }
}
