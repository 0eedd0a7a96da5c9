/// Rulesets shaped to break packet classifiers, for tests and benchmarks:
/// the shapes that make a decision structure multiply (rules that overlap
/// in several fields at once, each wide where another is narrow), unlike
/// `RulesetGenerator`'s evenly spread hosts. Same seed, same file.
public struct AdversarialRulesets {
    public enum Shape: String, CaseIterable, Sendable {
        /// Prefixes from /8 to /24 nested inside a few networks, the same
        /// prefixes many times over, each with several port ranges.
        case nestedPrefixes = "nested-prefixes"
        /// Every rule restricts one field and leaves the rest `-`.
        case singleField = "single-field"
        /// Long ladders of overlapping port ranges, in both port fields.
        case portLadders = "port-ladders"
        /// Source hosts with any destination interleaved with destination
        /// hosts with any source, plus port-only rules: every pair crosses.
        case crossed
        /// IPv4 and IPv6 prefixes, lists mixing both, and negations.
        case mixedFamilies = "mixed-families"
    }

    public var shape: Shape
    private var random: SplitMix64

    public init(shape: Shape, seed: UInt64 = 1) {
        self.shape = shape
        random = SplitMix64(seed: seed &* 0x9E37_79B9 &+ UInt64(Shape.allCases.firstIndex(of: shape) ?? 0))
    }

    /// The whole rules file text.
    public mutating func file(ruleCount: Int) -> String {
        var out = "{\n  \"RULES\": [\n"
        for index in 0..<ruleCount {
            out += "    \"\(rule(index))\"\(index + 1 < ruleCount ? "," : "")\n"
        }
        out += "  ]\n}\n"
        return out
    }

    public mutating func rule(_ index: Int) -> String {
        switch shape {
        case .nestedPrefixes:
            // Sources nest and repeat; destinations are subnets and hosts of
            // one /8, so source prefixes cross many destinations.
            let proto = pick(["TCP", "UDP", "[TCP,UDP]", "6"])
            let destination =
                dotted(0x0B00_0000 | UInt32(truncatingIfNeeded: next() % 0x00FF_FFFF) & ~0xFF)
                + pick(["/24", "/28", ""])
            return "\(nestedPrefix()) \(destination) \(chance(70) ? "-" : portRanges()) \(portRanges()) \(proto)"
        case .singleField:
            switch next() % 5 {
            case 0: return "\(nestedPrefix()) - - - -"
            case 1: return "- \(nestedPrefix()) - - -"
            case 2: return "- - \(portRange()) - -"
            case 3: return "- - - \(portRange()) -"
            default: return "- - - - \(pick(["TCP", "UDP", "ICMP", "SCTP", "47", "!6"]))"
            }
        case .portLadders:
            // Ranges that start a few ports apart and span thousands:
            // every range overlaps hundreds of others.
            let step = 7
            let start = (index * step) % 60_000
            let width = 500 + Int(next() % 3000)
            let ladder = "\(start)-\(min(65_535, start + width))"
            let other = chance(50) ? "-" : "\(start / 2)-\(min(65_535, start / 2 + width))"
            return chance(50) ? "- - \(other) \(ladder) \(pick(["TCP", "UDP"]))" : "- - \(ladder) \(other) -"
        case .crossed:
            switch index % 3 {
            case 0: return "\(host()) - - - -"
            case 1: return "- \(host()) - - -"
            default: return "- - - \(portRange()) \(pick(["TCP", "UDP"]))"
            }
        case .mixedFamilies:
            switch next() % 6 {
            case 0: return "\(v6Prefix()) \(v6Prefix()) - \(portRange()) TCP"
            case 1: return "[\(nestedPrefix()),\(v6Prefix())] - - - -"
            case 2: return "!\(nestedPrefix()) \(v6Prefix()) - - UDP"
            case 3: return "- [\(v6Prefix()),\(nestedPrefix())] \(portRange()) - -"
            case 4: return "\(nestedPrefix()) \(nestedPrefix()) - \(portRanges()) -"
            default: return "!\(v6Prefix()) - - \(portRange()) [TCP,UDP]"
            }
        }
    }

    // A handful of networks, and a limited pool of prefixes inside them, so
    // prefixes nest and repeat.
    private static let networks: [UInt32] = [0x0A00_0000, 0xAC10_0000, 0xC0A8_0000, 0x6440_0000]

    private mutating func nestedPrefix() -> String {
        let network = pick(Self.networks)
        let length = 8 + Int(next() % 17)
        // Few distinct addresses inside each network: many rules share a
        // prefix, and the longer ones sit inside the shorter ones.
        let inside = UInt32(next() % 64) &* 0x0001_0101
        let address = network | (inside & 0x00FF_FFFF)
        let mask: UInt32 = ~UInt32(0) << (32 - length)
        return "\(dotted(address & mask))/\(length)"
    }

    private mutating func host() -> String {
        dotted(0x0A00_0000 | UInt32(truncatingIfNeeded: next() % 0x00FF_FFFF))
    }

    private mutating func v6Prefix() -> String {
        let length = pick([16, 32, 48, 56, 64, 96, 128])
        let group = String(next() % 4, radix: 16)
        let inner = String(next() % 8, radix: 16)
        let text = "2001:db8:\(group):\(inner)::\(String(next() % 4, radix: 16))"
        // Host bits under the prefix would be a warning; clear them by
        // choosing the prefix's own form.
        switch length {
        case 16: return "2001::/16"
        case 32: return "2001:db8::/32"
        case 48: return "2001:db8:\(group)::/48"
        case 56: return "2001:db8:\(group):\(String((next() % 4) << 8, radix: 16))::/56"
        case 64: return "2001:db8:\(group):\(inner)::/64"
        case 96: return "2001:db8:\(group):\(inner)::/96"
        default: return text
        }
    }

    private mutating func portRange() -> String {
        let start = Int(next() % 64_000)
        return "\(start)-\(start + Int(next() % 1500))"
    }

    private mutating func portRanges() -> String {
        let count = 1 + Int(next() % 3)
        if count == 1 { return portRange() }
        return "[" + (0..<count).map { _ in portRange() }.joined(separator: ",") + "]"
    }

    private func dotted(_ value: UInt32) -> String {
        [24, 16, 8, 0].map { String((value >> UInt32($0)) & 0xff) }.joined(separator: ".")
    }

    private mutating func chance(_ percent: Int) -> Bool { Int(next() % 100) < percent }
    private mutating func pick<T>(_ items: [T]) -> T { items[Int(next() % UInt64(items.count))] }
    private mutating func next() -> UInt64 { random.next() }
}
