import VtapMetrics
import VtapRuleModel

/// Decodes `struct vtap_segment` records (qlog's TCP segments) by field
/// name, using the layout in the manifest, like `EventDecoder`.
struct SegmentDecoder {
    private let size: Int
    private let offsets: [Int]
    /// Added to the record's time to give nanoseconds since the epoch: the
    /// BPF clock's offset live, 0 in replay (the capture's own times).
    private let epochOffset: Int64

    enum Field: Int, CaseIterable {
        case time, rule, direction, ifindex, sourceHigh, sourceLow, destinationHigh, destinationLow
        case sequence, acknowledgement, payloadLength, sourcePort, destinationPort, window, flags, headerLength
        case family, optionsLength, options

        var name: String {
            switch self {
            case .time: "time_ns"
            case .rule: "rule"
            case .direction: "direction"
            case .ifindex: "ifindex"
            case .sourceHigh: "src_hi"
            case .sourceLow: "src_lo"
            case .destinationHigh: "dst_hi"
            case .destinationLow: "dst_lo"
            case .sequence: "seq"
            case .acknowledgement: "ack"
            case .payloadLength: "payload_len"
            case .sourcePort: "src_port"
            case .destinationPort: "dst_port"
            case .window: "window"
            case .flags: "flags"
            case .headerLength: "header_len"
            case .family: "family"
            case .optionsLength: "options_len"
            case .options: "options"
            }
        }

        var width: Int {
            switch self {
            case .time, .sourceHigh, .sourceLow, .destinationHigh, .destinationLow: 8
            case .rule, .direction, .ifindex, .sequence, .acknowledgement, .payloadLength: 4
            case .sourcePort, .destinationPort, .window: 2
            case .flags, .headerLength, .family, .optionsLength: 1
            case .options: 40
            }
        }
    }

    init(_ manifest: Manifest, epochOffset: Int64) throws {
        (size, offsets) = try EventDecoder.layout(
            ObjectContract.segmentStruct, in: manifest, fields: Field.allCases.map { ($0.name, $0.width) })
        self.epochOffset = epochOffset
    }

    /// Nil for a record shorter than the layout.
    func decode(_ record: UnsafeRawBufferPointer) -> TCPSegment? {
        guard record.count >= size else { return nil }
        func load<T: FixedWidthInteger>(_ field: Field, _ type: T.Type) -> T {
            record.loadUnaligned(fromByteOffset: offsets[field.rawValue], as: T.self)
        }
        let version = load(.family, UInt8.self) == 6 ? 6 : 4
        func address(_ high: Field, _ low: Field) -> String {
            let bytes =
                version == 6
                ? withUnsafeBytes(of: load(high, UInt64.self).bigEndian) { Array($0) }
                    + withUnsafeBytes(of: load(low, UInt64.self).bigEndian) { Array($0) }
                : withUnsafeBytes(of: UInt32(truncatingIfNeeded: load(low, UInt64.self)).bigEndian) { Array($0) }
            return bytes.withUnsafeBytes { EventDecoder.text($0, version: version) }
        }
        let direction: TCPSegment.Direction =
            switch load(.direction, UInt32.self) {
            case 0: .received
            case 1: .sent
            default: .unknown
            }
        let optionsOffset = offsets[Field.options.rawValue]
        let optionsLength = min(Int(load(.optionsLength, UInt8.self)), Field.options.width)
        return TCPSegment(
            nanoseconds: Int64(clamping: load(.time, UInt64.self)) &+ epochOffset,
            rule: Int(load(.rule, Int32.self)), direction: direction, interfaceIndex: load(.ifindex, UInt32.self),
            ipVersion: version, source: .init(address(.sourceHigh, .sourceLow), load(.sourcePort, UInt16.self)),
            destination: .init(address(.destinationHigh, .destinationLow), load(.destinationPort, UInt16.self)),
            sequence: load(.sequence, UInt32.self), acknowledgement: load(.acknowledgement, UInt32.self),
            flags: TCPFlags(rawValue: load(.flags, UInt8.self)), window: load(.window, UInt16.self),
            headerLength: Int(load(.headerLength, UInt8.self)), payloadLength: Int(load(.payloadLength, UInt32.self)),
            options: Array(record[optionsOffset..<optionsOffset + optionsLength]))
    }

    /// The record kind, read where both structs have it.
    static func kindOffset(_ manifest: Manifest) -> Int? {
        for name in [ObjectContract.eventStruct, ObjectContract.segmentStruct, ObjectContract.kpiStruct] {
            if let field = manifest.structLayout(named: name)?.field("kind") { return field.offset }
        }
        return nil
    }
}
