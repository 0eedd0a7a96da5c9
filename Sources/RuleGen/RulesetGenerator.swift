/// Deterministic, realistic large rulesets: what a test team's ruleset of
/// N flows looks like (host pairs, subnets, port ranges, lists, IPv4 and
/// IPv6), for benchmarks and scale tests. Same seed, same file.
public struct RulesetGenerator {
    public enum Mix: String, CaseIterable, Sendable {
        /// Host /32s, prefixes, port ranges, lists, v4 and v6.
        case realistic
        /// One IPv4 source host per rule: the simplest large ruleset.
        case hosts
    }

    public var mix: Mix
    private var random: SplitMix64

    public init(mix: Mix = .realistic, seed: UInt64 = 1) {
        self.mix = mix
        self.random = SplitMix64(seed: seed)
    }

    /// The whole rules file text.
    public mutating func file(ruleCount: Int) -> String {
        var out = "{\n  \"RULES\": [\n"
        for index in 0..<ruleCount {
            out += "    \"\(rule(index))\"\(index + 1 < ruleCount ? "," : "")\n"
        }
        out += "  ],\n  \"PATTERN\": \"0xE7A5C318\",\n  \"OFFSET\": 4\n}\n"
        return out
    }

    mutating func rule(_ index: Int) -> String {
        switch mix {
        case .hosts:
            return "\(v4Host(index)) - - - -"
        case .realistic:
            let kind = next() % 100
            switch kind {
            case 0..<45:
                return "\(v4Host(index)) \(v4Host(index &* 7 &+ 3)) - \(port()) \(pick(["TCP", "UDP"]))"
            case 45..<60:
                return "\(v4Prefix(index)) - \(portRange()) - \(pick(["TCP", "UDP", "[TCP,UDP]"]))"
            case 60..<70:
                return
                    "[\(v4Host(index)),\(v4Host(index &+ 1_000_003)),\(v4Host(index &+ 2_000_003))] - - \(ports()) TCP"
            case 70..<82:
                return "\(v6Host(index)) - - \(port()) \(pick(["TCP", "UDP"]))"
            case 82..<90:
                return "\(v6Prefix(index)) \(v6Host(index &+ 77)) - - -"
            case 90..<95:
                return "- \(v4Host(index)) - - ICMP"
            default:
                return "\(v4Prefix(index)) \(v4Prefix(index &+ 13)) \(portRange()) \(portRange()) SCTP"
            }
        }
    }

    // Addresses are spread by index so rules stay distinct at any count.
    private func v4Host(_ index: Int) -> String {
        let value = UInt32(
            truncatingIfNeeded: 0x0A00_0000 &+ UInt32(truncatingIfNeeded: index) &* 2_654_435_761 % 0x00FF_FFFF)
        return dotted(value)
    }

    private mutating func v4Prefix(_ index: Int) -> String {
        let length = pick([16, 20, 24, 24, 26, 28])
        let base = UInt32(truncatingIfNeeded: 0xAC10_0000 &+ UInt32(truncatingIfNeeded: index &* 40_503) % 0x0FFF_FFFF)
        let mask: UInt32 = length == 0 ? 0 : ~((1 << (32 - length)) - 1)
        return "\(dotted(base & mask))/\(length)"
    }

    private func v6Host(_ index: Int) -> String {
        let value = UInt32(truncatingIfNeeded: index) &* 2_246_822_519
        return
            "2001:db8:\(String(value >> 16, radix: 16)):\(String(value & 0xffff, radix: 16))::\(String(index & 0xffff, radix: 16))"
    }

    private mutating func v6Prefix(_ index: Int) -> String {
        let value = UInt32(truncatingIfNeeded: index) &* 3_266_489_917
        let length = pick([56, 64, 64, 96])
        // No host bits: /56 clears the low byte of the fourth group.
        let fourth = length == 56 ? (value & 0xff00) : (value & 0xffff)
        let tail = length == 96 ? ":\(String(index & 0xffff, radix: 16))::" : "::"
        return "2001:db8:\(String(value >> 16, radix: 16)):\(String(fourth, radix: 16))\(tail)/\(length)"
    }

    private mutating func port() -> String { String(next() % 64_000 + 1024) }

    private mutating func portRange() -> String {
        let start = next() % 60_000 + 1024
        return "\(start)-\(start + next() % 2000)"
    }

    private mutating func ports() -> String { "[\(port()),\(port()),\(portRange())]" }

    private func dotted(_ value: UInt32) -> String {
        [24, 16, 8, 0].map { String((value >> UInt32($0)) & 0xff) }.joined(separator: ".")
    }

    private mutating func pick<T>(_ items: [T]) -> T { items[Int(next() % UInt64(items.count))] }

    private mutating func next() -> UInt64 { random.next() }
}
