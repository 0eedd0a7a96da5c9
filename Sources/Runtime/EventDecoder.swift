import VtapMetrics
import VtapRuleModel

#if canImport(Glibc)
    import Glibc
#endif

/// Decodes `struct vtap_event` records by field name, using the layout in
/// the manifest (read from the object's BTF), like `CounterDecoder`.
struct EventDecoder {
    private let size: Int
    private let offsets: [String: Int]

    init(_ manifest: Manifest) throws {
        guard let layout = manifest.structLayout(named: ObjectContract.eventStruct) else {
            throw RuntimeError.badInput("the manifest has no \(ObjectContract.eventStruct) layout")
        }
        size = layout.size
        offsets = Dictionary(layout.fields.map { ($0.name, $0.offset) }, uniquingKeysWith: { first, _ in first })
        for field in Self.fields where offsets[field] == nil {
            throw RuntimeError.badInput("the manifest's \(ObjectContract.eventStruct) has no field \(field)")
        }
    }

    static let fields = [
        "time_ns", "socket", "kind", "cpu", "pid", "tid", "rule", "value", "detail", "family", "protocol",
        "local_port", "remote_port", "local_addr", "remote_addr", "comm",
    ]

    /// Nil for a record of the wrong size or an unknown kind.
    func decode(_ record: UnsafeRawBufferPointer) -> KernelEvent? {
        guard record.count >= size else { return nil }
        func load<T: FixedWidthInteger>(_ field: String, _ type: T.Type) -> T {
            guard let offset = offsets[field], offset + MemoryLayout<T>.size <= record.count else { return 0 }
            return record.loadUnaligned(fromByteOffset: offset, as: T.self)
        }
        guard let kind = EventKind(rawValue: load("kind", UInt32.self)) else { return nil }
        let family = load("family", UInt16.self)
        let version = family == UInt16(AF_INET6) ? 6 : 4
        func address(_ field: String) -> String {
            guard let offset = offsets[field], offset + 16 <= record.count else { return "" }
            return Self.text(UnsafeRawBufferPointer(rebasing: record[offset..<offset + 16]), version: version)
        }
        var command = ""
        if let offset = offsets["comm"], offset + 16 <= record.count {
            let bytes = record[offset..<offset + 16].prefix { $0 != 0 }
            command = String(decoding: bytes, as: UTF8.self)
        }
        return KernelEvent(
            monotonicNanoseconds: load("time_ns", UInt64.self), kind: kind, socket: load("socket", UInt64.self),
            cpu: load("cpu", UInt32.self), pid: load("pid", UInt32.self), tid: load("tid", UInt32.self),
            command: command, rule: Int(load("rule", Int32.self)), value: load("value", Int32.self),
            detail: load("detail", Int32.self), ipVersion: version, ipProtocol: load("protocol", UInt16.self),
            localAddress: address("local_addr"), localPort: load("local_port", UInt16.self),
            remoteAddress: address("remote_addr"), remotePort: load("remote_port", UInt16.self))
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
