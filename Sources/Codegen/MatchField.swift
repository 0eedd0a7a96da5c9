import VtapRuleModel

/// The address family a decision plan serves; each has its own match
/// function because addresses differ in width.
public enum AddressFamily: String, Sendable, CaseIterable, Codable {
    case v4
    case v6
}

/// A field of `struct vtap_match_key` the decision plan can branch on.
/// IPv6 addresses are two 64-bit halves, so every field fits a `UInt64`.
public enum MatchField: Int, CaseIterable, Sendable, Codable {
    case proto
    case srcHi
    case srcLo
    case dstHi
    case dstLo
    case sport
    case dport

    /// Port value of a packet that carries no ports (`VTAP_NO_PORT`).
    public static let noPort: UInt64 = 0x10000

    /// Largest value the field takes for packets of `family`.
    public func domainUpper(_ family: AddressFamily) -> UInt64 {
        switch self {
        case .proto: 255
        case .sport, .dport: Self.noPort
        case .srcHi, .dstHi: family == .v4 ? 0 : .max
        case .srcLo, .dstLo: family == .v4 ? UInt64(UInt32.max) : .max
        }
    }

    /// The key member in the generated C.
    public var cMember: String {
        switch self {
        case .proto: "proto"
        case .srcHi: "src_hi"
        case .srcLo: "src_lo"
        case .dstHi: "dst_hi"
        case .dstLo: "dst_lo"
        case .sport: "sport"
        case .dport: "dport"
        }
    }

    /// Fields whose values fit 32 bits compare with 32-bit jumps, which take
    /// any 32-bit constant as an immediate.
    public func isNarrow(_ family: AddressFamily) -> Bool {
        domainUpper(family) <= UInt64(UInt32.max)
    }

    public var name: String {
        switch self {
        case .proto: "protocol"
        case .srcHi: "source address (high 64 bits)"
        case .srcLo: "source address"
        case .dstHi: "destination address (high 64 bits)"
        case .dstLo: "destination address"
        case .sport: "source port"
        case .dport: "destination port"
        }
    }
}

/// The values of every field for one packet: what a plan is evaluated on.
public struct MatchKey: Hashable, Sendable {
    public var values: [UInt64]

    public init(_ packet: PacketFields) {
        var values = [UInt64](repeating: 0, count: MatchField.allCases.count)
        values[MatchField.proto.rawValue] = UInt64(packet.protocolNumber)
        func split(_ address: PacketFields.Address, hi: MatchField, lo: MatchField) {
            switch address {
            case .v4(let a):
                values[lo.rawValue] = UInt64(a)
            case .v6(let a):
                values[hi.rawValue] = UInt64(truncatingIfNeeded: a >> 64)
                values[lo.rawValue] = UInt64(truncatingIfNeeded: a)
            }
        }
        split(packet.source, hi: .srcHi, lo: .srcLo)
        split(packet.destination, hi: .dstHi, lo: .dstLo)
        values[MatchField.sport.rawValue] = packet.ports.map { UInt64($0.source) } ?? MatchField.noPort
        values[MatchField.dport.rawValue] = packet.ports.map { UInt64($0.destination) } ?? MatchField.noPort
        self.values = values
    }

    public subscript(field: MatchField) -> UInt64 { values[field.rawValue] }
}

extension PacketFields {
    public var family: AddressFamily {
        if case .v4 = source { return .v4 }
        return .v6
    }
}
