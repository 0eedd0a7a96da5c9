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
    ) -> [[UInt8]] {
        var messages: [[UInt8]] = []
        var sets: [UInt8] = []
        var setRecords: (template: UInt16, bytes: [UInt8], count: Int)?
        var recordsInMessage = 0
        var firstSequence = sequenceNumber

        func closeSet() {
            guard let open = setRecords else { return }
            var set = IPFIXBytes()
            set.u16(open.template)
            set.u16(UInt16(Self.setHeaderLength + open.bytes.count))
            sets += set.bytes + open.bytes
            setRecords = nil
        }
        func closeMessage() {
            closeSet()
            guard !sets.isEmpty else { return }
            var header = IPFIXBytes()
            header.u16(10)
            header.u16(UInt16(Self.headerLength + sets.count))
            header.u32(exportTime)
            header.u32(firstSequence)
            header.u32(observationDomain)
            messages.append(header.bytes + sets)
            sets = []
            firstSequence = sequenceNumber
            recordsInMessage = 0
        }
        var used: Int {
            Self.headerLength + sets.count + (setRecords.map { Self.setHeaderLength + $0.bytes.count } ?? 0)
        }

        if includeTemplates {
            var set = IPFIXBytes()
            let body = templates.flatMap(\.record)
            set.u16(Self.templateSetID)
            set.u16(UInt16(Self.setHeaderLength + body.count))
            sets += set.bytes + body
        }
        for record in records {
            let opensSet = setRecords?.template != record.template
            let needed = record.bytes.count + (opensSet ? Self.setHeaderLength : 0)
            if used + needed > maximumLength, recordsInMessage > 0 || !sets.isEmpty { closeMessage() }
            if setRecords?.template != record.template {
                closeSet()
                setRecords = (record.template, [], 0)
            }
            setRecords?.bytes += record.bytes
            setRecords?.count += 1
            recordsInMessage += 1
            sequenceNumber &+= 1
        }
        closeMessage()
        return messages
    }
}
