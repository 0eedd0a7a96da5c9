import Foundation

/// tshark as an independent reader of captures: one row per frame, one
/// column per requested field (empty when the frame lacks it).
public enum TShark {
    /// Checksum checks are off by default in Wireshark; tests want them on,
    /// and fragments left alone so each frame is judged by itself.
    public static let validatingPreferences = [
        "ip.check_checksum:TRUE", "tcp.check_checksum:TRUE", "udp.check_checksum:TRUE",
        "udplite.check_checksum:TRUE", "sctp.checksum:CRC-32C", "ip.defragment:FALSE", "ipv6.defragment:FALSE",
    ]

    /// `firstOnly` keeps the outermost occurrence of a field (tunnelled
    /// payloads repeat fields); otherwise all occurrences, comma-separated.
    public static func fields(
        of file: URL, _ fields: [String], firstOnly: Bool = true, preferences: [String] = validatingPreferences,
        timeout: Duration = .seconds(60)
    ) throws -> [[String]] {
        var arguments = ["tshark", "-n", "-r", file.path, "-T", "fields", "-E", "separator=\t"]
        arguments += ["-E", firstOnly ? "occurrence=f" : "occurrence=a", "-E", "aggregator=,"]
        for preference in preferences { arguments += ["-o", preference] }
        for field in fields { arguments += ["-e", field] }
        let result = try CommandRunner.check(arguments, timeout: timeout)
        return result.standardOutput.split(separator: "\n", omittingEmptySubsequences: false)
            .dropLast(result.standardOutput.hasSuffix("\n") ? 1 : 0)
            .map { $0.split(separator: "\t", omittingEmptySubsequences: false).map(String.init) }
    }
}

extension TShark {
    /// Every frame's captured bytes, as tshark reads them (`-T ek -x`).
    public static func frameBytes(of file: URL, timeout: Duration = .seconds(60)) throws -> [[UInt8]] {
        let result = try CommandRunner.check(["tshark", "-n", "-r", file.path, "-T", "ek", "-x"], timeout: timeout)
        return try result.standardOutput.split(separator: "\n").compactMap { line in
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            guard let layers = object?["layers"] as? [String: Any] else { return nil }  // an index line
            guard let hex = layers["frame_raw"] as? String, let bytes = bytes(hex: hex) else {
                throw CommandError(result: result)
            }
            return bytes
        }
    }

    private static func bytes(hex: String) -> [UInt8]? {
        let digits = Array(hex.utf8)
        guard digits.count % 2 == 0 else { return nil }
        return try? stride(from: 0, to: digits.count, by: 2).map { index in
            guard let byte = UInt8(String(decoding: digits[index..<index + 2], as: UTF8.self), radix: 16) else {
                throw CocoaError(.formatting)
            }
            return byte
        }
    }
}

extension TShark {
    /// One direction of a conversation in `tshark -z conv,udp|tcp`: the
    /// frames tshark counted from `source` to `destination` (each
    /// "address:port").
    public struct ConversationDirection: Hashable, Sendable {
        public var source: String
        public var destination: String
        public var frames: Int
    }

    /// `tshark -q -z conv,PROTOCOL`, each conversation's two directions
    /// (directions without frames left out). tshark writes "A <-> B", then
    /// the frames and bytes from B to A ("<-"), from A to B ("->") and in
    /// all; only the frame counts are exact (bytes grow units).
    public static func conversations(of file: URL, protocol name: String) throws -> [ConversationDirection] {
        let result = try CommandRunner.check(["tshark", "-n", "-r", file.path, "-q", "-z", "conv,\(name)"])
        return result.standardOutput.split(separator: "\n").flatMap { line -> [ConversationDirection] in
            let words = line.split(separator: " ")
            guard words.count > 4, words[1] == "<->", let backward = Int(words[3]) else { return [] }
            // After "<-"'s frames and its bytes (a number and a unit), "->"'s frames.
            guard let forward = Int(words[6]) else { return [] }
            let a = String(words[0])
            let b = String(words[2])
            return [
                ConversationDirection(source: a, destination: b, frames: forward),
                ConversationDirection(source: b, destination: a, frames: backward),
            ].filter { $0.frames > 0 }
        }
    }
}
