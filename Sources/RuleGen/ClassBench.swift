import CZlib
import VtapRuleModel

/// ClassBench (Taylor & Turner), the packet-classification field's standard
/// workload: filter sets generated from real access-control lists,
/// firewalls and IP chains, and header traces that probe them. vtap reads
/// them to test and benchmark its classifier on rulesets it did not design.
public enum ClassBench {
    /// One line of a `*.filters` file. First match wins, in line order.
    public struct Filter: Sendable, Hashable {
        public var source: UInt32
        public var sourceLength: Int
        public var destination: UInt32
        public var destinationLength: Int
        public var sourcePorts: ClosedRange<UInt16>
        public var destinationPorts: ClosedRange<UInt16>
        /// `nil`: any protocol (`0x00/0x00`).
        public var protocolNumber: UInt8?
    }

    /// One line of a `*.trace` file: a packet header, and the filter it was
    /// generated from (not necessarily the first that matches it).
    public struct Header: Sendable, Hashable {
        public var source: UInt32
        public var destination: UInt32
        public var sourcePort: UInt16
        public var destinationPort: UInt16
        public var protocolNumber: UInt8
        public var filter: Int

        /// What vtap's rules see of it: protocols without ports carry none
        /// (the trace gives ports for every header).
        public var fields: PacketFields {
            PacketFields(
                source: .v4(source), destination: .v4(destination), protocolNumber: protocolNumber,
                ports: IPProtocol.carriesPorts(protocolNumber)
                    ? PacketFields.Ports(source: sourcePort, destination: destinationPort) : nil)
        }
    }

    public struct ParseError: Error, CustomStringConvertible, Sendable {
        public var line: Int
        public var message: String
        public var description: String { "line \(line): \(message)" }
    }

    // MARK: Filters

    /// `@SRC/LEN  DST/LEN  SP_LO : SP_HI  DP_LO : DP_HI  PROTO/MASK  FLAGS/MASK`,
    /// tab-separated; the TCP flags have no counterpart in vtap and are ignored.
    public static func filters(_ text: String) throws -> [Filter] {
        var out: [Filter] = []
        for (number, line) in lines(text) {
            var fields = line.split(whereSeparator: { $0 == "\t" }).map { $0.trimmingSpaces }
            guard fields.first?.first == "@" else {
                throw ParseError(line: number, message: "a filter starts with '@'")
            }
            fields[0] = fields[0].dropFirst()
            guard fields.count >= 5 else { throw ParseError(line: number, message: "expected at least 5 fields") }
            func prefix(_ text: Substring) throws -> (UInt32, Int) {
                let parts = text.split(separator: "/")
                guard parts.count == 2, let address = dotted(parts[0]), let length = Int(parts[1]),
                    (0...32).contains(length)
                else { throw ParseError(line: number, message: "'\(text)' is not an IPv4 prefix") }
                let mask: UInt32 = length == 0 ? 0 : ~UInt32(0) << (32 - length)
                return (address & mask, length)
            }
            func ports(_ text: Substring) throws -> ClosedRange<UInt16> {
                let parts = text.split(separator: ":").map(\.trimmingSpaces)
                guard parts.count == 2, let lo = UInt16(parts[0]), let hi = UInt16(parts[1]), lo <= hi
                else { throw ParseError(line: number, message: "'\(text)' is not a port range") }
                return lo...hi
            }
            let (source, sourceLength) = try prefix(fields[0])
            let (destination, destinationLength) = try prefix(fields[1])
            let protocolParts = fields[4].split(separator: "/")
            guard protocolParts.count == 2, let value = hex(protocolParts[0]), let mask = hex(protocolParts[1]),
                value <= 0xFF, mask == 0 || mask == 0xFF
            else { throw ParseError(line: number, message: "'\(fields[4])' is not PROTO/MASK") }
            out.append(
                Filter(
                    source: source, sourceLength: sourceLength, destination: destination,
                    destinationLength: destinationLength, sourcePorts: try ports(fields[2]),
                    destinationPorts: try ports(fields[3]), protocolNumber: mask == 0 ? nil : UInt8(value)))
        }
        return out
    }

    /// A filter as a vtap rule string. `0 : 65535` and `/0` are wildcards;
    /// ports given with an exact protocol that carries none cannot be
    /// written in vtap's language (`ports-without-protocol-ports`) and
    /// become `-`, as the data's README says.
    public static func ruleText(_ filter: Filter) -> String {
        func address(_ value: UInt32, _ length: Int) -> String {
            length == 0 ? "-" : length == 32 ? dottedText(value) : "\(dottedText(value))/\(length)"
        }
        func ports(_ range: ClosedRange<UInt16>) -> String {
            if range == 0...65535 { return "-" }
            return range.lowerBound == range.upperBound
                ? "\(range.lowerBound)" : "\(range.lowerBound)-\(range.upperBound)"
        }
        let portless = filter.protocolNumber.map { !IPProtocol.carriesPorts($0) } ?? false
        return [
            address(filter.source, filter.sourceLength),
            address(filter.destination, filter.destinationLength),
            portless ? "-" : ports(filter.sourcePorts),
            portless ? "-" : ports(filter.destinationPorts),
            filter.protocolNumber.map(String.init) ?? "-",
        ].joined(separator: " ")
    }

    /// A whole rules file: one rule string per filter, in order.
    public static func rulesFile(_ filters: [Filter]) -> String {
        var out = "{\n  \"RULES\": [\n"
        for (index, filter) in filters.enumerated() {
            out += "    \"\(ruleText(filter))\"\(index + 1 < filters.count ? "," : "")\n"
        }
        out += "  ]\n}\n"
        return out
    }

    // MARK: Traces

    /// `SRC DST SPORT DPORT PROTO FLAGS FILTER`, unsigned decimal integers.
    public static func trace(_ text: String) throws -> [Header] {
        var out: [Header] = []
        for (number, line) in lines(text) {
            let fields = line.split(whereSeparator: { $0 == "\t" || $0 == " " })
            guard fields.count >= 7, let source = UInt32(fields[0]), let destination = UInt32(fields[1]),
                let sourcePort = UInt16(fields[2]), let destinationPort = UInt16(fields[3]),
                let protocolNumber = UInt8(fields[4]), let filter = Int(fields[6])
            else { throw ParseError(line: number, message: "expected SRC DST SPORT DPORT PROTO FLAGS FILTER") }
            out.append(
                Header(
                    source: source, destination: destination, sourcePort: sourcePort,
                    destinationPort: destinationPort, protocolNumber: protocolNumber, filter: filter))
        }
        return out
    }

    // MARK: Files

    public struct ReadError: Error, CustomStringConvertible, Sendable {
        public var path: String
        public var description: String { "cannot read \(path)" }
    }

    /// A file's text, gunzipped when it is compressed (zlib reads plain
    /// files as they are).
    public static func read(_ path: String) throws -> String {
        guard let file = gzopen(path, "rb") else { throw ReadError(path: path) }
        defer { gzclose(file) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = chunk.withUnsafeMutableBytes { gzread(file, $0.baseAddress, UInt32($0.count)) }
            if count < 0 { throw ReadError(path: path) }
            if count == 0 { break }
            bytes.append(contentsOf: chunk[0..<Int(count)])
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    // MARK: Text helpers

    private static func lines(_ text: String) -> [(Int, Substring)] {
        text.split(separator: "\n", omittingEmptySubsequences: false).enumerated().compactMap { index, line in
            let trimmed = line.trimmingSpaces
            return trimmed.isEmpty ? nil : (index + 1, trimmed)
        }
    }

    private static func dotted(_ text: Substring) -> UInt32? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var value: UInt32 = 0
        for part in parts {
            guard let octet = UInt8(part) else { return nil }
            value = value << 8 | UInt32(octet)
        }
        return value
    }

    static func dottedText(_ value: UInt32) -> String {
        [24, 16, 8, 0].map { String((value >> UInt32($0)) & 0xFF) }.joined(separator: ".")
    }

    private static func hex(_ text: Substring) -> UInt32? {
        let digits = text.hasPrefix("0x") || text.hasPrefix("0X") ? text.dropFirst(2) : text
        return UInt32(digits, radix: 16)
    }
}

extension Substring {
    fileprivate var trimmingSpaces: Substring {
        var result = self
        while let first = result.first, first == " " || first == "\r" || first == "\t" { result = result.dropFirst() }
        while let last = result.last, last == " " || last == "\r" || last == "\t" { result = result.dropLast() }
        return result
    }
}
