import VtapDiagnostics

/// The checked rules of one rules file: what codegen compiles and what the
/// runtime labels its numbers with.
public struct Ruleset: Sendable {
    public var rules: [Rule]
    public var settings: Settings

    public init(rules: [Rule], settings: Settings) {
        self.rules = rules
        self.settings = settings
    }

    /// The reference semantics: the first rule that matches, or `nil`.
    /// Codegen and the BPF program are tested against this, packet by packet.
    public func firstMatch(_ packet: PacketFields) -> Rule? {
        rules.first { $0.matches(packet) }
    }
}

/// One checked rule. Every field is normalised to the set of values it
/// accepts; "-" is the full set, `!` a complement, a list a union.
public struct Rule: Sendable, Hashable {
    /// Position in RULES, from 0; also the slot in the per-rule maps.
    public var index: Int
    /// The user's name from the object form, if any.
    public var name: String?
    /// The rule as written (the string form, or the object's source text).
    public var source: String
    /// Where the rule starts in the rules file.
    public var location: SourceLocation
    public var range: SourceRange

    public var sourceAddress: AddressMatch
    public var destinationAddress: AddressMatch
    public var sourcePort: PortMatch
    public var destinationPort: PortMatch
    public var protocols: ProtocolMatch

    public init(
        index: Int, name: String?, source: String, location: SourceLocation, range: SourceRange,
        sourceAddress: AddressMatch, destinationAddress: AddressMatch,
        sourcePort: PortMatch, destinationPort: PortMatch, protocols: ProtocolMatch
    ) {
        self.index = index
        self.name = name
        self.source = source
        self.location = location
        self.range = range
        self.sourceAddress = sourceAddress
        self.destinationAddress = destinationAddress
        self.sourcePort = sourcePort
        self.destinationPort = destinationPort
        self.protocols = protocols
    }

    /// Rules are numbered from 1 wherever a person reads them.
    public var number: Int { index + 1 }

    /// The label in every output: the rule's name, else its number.
    public var label: String { name ?? String(number) }

    /// "rule 3" or "rule 3 'voice'", for messages.
    public var displayName: String {
        if let name { return "rule \(number) '\(name)'" }
        return "rule \(number)"
    }

    public func matches(_ packet: PacketFields) -> Bool {
        guard protocols.contains(packet.protocolNumber),
            sourceAddress.contains(packet.source),
            destinationAddress.contains(packet.destination)
        else { return false }
        return sourcePort.matches(packet.ports?.source) && destinationPort.matches(packet.ports?.destination)
    }
}

/// The fields of an IP packet that rules look at.
public struct PacketFields: Sendable, Hashable {
    public enum Address: Sendable, Hashable {
        case v4(UInt32)
        case v6(UInt128)
    }

    public struct Ports: Sendable, Hashable {
        public var source: UInt16
        public var destination: UInt16
        public init(source: UInt16, destination: UInt16) {
            self.source = source
            self.destination = destination
        }
    }

    public var source: Address
    public var destination: Address
    public var protocolNumber: UInt8
    /// `nil` when the packet carries no ports: a protocol without them, or
    /// an IP fragment other than the first.
    public var ports: Ports?

    public init(source: Address, destination: Address, protocolNumber: UInt8, ports: Ports?) {
        self.source = source
        self.destination = destination
        self.protocolNumber = protocolNumber
        self.ports = ports
    }
}

public struct AddressMatch: Sendable, Hashable {
    public var v4: IntervalSet<UInt32>
    public var v6: IntervalSet<UInt128>

    public init(v4: IntervalSet<UInt32>, v6: IntervalSet<UInt128>) {
        self.v4 = v4
        self.v6 = v6
    }

    public static let any = AddressMatch(v4: .full, v6: .full)
    public static let none = AddressMatch(v4: .empty, v6: .empty)

    public var isAny: Bool { v4.isFull && v6.isFull }
    public var isEmpty: Bool { v4.isEmpty && v6.isEmpty }

    public func contains(_ address: PacketFields.Address) -> Bool {
        switch address {
        case .v4(let a): v4.contains(a)
        case .v6(let a): v6.contains(a)
        }
    }

    public func union(_ other: AddressMatch) -> AddressMatch {
        AddressMatch(v4: v4.union(other.v4), v6: v6.union(other.v6))
    }

    /// `!` on an address field: every address of either family not listed.
    public var complement: AddressMatch {
        AddressMatch(v4: v4.complement(), v6: v6.complement())
    }

    public func isSubset(of other: AddressMatch) -> Bool {
        v4.isSubset(of: other.v4) && v6.isSubset(of: other.v6)
    }
}

/// A port field. A constrained port field only matches packets that carry
/// ports (TCP, UDP, UDP-Lite, SCTP, first fragments); `-` matches any packet.
public enum PortMatch: Sendable, Hashable {
    case any
    case ports(IntervalSet<UInt16>)

    public func matches(_ port: UInt16?) -> Bool {
        switch self {
        case .any: true
        case .ports(let set): port.map(set.contains) ?? false
        }
    }

    public var isAny: Bool { if case .any = self { true } else { false } }

    public func isSubset(of other: PortMatch) -> Bool {
        switch (self, other) {
        case (_, .any): true
        case (.any, .ports): false
        case (.ports(let a), .ports(let b)): a.isSubset(of: b)
        }
    }
}

public struct ProtocolMatch: Sendable, Hashable {
    public var numbers: IntervalSet<UInt8>

    public init(numbers: IntervalSet<UInt8>) { self.numbers = numbers }

    public static let any = ProtocolMatch(numbers: .full)

    public var isAny: Bool { numbers.isFull }

    public func contains(_ number: UInt8) -> Bool { numbers.contains(number) }

    public func isSubset(of other: ProtocolMatch) -> Bool { numbers.isSubset(of: other.numbers) }
}
