import VtapRuleModel

/// Seeded random rules *files*: every field form of the language (lists,
/// ranges, CIDR, IPv6, negation, names and numbers, object form), valid by
/// construction so they check without errors.
public struct RandomRulesText {
    public var generator: SplitMix64

    public init(seed: UInt64) {
        generator = SplitMix64(seed: seed)
    }

    static let v4Hosts = [
        "10.0.0.1", "10.0.0.2", "10.0.1.2", "192.168.1.1", "192.168.1.254", "1.1.1.1", "3.3.3.3", "255.255.255.255",
        "0.0.0.0", "128.0.0.0",
    ]
    static let v4Prefixes = ["10.0.0.0/8", "10.0.0.0/24", "10.0.1.0/31", "192.168.0.0/16", "0.0.0.0/0", "128.0.0.0/1"]
    static let v6Hosts = [
        "2001:db8::1", "2001:db8::2", "fe80::1234", "::1", "::", "::ffff:10.0.0.1", "2001:db8:0:1::ffff",
    ]
    static let v6Prefixes = [
        "2001:db8::/32", "2001:db8::/64", "2001:db8:0:1::/63", "fd00::/8", "::/0", "2001:db8::/127",
    ]
    static let portTexts = [
        "0", "1", "22", "53", "80", "443", "1000-2000", "1999", "5060", "8080", "65535", "1024-65535",
    ]
    static let portedProtocols = ["TCP", "UDP", "SCTP", "tcp", "17", "6"]
    static let otherProtocols = ["ICMP", "ICMPv6", "GRE", "1", "58", "47"]

    /// A complete rules file with `count` rules.
    public mutating func file(count: Int, extra: String = "") -> String {
        let rules = (0..<count).map { rule(index: $0) }
        return "{\n  \"RULES\": [\n    " + rules.joined(separator: ",\n    ") + "\n  ]\(extra)\n}\n"
    }

    mutating func rule(index: Int) -> String {
        let family = generator.element(of: ["v4", "v4", "v6", "any"])
        let ported = generator.chance(70)
        let proto = protocolField(ported: ported)
        let source = addressField(family)
        let destination = addressField(family)
        let sourcePort = ported ? portField() : "-"
        let destinationPort = ported ? portField() : "-"
        let text = "\(source) \(destination) \(sourcePort) \(destinationPort) \(proto)"
        if generator.chance(20) {
            return "{\"name\": \"r\(index)\", \"rule\": \"\(text)\"}"
        }
        return "\"\(text)\""
    }

    mutating func addressField(_ family: String) -> String {
        if family == "any" || generator.chance(30) { return "-" }
        let hosts = family == "v4" ? Self.v4Hosts : Self.v6Hosts
        let prefixes = family == "v4" ? Self.v4Prefixes : Self.v6Prefixes
        var items: [String] = []
        for _ in 0..<Int.random(in: 1...3, using: &generator) {
            items.append(generator.chance(50) ? generator.element(of: hosts) : generator.element(of: prefixes))
        }
        let body =
            items.count == 1 && generator.chance(70)
            ? items[0] : "[" + items.joined(separator: generator.element(of: [",", ", "])) + "]"
        // Negation keeps both families unless a /0 empties one of them.
        return generator.chance(15) && !body.contains("/0") ? "!" + body : body
    }

    mutating func portField() -> String {
        if generator.chance(40) { return "-" }
        var items: [String] = []
        for _ in 0..<Int.random(in: 1...3, using: &generator) { items.append(generator.element(of: Self.portTexts)) }
        let body = items.count == 1 ? items[0] : "[" + items.joined(separator: ",") + "]"
        return generator.chance(10) && !items.contains("0-65535") ? "!" + body : body
    }

    mutating func protocolField(ported: Bool) -> String {
        if ported {
            if generator.chance(30) { return "-" }
            var items: [String] = []
            for _ in 0..<Int.random(in: 1...2, using: &generator) {
                items.append(generator.element(of: Self.portedProtocols))
            }
            return items.count == 1 ? items[0] : "[" + items.joined(separator: ",") + "]"
        }
        if generator.chance(30) { return "-" }
        let item = generator.element(of: Self.otherProtocols + Self.portedProtocols)
        return generator.chance(10) ? "!" + item : item
    }
}

extension Ruleset {
    /// Every boundary value of every rule: what packets should probe.
    public var boundaryValues: (v4: [UInt32], v6: [UInt128], ports: [UInt16], protocols: [UInt8]) {
        var v4 = Set<UInt32>()
        var v6 = Set<UInt128>()
        var ports = Set<UInt16>()
        var protocols = Set<UInt8>()
        func addresses(_ match: AddressMatch) {
            for piece in match.v4.intervals { v4.formUnion([piece.lower, piece.upper]) }
            for piece in match.v6.intervals { v6.formUnion([piece.lower, piece.upper]) }
        }
        for rule in rules {
            addresses(rule.sourceAddress)
            addresses(rule.destinationAddress)
            for match in [rule.sourcePort, rule.destinationPort] {
                if case .ports(let set) = match {
                    for piece in set.intervals { ports.formUnion([piece.lower, piece.upper]) }
                }
            }
            for piece in rule.protocols.numbers.intervals { protocols.formUnion([piece.lower, piece.upper]) }
        }
        return (v4.sorted(), v6.sorted(), ports.sorted(), protocols.sorted())
    }
}
