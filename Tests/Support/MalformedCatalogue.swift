import VtapRuleModel

/// One crafted frame and how vtap must classify it.
public struct CatalogueEntry: Sendable, Hashable {
    public var name: String
    public var frame: [UInt8]
    public var expected: Expectation
    /// Set exactly when `expected` is `.malformed`.
    public var reason: MalformedReason?
    /// The rule of `ReferenceParser` this entry pins down.
    public var rule: String
}

/// Crafted frames at the edges of vtap's parser: every header cut off,
/// every length field lying, the depth limits, and the valid look-alikes
/// (fragments, padding) that must not be called malformed. This catalogue
/// is the spec for the BPF parser; `ReferenceParser` states the rules.
public func malformedPacketCatalogue() -> [CatalogueEntry] {
    Catalogue.truncations() + Catalogue.lengthFields() + Catalogue.fragments() + Catalogue.depthLimits()
        + Catalogue.otherProtocols()
}

/// The addresses and ports every catalogue packet uses.
enum Catalogue {
    static let v4Source = IPAddressText.v4("10.0.0.1")
    static let v4Destination = IPAddressText.v4("10.0.0.2")
    static let v6Source = IPAddressText.v6("2001:db8::1")
    static let v6Destination = IPAddressText.v6("2001:db8::2")

    static var v4: PacketBuilder { PacketBuilder().ipv4(from: v4Source, to: v4Destination) }
    static func v4With(_ configure: (inout IPv4Header) -> Void) -> PacketBuilder {
        PacketBuilder().ipv4(from: v4Source, to: v4Destination, configure)
    }
    static func v6(_ extensions: [IPv6ExtensionHeader] = [], _ configure: (inout IPv6Header) -> Void = { _ in })
        -> PacketBuilder
    {
        PacketBuilder().ipv6(from: v6Source, to: v6Destination, extensions: extensions, configure)
    }

    static func v4Fields(_ protocolNumber: UInt8, ports: (UInt16, UInt16)? = nil) -> Expectation {
        .fields(
            PacketFields(
                source: .v4(v4Source), destination: .v4(v4Destination), protocolNumber: protocolNumber,
                ports: ports.map { .init(source: $0.0, destination: $0.1) }))
    }

    static func v6Fields(_ protocolNumber: UInt8, ports: (UInt16, UInt16)? = nil) -> Expectation {
        .fields(
            PacketFields(
                source: .v6(v6Source), destination: .v6(v6Destination), protocolNumber: protocolNumber,
                ports: ports.map { .init(source: $0.0, destination: $0.1) }))
    }

    static func malformed(_ name: String, _ frame: [UInt8], _ reason: MalformedReason, _ rule: String)
        -> CatalogueEntry
    {
        CatalogueEntry(name: name, frame: frame, expected: .malformed, reason: reason, rule: rule)
    }

    static func valid(_ name: String, _ frame: [UInt8], _ expected: Expectation, _ rule: String) -> CatalogueEntry {
        CatalogueEntry(name: name, frame: frame, expected: expected, reason: nil, rule: rule)
    }
}
