import VtapMetrics

/// An IPFIX Information Element as a template names it (RFC 7011, 3.2):
/// an IANA element (RFC 7012) or an enterprise-specific one.
public struct IPFIXElement: Sendable, Equatable {
    public var name: String
    public var id: UInt16
    /// Nil for IANA's elements.
    public var enterprise: UInt32?
    /// Octets in a data record (every element here has a fixed length).
    public var length: UInt16

    public init(_ name: String, _ id: UInt16, length: UInt16, enterprise: UInt32? = nil) {
        self.name = name
        self.id = id
        self.length = length
        self.enterprise = enterprise
    }
}

/// A template: its id (256 and up) and its elements, in record order.
public struct IPFIXTemplate: Sendable, Equatable {
    public var id: UInt16
    public var elements: [IPFIXElement]

    public init(id: UInt16, elements: [IPFIXElement]) {
        self.id = id
        self.elements = elements
    }

    /// Octets of one data record.
    public var recordLength: Int { elements.reduce(0) { $0 + Int($1.length) } }

    /// The template record (RFC 7011, 3.4.1): id, field count, then each
    /// field specifier, with the enterprise bit and number where it has one.
    var record: [UInt8] {
        var out = IPFIXBytes()
        out.u16(id)
        out.u16(UInt16(elements.count))
        for element in elements {
            out.u16(element.enterprise == nil ? element.id : element.id | 0x8000)
            out.u16(element.length)
            if let enterprise = element.enterprise { out.u32(enterprise) }
        }
        return out.bytes
    }
}

/// Big-endian appending, as every IPFIX field is written.
struct IPFIXBytes {
    var bytes: [UInt8] = []

    mutating func u8(_ value: UInt8) { bytes.append(value) }
    mutating func u16(_ value: UInt16) { bytes += [UInt8(value >> 8), UInt8(value & 0xff)] }
    mutating func u32(_ value: UInt32) {
        (0..<4).reversed().forEach { bytes.append(UInt8((value >> ($0 * 8)) & 0xff)) }
    }
    mutating func u64(_ value: UInt64) {
        (0..<8).reversed().forEach { bytes.append(UInt8((value >> ($0 * 8)) & 0xff)) }
    }
}

/// Builds an exporter's IPFIX messages (RFC 7011, 3.1): the header's
/// export sequence number counts the data records sent before the message
/// in its observation domain; templates go in the first message and again
/// whenever `includeTemplates` asks (UDP's periodic refresh, a new TCP
/// connection); a message stays within `maximumLength` octets.
public struct IPFIXMessages: Sendable {
    public let observationDomain: UInt32
    public let templates: [IPFIXTemplate]
    public let maximumLength: Int
    /// Data records sent so far (mod 2^32): the next message's sequence number.
    public private(set) var sequenceNumber: UInt32 = 0

    static let headerLength = 16
    static let setHeaderLength = 4
    static let templateSetID: UInt16 = 2

    public init(observationDomain: UInt32, templates: [IPFIXTemplate], maximumLength: Int = 1400) {
        self.observationDomain = observationDomain
        self.templates = templates
        self.maximumLength = maximumLength
    }

    /// The messages carrying `records` (each a template id and its
    /// encoded record), in order, split to fit; templates first when asked.
    public mutating func messages(
        records: [(template: UInt16, bytes: [UInt8])], exportTime: UInt32, includeTemplates: Bool
    ) -> [IPFIXMessage] {
        var messages: [IPFIXMessage] = []
        var sets: [UInt8] = includeTemplates ? Self.set(Self.templateSetID, templates.flatMap(\.record)) : []
        var open: (template: UInt16, bytes: [UInt8])?
        var firstSequence = sequenceNumber

        func closeSet() {
            guard let set = open else { return }
            sets += Self.set(set.template, set.bytes)
            open = nil
        }
        func closeMessage() {
            closeSet()
            guard !sets.isEmpty else { return }
            messages.append(
                IPFIXMessage(
                    bytes: header(length: sets.count, exportTime: exportTime, sequence: firstSequence) + sets,
                    dataRecords: Int(sequenceNumber &- firstSequence)))
            sets = []
            firstSequence = sequenceNumber
        }

        for record in records {
            let opensSet = open?.template != record.template
            let used = Self.headerLength + sets.count + (open.map { Self.setHeaderLength + $0.bytes.count } ?? 0)
            let needed = record.bytes.count + (opensSet ? Self.setHeaderLength : 0)
            if used + needed > maximumLength { closeMessage() }
            if open?.template != record.template {
                closeSet()
                open = (record.template, [])
            }
            open?.bytes += record.bytes
            sequenceNumber &+= 1
        }
        closeMessage()
        return messages
    }

    /// A message withdrawing every template (RFC 7011, 8.1: a template
    /// record with no fields).
    public func withdrawal(exportTime: UInt32) -> [UInt8] {
        var body = IPFIXBytes()
        for template in templates {
            body.u16(template.id)
            body.u16(0)
        }
        let set = Self.set(Self.templateSetID, body.bytes)
        return header(length: set.count, exportTime: exportTime, sequence: sequenceNumber) + set
    }

    /// The message header (RFC 7011, 3.1) before `length` octets of sets.
    private func header(length: Int, exportTime: UInt32, sequence: UInt32) -> [UInt8] {
        var out = IPFIXBytes()
        out.u16(10)
        out.u16(UInt16(Self.headerLength + length))
        out.u32(exportTime)
        out.u32(sequence)
        out.u32(observationDomain)
        return out.bytes
    }

    /// A set (RFC 7011, 3.3): its id and length, then its records.
    private static func set(_ id: UInt16, _ body: [UInt8]) -> [UInt8] {
        var out = IPFIXBytes()
        out.u16(id)
        out.u16(UInt16(setHeaderLength + body.count))
        return out.bytes + body
    }
}

/// One message and the data records it carries.
public struct IPFIXMessage: Sendable {
    public var bytes: [UInt8]
    public var dataRecords: Int
}
