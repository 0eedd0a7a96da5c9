import Foundation
import VtapBPF
import VtapCapture
import VtapRuleModel

/// A manifest that decodes is written and decoded again to the same value,
/// and written the same way twice: what vtapc writes, vtap reads back.
enum ManifestFuzz {
    static func run(_ bytes: [UInt8]) throws {
        let target = FuzzTarget.manifest
        guard let manifest = try? Manifest.decoded(from: Data(bytes)) else { return }
        let written = try? manifest.encoded()
        try target.require(written != nil, "a decoded manifest cannot be written")
        guard let written else { return }
        let again = try? Manifest.decoded(from: written)
        try target.require(again != nil, "a written manifest does not decode")
        try target.require(try again?.encoded() == written, "writing the manifest again changes it")
    }
}

/// Any bytes as a capture file: libpcap and vtap's framing either refuse
/// it with a capture error or give packets no longer than their original
/// length, with a whole Ethernet header when they are framed.
enum CaptureFuzz {
    static func run(_ bytes: [UInt8]) throws {
        let target = FuzzTarget.capture
        // From memory: libpcap reads a stream over the bytes as it reads a file.
        guard let reader = try? CaptureReader(bytes: bytes, name: "fuzz.pcap") else { return }
        var count = 0
        while count < 10_000 {
            let packet: CapturedPacket?
            do { packet = try reader.next() } catch is CaptureError { break }
            guard let packet else { break }
            count += 1
            try target.require(
                packet.bytes.count <= packet.originalLength, "packet \(count) longer than its original length")
            // Ethernet records pass as they are (a runt is counted malformed
            // by the program, as tshark marks it); other link types get a
            // whole Ethernet header made for them.
            guard reader.linkType != .ethernet, let framed = try? reader.ethernetPacket(packet) else { continue }
            try target.require(framed.bytes.count >= 14, "a framed packet without its header")
        }
        try target.require(try reader.next() == nil || count == 10_000, "packets after the end")
    }
}

/// Any text as a verifier log: the error line is one of its lines, the
/// annotations point at lines of it, and statistics are not negative.
enum VerifierLogFuzz {
    static func run(_ bytes: [UInt8]) throws {
        let target = FuzzTarget.verifierLog
        let text = String(decoding: bytes, as: UTF8.self)
        let log = VerifierLog(text, truncated: bytes.first.map { $0 & 1 == 1 } ?? false)
        if let index = log.errorLineIndex {
            try target.require(log.lines.indices.contains(index), "error line \(index) of \(log.lines.count)")
        }
        if let index = log.previousLineIndex {
            try target.require(log.lines.indices.contains(index), "previous line \(index) of \(log.lines.count)")
        }
        try target.require(log.omittedLineCount >= 0, "\(log.omittedLineCount) lines omitted")
        _ = log.sourceAnnotations
        _ = log.summary
        if let stats = log.stats {
            let counts = [stats.instructionsProcessed] + [stats.totalStates, stats.peakStates].compactMap { $0 }
            try target.require(counts.allSatisfy { $0 >= 0 }, "negative statistics \(counts)")
        }
    }
}
