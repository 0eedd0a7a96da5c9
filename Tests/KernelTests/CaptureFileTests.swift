import Foundation
import Testing
import VtapCapture
import VtapTestSupport

/// Reading and writing capture files, including files from independent
/// producers (tcpdump, editcap, text2pcap).
@Suite struct CaptureFileTests {
    /// A fresh directory for one test's files, removed afterwards by the caller.
    static func scratchDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("vtap-capture-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    static let samplePackets: [CapturedPacket] = [
        CapturedPacket(timestampNanoseconds: 1_700_000_000_000_000_001, bytes: frame(0x0800, length: 60, fill: 1)),
        CapturedPacket(timestampNanoseconds: 1_700_000_000_999_999_999, bytes: frame(0x86DD, length: 94, fill: 2)),
        // Cut by a snapshot length: captured 64 of 1514.
        CapturedPacket(
            timestampNanoseconds: 1_700_000_001_000_000_000, originalLength: 1514,
            bytes: frame(0x0800, length: 64, fill: 3)),
        // Year 2100: past a signed 32-bit second count, within pcap's unsigned one.
        CapturedPacket(timestampNanoseconds: 4_102_444_800_123_456_789, bytes: frame(0x0806, length: 42, fill: 4)),
    ]

    static func frame(_ etherType: UInt16, length: Int, fill: UInt8) -> [UInt8] {
        [0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2, UInt8(etherType >> 8), UInt8(etherType & 0xFF)]
            + (0..<(length - 14)).map { UInt8(truncatingIfNeeded: Int(fill) &* 31 &+ $0) }
    }

    static func write(_ packets: [CapturedPacket], to path: String, snapshotLength: Int = 262_144) throws {
        let writer = try CaptureWriter(path: path, snapshotLength: snapshotLength)
        for packet in packets { try writer.write(packet) }
        try writer.close()
    }

    @Test func writtenFileReadsBackToTheNanosecond() throws {
        let directory = try Self.scratchDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("round.pcap").path
        try Self.write(Self.samplePackets, to: path, snapshotLength: 4096)

        // The nanosecond pcap magic, little-endian on this machine.
        let header = try Array(Data(contentsOf: URL(fileURLWithPath: path)).prefix(4))
        #expect(header == [0x4D, 0x3C, 0xB2, 0xA1])

        let reader = try CaptureReader(path: path)
        #expect(reader.linkType == .ethernet)
        #expect(reader.snapshotLength == 4096)
        let packets = try reader.readAll()
        #expect(packets == Self.samplePackets)
        #expect(packets[2].capturedLength == 64)
        #expect(packets[2].originalLength == 1514)
        #expect(reader.packetsRead == 4)
        #expect(try reader.next() == nil, "stays at the end")
        #expect(try reader.nextEthernetPacket() == nil)
    }

    @Test func readingIsStreaming() throws {
        let directory = try Self.scratchDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("many.pcap").path
        let writer = try CaptureWriter(path: path)
        let count = 20_000
        for index in 0..<count {
            try writer.write(
                Self.frame(0x0800, length: 60 + index % 40, fill: UInt8(index & 0xFF)),
                timestampNanoseconds: UInt64(index) * 1_000 + 7)
        }
        try writer.close()
        let reader = try CaptureReader(path: path)
        var seen = 0
        var previous: UInt64 = 0
        try reader.forEach { packet in
            #expect(packet.timestampNanoseconds == UInt64(seen) * 1_000 + 7)
            #expect(packet.capturedLength == 60 + seen % 40)
            #expect(packet.timestampNanoseconds >= previous)
            previous = packet.timestampNanoseconds
            seen += 1
        }
        #expect(seen == count)
    }

    // MARK: - Errors

    @Test func missingFile() throws {
        let error = try #require(throws: CaptureError.self) { try CaptureReader(path: "/nonexistent/vtap/none.pcap") }
        #expect(error.kind == .fileNotFound)
        #expect(error.description == "/nonexistent/vtap/none.pcap: no such file")
    }

    @Test func notACaptureFile() throws {
        let directory = try Self.scratchDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("rules.json").path
        try Data("{\"rules\": [] , \"this is\": \"not a capture\"}".utf8).write(to: URL(fileURLWithPath: path))
        let error = try #require(throws: CaptureError.self) { try CaptureReader(path: path) }
        #expect(error.kind == .notACaptureFile)
        #expect(error.description.hasPrefix("\(path): not a pcap or pcapng file: "))
        #expect(error.description.contains("unknown file format"), "libpcap's text is included")
        let directoryError = try #require(throws: CaptureError.self) { try CaptureReader(path: directory.path) }
        #expect(directoryError.kind == .notACaptureFile)
    }

    /// A capture in memory reads as the same file does, errors included.
    @Test func bytesInMemoryReadAsTheFile() throws {
        let directory = try Self.scratchDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("whole.pcap").path
        try Self.write(Self.samplePackets, to: path)
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        let reader = try CaptureReader(bytes: bytes, name: "memory.pcap")
        var read: [CapturedPacket] = []
        while let packet = try reader.next() { read.append(packet) }
        #expect(read == Self.samplePackets)
        #expect(reader.linkType == .ethernet && reader.snapshotLength == 262_144)

        let cut = try CaptureReader(bytes: Array(bytes.prefix(24 + 16 + 20)), name: "memory.pcap")
        let error = try #require(throws: CaptureError.self) { try cut.next() }
        #expect(error.kind == .truncated && error.description.hasPrefix("memory.pcap"))
        let junk = try #require(throws: CaptureError.self) {
            try CaptureReader(bytes: Array("not a capture".utf8), name: "junk")
        }
        #expect(junk.kind == .notACaptureFile)
        #expect(throws: CaptureError.self) { try CaptureReader(bytes: [], name: "empty") }
    }

    @Test func truncatedFiles() throws {
        let directory = try Self.scratchDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let whole = directory.appendingPathComponent("whole.pcap").path
        try Self.write(Self.samplePackets, to: whole)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: whole))

        // Cut inside the file header.
        let headerCut = directory.appendingPathComponent("header.pcap").path
        try bytes.prefix(10).write(to: URL(fileURLWithPath: headerCut))
        let headerError = try #require(throws: CaptureError.self) { try CaptureReader(path: headerCut) }
        #expect(headerError.kind == .truncated)
        #expect(headerError.description.contains("truncated"))

        // Cut inside the second packet: the first reads, then a clear error.
        let packetCut = directory.appendingPathComponent("packet.pcap").path
        let firstRecord = 24 + 16 + Self.samplePackets[0].bytes.count
        try bytes.prefix(firstRecord + 16 + 20).write(to: URL(fileURLWithPath: packetCut))
        let reader = try CaptureReader(path: packetCut)
        #expect(try reader.next() == Self.samplePackets[0])
        let packetError = try #require(throws: CaptureError.self) { try reader.next() }
        #expect(packetError.kind == .truncated)
        #expect(packetError.description.contains("after packet 1"))
        #expect(!packetError.description.contains("\n"))
        #expect(try reader.next() == nil)
    }

    @Test func writerErrors() throws {
        let missing = try #require(throws: CaptureError.self) { try CaptureWriter(path: "/nonexistent/vtap/out.pcap") }
        #expect(missing.kind == .fileNotFound)
        let directory = try Self.scratchDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let writer = try CaptureWriter(path: directory.appendingPathComponent("small.pcap").path, snapshotLength: 64)
        let tooLong = try #require(throws: CaptureError.self) {
            try writer.write([UInt8](repeating: 0, count: 65), timestampNanoseconds: 1)
        }
        #expect(tooLong.kind == .invalidArgument)
        try writer.close()
        #expect(throws: CaptureError.self) { try writer.write([1, 2, 3], timestampNanoseconds: 1) }
        let future = try CaptureWriter(path: directory.appendingPathComponent("future.pcap").path)
        let pastEnd = try #require(throws: CaptureError.self) {
            try future.write(
                [UInt8](repeating: 0, count: 20), timestampNanoseconds: (UInt64(UInt32.max) + 1) * 1_000_000_000)
        }
        #expect(pastEnd.kind == .invalidArgument)
    }

    // MARK: - Independent producers

    @Test func pcapngFromEditcapKeepsNanoseconds() throws {
        let directory = try Self.scratchDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let source = directory.appendingPathComponent("source.pcap").path
        try Self.write(Self.samplePackets, to: source)
        let pcapng = directory.appendingPathComponent("converted.pcapng").path
        try CommandRunner.check(["editcap", "-F", "pcapng", source, pcapng])
        let magic = try Array(Data(contentsOf: URL(fileURLWithPath: pcapng)).prefix(4))
        #expect(magic == [0x0A, 0x0D, 0x0D, 0x0A], "editcap wrote a pcapng section header")

        let reader = try CaptureReader(path: pcapng)
        #expect(reader.linkType == .ethernet)
        #expect(try reader.readAll() == Self.samplePackets)

        // Microsecond pcap from editcap: timestamps scaled, sub-microsecond digits gone.
        let micro = directory.appendingPathComponent("micro.pcap").path
        try CommandRunner.check(["editcap", "-F", "pcap", source, micro])
        let microPackets = try CaptureReader(path: micro).readAll()
        #expect(
            microPackets.map(\.timestampNanoseconds) == Self.samplePackets.map { $0.timestampNanoseconds / 1000 * 1000 }
        )
        #expect(microPackets.map(\.bytes) == Self.samplePackets.map(\.bytes))
    }

    @Test func rawIPFromText2pcapBecomesEthernet() throws {
        let directory = try Self.scratchDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let ipv4: [UInt8] = [
            0x45, 0x00, 0x00, 0x1D, 0x12, 0x34, 0x00, 0x00, 0x40, 0x11, 0x00, 0x00, 10, 0, 0, 1, 10, 0, 0, 2,
            0x30, 0x39, 0x00, 0x35, 0x00, 0x09, 0x00, 0x00, 0x61,
        ]
        let ipv6: [UInt8] =
            [0x60, 0, 0, 0, 0, 0, 59, 64] + [UInt8](repeating: 0, count: 15) + [1]
            + [UInt8](repeating: 0, count: 15) + [2]
        let dump = [ipv4, ipv6].map(hexDump).joined()
        let text = directory.appendingPathComponent("packets.txt").path
        try Data(dump.utf8).write(to: URL(fileURLWithPath: text))
        let output = directory.appendingPathComponent("raw.pcapng").path
        try CommandRunner.check(["text2pcap", "-q", "-l", "101", text, output])

        let reader = try CaptureReader(path: output)
        #expect(reader.linkType == .rawIP)
        let first = try #require(try reader.nextEthernetPacket())
        #expect(first.bytes == [UInt8](repeating: 0, count: 12) + [0x08, 0x00] + ipv4)
        #expect(first.originalLength == ipv4.count + 14)
        let second = try #require(try reader.nextEthernetPacket())
        #expect(second.bytes == [UInt8](repeating: 0, count: 12) + [0x86, 0xDD] + ipv6)
        #expect(try reader.next() == nil)
    }

    @Test(.kernel, arguments: [nil, "LINUX_SLL", "LINUX_SLL2"])
    func liveTcpdumpCaptureOnLoopback(linkType: String?) throws {
        let directory = try Self.scratchDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("live.pcap").path
        let port = UInt16.random(in: 40000...60000)
        let receiver = try UDPSocket(bindingTo: port)
        let started = UInt64(Date().timeIntervalSince1970 * 1e9)
        var arguments = ["-i", linkType == nil ? "lo" : "any", "-n", "-U", "-c", "4", "-w", path]
        if let linkType { arguments += ["-y", linkType] }
        arguments.append("udp and dst port \(port)")
        let tcpdump = try RunningCommand(["tcpdump"] + arguments)
        defer { tcpdump.terminate() }
        // tcpdump creates the file once it listens; send until it has its packets.
        var sent = 0
        let deadline = Date().addingTimeInterval(15)
        while tcpdump.isRunning, Date() < deadline {
            if FileManager.default.fileExists(atPath: path) {
                try receiver.send(Array("vtap-capture \(sent)".utf8), toPort: port)
                sent += 1
            }
            usleep(50_000)
        }
        #expect(!tcpdump.isRunning, "tcpdump got its 4 packets; \(tcpdump.wait(timeout: .seconds(2)).summary)")
        let finished = UInt64(Date().timeIntervalSince1970 * 1e9)

        let reader = try CaptureReader(path: path)
        let expectedType: LinkType =
            linkType == "LINUX_SLL" ? .linuxSLL : linkType == "LINUX_SLL2" ? .linuxSLL2 : .ethernet
        #expect(reader.linkType == expectedType)
        var count = 0
        while let packet = try reader.nextEthernetPacket() {
            count += 1
            #expect(packet.timestampNanoseconds % 1000 == 0, "tcpdump writes microseconds")
            #expect(
                packet.timestampNanoseconds + 1_000_000_000 >= started
                    && packet.timestampNanoseconds <= finished + 1_000_000_000)
            #expect(Array(packet.bytes[12..<14]) == [0x08, 0x00], "IPv4 in Ethernet")
            #expect(packet.bytes[14] == 0x45)
            #expect(packet.bytes[23] == 17, "UDP")
            #expect(Array(packet.bytes[36..<38]) == [UInt8(port >> 8), UInt8(port & 0xFF)], "destination port")
            #expect(String(decoding: packet.bytes[42...], as: UTF8.self).hasPrefix("vtap-capture "))
            #expect(packet.originalLength == packet.capturedLength)
        }
        #expect(count == 4)
    }

    /// text2pcap's input: offset-prefixed hex lines, one packet per offset-0 block.
    private func hexDump(_ bytes: [UInt8]) -> String {
        stride(from: 0, to: bytes.count, by: 16).map { offset in
            let line = bytes[offset..<min(offset + 16, bytes.count)].map { String(format: "%02x", $0) }.joined(
                separator: " ")
            return String(format: "%06x  ", offset) + line + "\n"
        }.joined()
    }
}
