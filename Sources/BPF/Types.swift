import CLibbpf

/// A BPF program type (`enum bpf_prog_type`), printed by libbpf's name for it.
public struct ProgramType: RawRepresentable, Hashable, Sendable, Codable, CustomStringConvertible {
    public var rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    public static let socketFilter = ProgramType(rawValue: BPF_PROG_TYPE_SOCKET_FILTER.rawValue)
    public static let schedCls = ProgramType(rawValue: BPF_PROG_TYPE_SCHED_CLS.rawValue)
    public static let xdp = ProgramType(rawValue: BPF_PROG_TYPE_XDP.rawValue)
    public static let tracepoint = ProgramType(rawValue: BPF_PROG_TYPE_TRACEPOINT.rawValue)
    public static let rawTracepoint = ProgramType(rawValue: BPF_PROG_TYPE_RAW_TRACEPOINT.rawValue)

    /// libbpf's name, e.g. "socket_filter".
    public var description: String {
        libbpf_bpf_prog_type_str(bpf_prog_type(rawValue)).map { String(cString: $0) } ?? "type \(rawValue)"
    }
}

/// A BPF map type (`enum bpf_map_type`), printed by libbpf's name for it.
public struct MapType: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    public static let hash = MapType(rawValue: BPF_MAP_TYPE_HASH.rawValue)
    public static let array = MapType(rawValue: BPF_MAP_TYPE_ARRAY.rawValue)
    public static let perCPUHash = MapType(rawValue: BPF_MAP_TYPE_PERCPU_HASH.rawValue)
    public static let perCPUArray = MapType(rawValue: BPF_MAP_TYPE_PERCPU_ARRAY.rawValue)
    public static let lruHash = MapType(rawValue: BPF_MAP_TYPE_LRU_HASH.rawValue)
    public static let lruPerCPUHash = MapType(rawValue: BPF_MAP_TYPE_LRU_PERCPU_HASH.rawValue)
    public static let ringBuffer = MapType(rawValue: BPF_MAP_TYPE_RINGBUF.rawValue)

    /// Whether a lookup returns one value per possible CPU.
    public var isPerCPU: Bool {
        self == .perCPUHash || self == .perCPUArray || self == .lruPerCPUHash
            || rawValue == BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE.rawValue
    }

    /// Whether keys are the indices 0..<maxEntries.
    public var isArray: Bool { self == .array || self == .perCPUArray }

    /// libbpf's name, e.g. "percpu_array".
    public var description: String {
        libbpf_bpf_map_type_str(bpf_map_type(rawValue)).map { String(cString: $0) } ?? "type \(rawValue)"
    }
}

/// Reading and writing fixed-width integers in host byte order, the order
/// BPF map keys and values use.
public enum HostBytes {
    /// The bytes of `value` in host byte order.
    @inlinable
    public static func encode<T: FixedWidthInteger>(_ value: T) -> [UInt8] {
        withUnsafeBytes(of: value) { Array($0) }
    }

    /// The `T` at byte `offset` of `bytes`, or nil if it does not fit.
    @inlinable
    public static func load<T: FixedWidthInteger, Bytes: Collection<UInt8>>(
        _ type: T.Type, from bytes: Bytes, at offset: Int = 0
    ) -> T? {
        let size = MemoryLayout<T>.size
        guard offset >= 0, offset <= bytes.count - size else { return nil }
        if let fast = bytes.withContiguousStorageIfAvailable({ buffer in
            UnsafeRawBufferPointer(buffer).loadUnaligned(fromByteOffset: offset, as: T.self)
        }) {
            return fast
        }
        var value = T.zero
        withUnsafeMutableBytes(of: &value) { raw in
            var index = bytes.index(bytes.startIndex, offsetBy: offset)
            for byte in 0..<size {
                raw[byte] = bytes[index]
                index = bytes.index(after: index)
            }
        }
        return value
    }

    /// Writes `value` at byte `offset` of `bytes`; false if it does not fit.
    @inlinable @discardableResult
    public static func store<T: FixedWidthInteger>(_ value: T, into bytes: inout [UInt8], at offset: Int = 0) -> Bool {
        let size = MemoryLayout<T>.size
        guard offset >= 0, offset <= bytes.count - size else { return false }
        withUnsafeBytes(of: value) { raw in
            for byte in 0..<size { bytes[offset + byte] = raw[byte] }
        }
        return true
    }
}

/// Rounds `size` up to the 8-byte slot the kernel gives each CPU's value.
@inline(__always)
func perCPUSlot(_ size: Int) -> Int { (size + 7) & ~7 }
