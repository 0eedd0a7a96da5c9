import VtapMetrics
import VtapRuleModel

#if canImport(Glibc)
    import Glibc
#endif

/// Decodes `struct vtap_event` records by field name, using the layout in
/// the manifest (read from the object's BTF), like `CounterDecoder`.
struct EventDecoder {
    private let size: Int
    /// Each field's offset, by `Field.rawValue`: looked up once here, not
    /// by name for every event the reader decodes.
    private let offsets: [Int]

    enum Field: Int, CaseIterable {
        case time, socket, kind, cpu, pid, tid, rule, value, detail, family, ipProtocol
        case localPort, remotePort, localAddress, remoteAddress, command, ipLength, tcpFlags

        var name: String {
            switch self {
            case .time: "time_ns"
            case .socket: "socket"
            case .kind: "kind"
            case .cpu: "cpu"
            case .pid: "pid"
            case .tid: "tid"
            case .rule: "rule"
            case .value: "value"
            case .detail: "detail"
            case .family: "family"
            case .ipProtocol: "protocol"
            case .localPort: "local_port"
            case .remotePort: "remote_port"
            case .localAddress: "local_addr"
            case .remoteAddress: "remote_addr"
            case .command: "comm"
            case .ipLength: "ip_length"
            case .tcpFlags: "tcp_flags"
            }
        }

        /// Bytes the decoder reads there.
        var width: Int {
            switch self {
            case .time, .socket: 8
            case .kind, .cpu, .pid, .tid, .rule, .value, .detail: 4
            case .family, .ipProtocol, .localPort, .remotePort, .ipLength, .tcpFlags: 2
            case .localAddress, .remoteAddress, .command: 16
            }
        }
    }

    init(_ manifest: Manifest) throws {
        (size, offsets) = try Self.layout(
            ObjectContract.eventStruct, in: manifest, fields: Field.allCases.map { ($0.name, $0.width) })
    }

    /// A record struct's size and each field's offset, by the manifest's
    /// layout (read from the object's BTF); a field missing or too narrow
    /// for what the decoder reads is an error, not a wrong number.
    static func layout(_ name: String, in manifest: Manifest, fields: [(name: String, width: Int)]) throws -> (
        size: Int, offsets: [Int]
    ) {
        guard let layout = manifest.structLayout(named: name) else {
            throw RuntimeError.badInput("the manifest has no \(name) layout")
        }
        let offsets = try fields.map { field in
            guard let found = layout.field(field.name), found.offset + field.width <= layout.size else {
                throw RuntimeError.badInput("the manifest's \(name) has no field \(field.name) of \(field.width) bytes")
            }
            return found.offset
        }
        return (layout.size, offsets)
    }

    /// Nil for a record shorter than the layout or of an unknown kind.
    func decode(_ record: UnsafeRawBufferPointer) -> KernelEvent? {
        guard record.count >= size else { return nil }
        func load<T: FixedWidthInteger>(_ field: Field, _ type: T.Type) -> T {
            record.loadUnaligned(fromByteOffset: offsets[field.rawValue], as: T.self)
        }
        func bytes(_ field: Field) -> Slice<UnsafeRawBufferPointer> {
            let offset = offsets[field.rawValue]
            return record[offset..<offset + field.width]
        }
        guard let kind = EventKind(rawValue: load(.kind, UInt32.self)) else { return nil }
        let version = load(.family, UInt16.self) == UInt16(AF_INET6) ? 6 : 4
        func address(_ field: Field) -> String {
            Self.text(UnsafeRawBufferPointer(rebasing: bytes(field)), version: version)
        }
        let command = String(decoding: bytes(.command).prefix { $0 != 0 }, as: UTF8.self)
        return KernelEvent(
            monotonicNanoseconds: load(.time, UInt64.self), kind: kind, socket: load(.socket, UInt64.self),
            cpu: load(.cpu, UInt32.self), pid: load(.pid, UInt32.self), tid: load(.tid, UInt32.self),
            command: command, rule: Int(load(.rule, Int32.self)), value: load(.value, Int32.self),
            detail: load(.detail, Int32.self), ipVersion: version, ipProtocol: load(.ipProtocol, UInt16.self),
            localAddress: address(.localAddress), localPort: load(.localPort, UInt16.self),
            remoteAddress: address(.remoteAddress), remotePort: load(.remotePort, UInt16.self),
            ipLength: load(.ipLength, UInt16.self),
            tcpFlags: TCPFlags(rawValue: UInt8(truncatingIfNeeded: load(.tcpFlags, UInt16.self))))
    }

    /// An address as `inet_ntop` writes it: IPv4 from the first four bytes.
    static func text(_ bytes: UnsafeRawBufferPointer, version: Int) -> String {
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        let family = version == 6 ? AF_INET6 : AF_INET
        let written = bytes.withMemoryRebound(to: UInt8.self) { raw in
            buffer.withUnsafeMutableBufferPointer { out in
                inet_ntop(family, raw.baseAddress, out.baseAddress, socklen_t(out.count))
            }
        }
        guard written != nil else { return "" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
