import Foundation
import VtapMetrics
import VtapOutputs
import VtapRuleModel

/// Segments made from the bytes (header fields, raw options, a few
/// endpoints so that connections form) through the tracker and every
/// qlog layout: each JSON-SEQ record, and the prototype's file, parse.
enum QlogFuzz {
    static let segmentHeader = 16

    /// One segment in the target's layout: flags, the gap before it in
    /// milliseconds, endpoint and direction bits, rule and interface,
    /// sequence, acknowledgement, window, payload in 8-byte units, and
    /// the options (their length, then their bytes).
    static func segment(
        flags: UInt8, gap: UInt8 = 1, toServer: Bool, sequence: UInt32, acknowledgement: UInt32,
        payloadUnits: UInt8 = 0, options: [UInt8] = []
    ) -> [UInt8] {
        func word(_ value: UInt32) -> [UInt8] { [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: value >> $0) } }
        return [flags, gap, toServer ? 0x08 : 0x18, 0] + word(sequence) + word(acknowledgement)
            + [0xFA, 0xF0, payloadUnits, UInt8(options.count)] + options
    }

    /// A handshake, data and FINs; an MPTCP connection and a subflow
    /// joining it; a reset after a retransmission.
    static let seeds: [FuzzCorpus.Seed] = {
        let mss: [UInt8] = [2, 4, 5, 0xB4, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 3, 3, 7]
        let plain =
            [0] + segment(flags: 0x02, toServer: true, sequence: 100, acknowledgement: 0, options: mss)
            + segment(flags: 0x12, toServer: false, sequence: 900, acknowledgement: 101, options: mss)
            + segment(flags: 0x10, toServer: true, sequence: 101, acknowledgement: 901)
            + segment(flags: 0x18, toServer: true, sequence: 101, acknowledgement: 901, payloadUnits: 10)
            + segment(flags: 0x10, toServer: false, sequence: 901, acknowledgement: 181)
            + segment(flags: 0x11, toServer: true, sequence: 181, acknowledgement: 901)
            + segment(flags: 0x11, toServer: false, sequence: 901, acknowledgement: 182)
            + segment(flags: 0x10, toServer: true, sequence: 182, acknowledgement: 902)
        let capable: [UInt8] = [30, 12, 0x01, 0x81] + Array(1...8)
        let join: [UInt8] = [30, 12, 0x10, 0x00, 0xDE, 0xAD, 0xBE, 0xEF, 1, 2, 3, 4]
        let dss: [UInt8] = [30, 20, 0x20, 0x0F] + Array(1...16)
        let mptcp =
            [1] + segment(flags: 0x02, toServer: true, sequence: 5, acknowledgement: 0, options: capable)
            + segment(flags: 0x12, toServer: false, sequence: 7, acknowledgement: 6, options: capable)
            + segment(flags: 0x10, toServer: true, sequence: 6, acknowledgement: 8, options: dss)
            + segment(flags: 0x02, toServer: true, sequence: 50, acknowledgement: 0, options: join)
        let reset =
            [0] + segment(flags: 0x18, toServer: true, sequence: 1, acknowledgement: 1, payloadUnits: 4)
            + segment(flags: 0x18, gap: 200, toServer: true, sequence: 1, acknowledgement: 1, payloadUnits: 4)
            + segment(flags: 0x04, toServer: false, sequence: 1, acknowledgement: 0)
        return [("plain", plain), ("mptcp", mptcp), ("reset", reset)].map {
            FuzzCorpus.Seed(name: "qlog-\($0.0)", bytes: $0.1)
        }
    }()

    static func run(_ bytes: [UInt8]) throws {
        let target = FuzzTarget.qlog
        var tracker = TCPConnectionTracker(captureVantage: bytes.first.map { $0 & 1 == 0 } ?? true ? .client : .server)
        var offset = 1
        var now: Int64 = 1_700_000_000_000_000_000
        var finished: [TCPTrace] = []
        while offset + segmentHeader <= bytes.count {
            let b = Array(bytes[offset..<offset + segmentHeader])
            let optionLength = min(Int(b[15] % 44), bytes.count - offset - segmentHeader)
            let options = Array(bytes[offset + segmentHeader..<offset + segmentHeader + optionLength])
            offset += segmentHeader + optionLength
            now += Int64(b[1]) * 1_000_000
            func word(_ at: Int) -> UInt32 { b[at..<at + 4].reduce(0) { $0 << 8 | UInt32($1) } }
            let hosts = ["10.0.0.1", "10.0.0.2"]
            let client = TCPSegment.Endpoint(hosts[Int(b[2] & 1)], 40_000 + UInt16(b[2] >> 1 & 3))
            let server = TCPSegment.Endpoint(hosts[Int(b[2] >> 3 & 1)], 443)
            let outbound = b[2] & 0x10 == 0
            let direction: TCPSegment.Direction = b[2] & 0x20 != 0 ? .unknown : outbound ? .sent : .received
            tracker.add(
                TCPSegment(
                    nanoseconds: now, rule: Int(b[3] % 3), direction: direction, interfaceIndex: UInt32(b[3] >> 6),
                    ipVersion: b[3] & 0x20 == 0 ? 4 : 6, source: outbound ? client : server,
                    destination: outbound ? server : client, sequence: word(4), acknowledgement: word(8),
                    flags: TCPFlags(rawValue: b[0] & 0x3F), window: UInt16(b[12]) << 8 | UInt16(b[13]),
                    headerLength: 20 + optionLength, payloadLength: Int(b[14]) * 8, options: options))
            if b[1] == 0xFF { finished += tracker.takeFinished(now: now, quietNanoseconds: 0, idleNanoseconds: 1) }
        }
        finished += tracker.finish()
        for format in QlogFormat.allCases {
            let writer = QlogWriter(directory: "/nonexistent", format: format, ruleLabels: ["a", "b"], origin: "fuzz")
            for trace in finished {
                let text = writer.text(trace)
                let documents =
                    format == .legacy
                    ? [text] : text.split(separator: "\u{1E}", omittingEmptySubsequences: true).map(String.init)
                for document in documents {
                    let parsed = try? JSONSerialization.jsonObject(with: Data(document.utf8))
                    try target.require(
                        parsed != nil, "\(format) writes a record that is not JSON: \(document.prefix(200))")
                }
            }
        }
    }
}

/// Records for vtap's own templates (the KPIs chosen by the first bytes)
/// split into messages; each message read back by RFC 7011's framing: its
/// length, its sequence number, sets that end where it ends, and as many
/// data records as it says.
enum IPFIXFuzz {
    /// Every KPI, some, and one; records of each template.
    static let seeds: [FuzzCorpus.Seed] =
        ([[0xFF, 0xFF, 0x80, 1], [0x55, 0x0F, 0, 0], [0x01, 0x00, 0xFF, 1]] as [[UInt8]]).map {
            header in
            let body = (0..<2048).map { UInt8(truncatingIfNeeded: $0 &* 37 ^ Int(header[0])) }
            return FuzzCorpus.Seed(name: "ipfix-\(header[0])-\(header[1])", bytes: header + body)
        }

    static func run(_ bytes: [UInt8]) throws {
        let target = FuzzTarget.ipfix
        guard bytes.count >= 4 else { return }
        let chosen = Set(
            KPI.allCases.enumerated().filter { bytes[$0.offset % 2] >> ($0.offset / 2 % 8) & 1 == 1 }.map(\.element))
        let templates = KPIRecords(chosen).templates
        let maximum = 512 + Int(bytes[2]) * 8
        var encoder = IPFIXMessages(observationDomain: 7, templates: templates, maximumLength: maximum)
        var records: [(template: UInt16, bytes: [UInt8])] = []
        var offset = 4
        while offset < bytes.count {
            let template = templates[Int(bytes[offset]) % templates.count]
            let length = template.recordLength
            offset += 1
            guard offset + length <= bytes.count else { break }
            records.append((template.id, Array(bytes[offset..<offset + length])))
            offset += length
        }
        let lengths = Dictionary(uniqueKeysWithValues: templates.map { ($0.id, $0.recordLength) })
        let messages = encoder.messages(records: records, exportTime: 1, includeTemplates: bytes[3] & 1 == 1)
        var sequence: UInt32 = 0
        var carried = 0
        for message in messages {
            let m = message.bytes
            func u16(_ at: Int) -> Int { Int(m[at]) << 8 | Int(m[at + 1]) }
            func u32(_ at: Int) -> UInt32 { m[at..<at + 4].reduce(0) { $0 << 8 | UInt32($1) } }
            try target.require(m.count >= 16 && u16(0) == 10 && u16(2) == m.count, "a header that does not frame it")
            try target.require(m.count <= maximum, "a message of \(m.count) bytes over \(maximum)")
            try target.require(u32(8) == sequence, "sequence \(u32(8)), \(sequence) records sent before")
            var at = 16
            var dataRecords = 0
            while at < m.count {
                try target.require(at + 4 <= m.count, "a set header cut at \(at)")
                let id = UInt16(u16(at))
                let length = u16(at + 2)
                try target.require(length >= 4 && at + length <= m.count, "set \(id) of \(length) bytes at \(at)")
                if let recordLength = lengths[id] {
                    try target.require((length - 4) % recordLength == 0, "set \(id) not whole records")
                    dataRecords += (length - 4) / recordLength
                } else {
                    try target.require(id == 2, "set id \(id) is neither a template set nor a template")
                }
                at += length
            }
            try target.require(
                dataRecords == message.dataRecords, "\(dataRecords) records, \(message.dataRecords) said")
            sequence &+= UInt32(dataRecords)
            carried += dataRecords
        }
        try target.require(carried == records.count, "\(carried) of \(records.count) records carried")
    }
}
