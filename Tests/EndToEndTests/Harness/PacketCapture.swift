import Foundation
import VtapTestSupport

/// tcpdump on a lab interface, writing a nanosecond pcap: the independent
/// record of what arrived. `-Q in` keeps only received packets, like vtap's
/// default direction; `--immediate-mode -U` puts each packet on disk at once.
/// Immediate mode makes libpcap use a TPACKET_V2 ring (PACKET_VERSION 1 under
/// strace) of fixed slots sized for the largest frame the interface may hand
/// over (up to 64 KiB with offloads), so a 16 MiB buffer held a few hundred
/// packets: a CI run lost 65 of a 200 pps stream while tcpdump waited for a
/// CPU. 128 MiB holds eight times as many.
final class PacketCapture: @unchecked Sendable {
    let file: URL
    private let command: RunningCommand
    private(set) var stopped: CommandResult?

    static func start(
        in lab: NetworkLab, side: NetworkLab.Side = .receiver, direction: String = "in", snapLength: Int = 0,
        file: URL
    ) throws -> PacketCapture {
        let command = try lab.start(
            in: side,
            [
                "tcpdump", "-i", lab.interface(side), "-w", file.path, "-U", "--immediate-mode", "-n", "-Z", "root",
                "-s", String(snapLength), "-Q", direction, "--time-stamp-precision=nano", "-B", "131072",
            ])
        guard command.waitForStandardError(containing: "listening on", timeout: .seconds(20)) else {
            command.terminate()
            throw ReportError("tcpdump did not start: \(command.wait(timeout: .seconds(5)).summary)")
        }
        return PacketCapture(file: file, command: command)
    }

    private init(file: URL, command: RunningCommand) {
        self.file = file
        self.command = command
    }

    /// Records completely on disk so far.
    var recordCount: Int { PcapRecords.count(in: file) }

    /// Waits until at least `count` packets are on disk; false on timeout.
    @discardableResult
    func waitForRecords(_ count: Int, timeout: Duration = .seconds(15)) -> Bool {
        let deadline = ContinuousClock.now + timeout
        while recordCount < count {
            if ContinuousClock.now >= deadline { return false }
            Thread.sleep(forTimeInterval: 0.02)
        }
        return true
    }

    /// For traffic of unknown size (a TCP transfer): waits until the file
    /// has not grown for `quiet`, within `timeout`.
    func waitUntilQuiet(quiet: Duration = .milliseconds(400), timeout: Duration = .seconds(20)) {
        let deadline = ContinuousClock.now + timeout
        var last = -1
        var since = ContinuousClock.now
        while ContinuousClock.now < deadline {
            let now = recordCount
            if now != last {
                last = now
                since = ContinuousClock.now
            } else if ContinuousClock.now - since >= quiet {
                return
            }
            Thread.sleep(forTimeInterval: 0.05)
        }
    }

    /// SIGINT; throws unless tcpdump stopped and dropped nothing (an
    /// oracle with holes would prove nothing).
    @discardableResult
    func stop() throws -> CommandResult {
        if let stopped { return stopped }
        command.interrupt()
        let result = command.wait(timeout: .seconds(15))
        stopped = result
        let dropLine = result.standardError.split(separator: "\n").first { $0.hasSuffix(" packets dropped by kernel") }
        guard !result.timedOut, dropLine?.hasPrefix("0 ") == true else {
            throw ReportError("tcpdump did not stop cleanly or dropped packets: \(result.summary)")
        }
        return result
    }
}

/// Just enough of pcap to count whole records while tcpdump writes.
enum PcapRecords {
    static func count(in file: URL) -> Int {
        guard let data = try? Data(contentsOf: file), data.count >= 24 else { return 0 }
        let bytes = [UInt8](data)
        let magic = UInt32(bytes[0]) | UInt32(bytes[1]) << 8 | UInt32(bytes[2]) << 16 | UInt32(bytes[3]) << 24
        let littleEndian = magic == 0xA1B2_C3D4 || magic == 0xA1B2_3C4D
        func word(_ at: Int) -> Int {
            let b = bytes[at..<at + 4].map(Int.init)
            return littleEndian
                ? b[0] | b[1] << 8 | b[2] << 16 | b[3] << 24 : b[3] | b[2] << 8 | b[1] << 16 | b[0] << 24
        }
        var offset = 24
        var records = 0
        while offset + 16 <= bytes.count {
            let captured = word(offset + 8)
            guard offset + 16 + captured <= bytes.count else { break }
            offset += 16 + captured
            records += 1
        }
        return records
    }
}
