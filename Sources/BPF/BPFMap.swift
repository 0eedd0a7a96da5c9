import CLibbpf

#if canImport(Glibc)
    import Glibc
#endif

/// One map of a ``BPFObject``: its definition, and byte-level access once
/// the object is loaded. Keeps its object alive.
///
/// Keys and values are raw bytes in host byte order (use ``HostBytes`` for
/// integers). Per-CPU maps are read with ``lookupPerCPU(key:)`` and
/// ``snapshot()``.
///
/// Thread-safety: every call is one or more `bpf()` syscalls on the map's
/// descriptor; safe from any thread (each call is atomic per element, a
/// whole-map read is not a consistent snapshot while programs write).
public struct BPFMap: @unchecked Sendable, CustomStringConvertible {
    /// The object this map belongs to.
    public let object: BPFObject
    let handle: OpaquePointer

    init(object: BPFObject, handle: OpaquePointer) {
        self.object = object
        self.handle = handle
    }

    /// The map's name (for internal maps libbpf's "<object>.rodata" style name).
    public var name: String { String(cString: bpf_map__name(handle)) }
    public var type: MapType { MapType(rawValue: bpf_map__type(handle).rawValue) }
    public var keySize: Int { Int(bpf_map__key_size(handle)) }
    public var valueSize: Int { Int(bpf_map__value_size(handle)) }
    public var maxEntries: Int { Int(bpf_map__max_entries(handle)) }
    /// `BPF_F_*` map flags.
    public var flags: UInt32 { bpf_map__map_flags(handle) }
    /// Whether libbpf made this map for a global-data section (.rodata, .data, .bss, ...).
    public var isInternal: Bool { bpf_map__is_internal(handle) }

    /// The kernel's descriptor once loaded; nil before. Owned by the object.
    public var fileDescriptor: Int32? {
        let fd = object.withLoadLock { bpf_map__fd(handle) }
        return fd >= 0 ? fd : nil
    }

    public var description: String {
        "map '\(name)' (\(type), key \(keySize) B, value \(valueSize) B, \(maxEntries) entries)"
    }

    /// Changes `max_entries` before load (e.g. to size a per-rule array).
    public func setMaxEntries(_ count: Int) throws {
        guard count > 0, count <= Int(UInt32.max) else {
            throw BPFError(.invalidArgument, operation: "set max entries", object: mapName, detail: "\(count)")
        }
        let failure = BPFError(
            .invalidArgument, operation: "set max entries", object: mapName, detail: "object already loaded")
        try object.whileUnloaded(
            unloaded: {
                let result = bpf_map__set_max_entries(handle, UInt32(count))
                if result < 0 { throw failure }
            },
            loaded: { throw failure })
    }

    /// Before load: use the loaded map behind `fd` (another object's)
    /// instead of creating one, so two objects write the same map.
    public func reuse(fileDescriptor fd: Int32) throws {
        let failure = BPFError(
            .invalidArgument, operation: "reuse map", object: mapName, detail: "object already loaded")
        try object.whileUnloaded(
            unloaded: {
                let result = bpf_map__reuse_fd(handle, fd)
                if result < 0 { throw BPFError.fromErrno(result, operation: "reuse map", object: mapName) }
            },
            loaded: { throw failure })
    }

    // MARK: - Single elements

    /// The value stored under `key`, or nil if there is none. Not for
    /// per-CPU maps (see ``lookupPerCPU(key:)``).
    public func lookup(key: [UInt8]) throws -> [UInt8]? {
        let fd = try descriptor(for: "lookup", key: key)
        try requireNotPerCPU("lookup")
        var value = [UInt8](repeating: 0, count: max(valueSize, 1))
        let result = value.withUnsafeMutableBytes { valueBytes in
            key.withUnsafeBytes { keyBytes in
                retryingOnInterrupt { bpf_map_lookup_elem(fd, keyBytes.baseAddress, valueBytes.baseAddress) }
            }
        }
        switch result {
        case .success: return Array(value.prefix(valueSize))
        case .failure(let error) where error.code == ENOENT: return nil
        case .failure(let error): throw BPFError.fromErrno(error.code, operation: "lookup", object: mapName)
        }
    }

    /// How ``update(key:value:mode:)`` treats an existing or missing key.
    public enum UpdateMode: Sendable {
        /// Create or replace (`BPF_ANY`).
        case any
        /// Only create; fails if the key exists (`BPF_NOEXIST`).
        case createOnly
        /// Only replace; fails if the key is missing (`BPF_EXIST`).
        case replaceOnly

        var flags: UInt64 {
            switch self {
            case .any: UInt64(BPF_ANY)
            case .createOnly: UInt64(BPF_NOEXIST)
            case .replaceOnly: UInt64(BPF_EXIST)
            }
        }
    }

    /// Stores `value` under `key`. Not for per-CPU maps (see ``updatePerCPU(key:values:mode:)``).
    public func update(key: [UInt8], value: [UInt8], mode: UpdateMode = .any) throws {
        let fd = try descriptor(for: "update", key: key)
        try requireNotPerCPU("update")
        guard value.count == valueSize else {
            throw BPFError(
                .invalidArgument, operation: "update", object: mapName,
                detail: "value is \(value.count) bytes, the map's values are \(valueSize)")
        }
        try store(fd: fd, key: key, value: value, mode: mode)
    }

    /// Removes `key`; returns whether it was there.
    @discardableResult
    public func delete(key: [UInt8]) throws -> Bool {
        let fd = try descriptor(for: "delete", key: key)
        let result = key.withUnsafeBytes { keyBytes in
            retryingOnInterrupt { bpf_map_delete_elem(fd, keyBytes.baseAddress) }
        }
        switch result {
        case .success: return true
        case .failure(let error) where error.code == ENOENT: return false
        case .failure(let error):
            throw BPFError.fromErrno(
                error.code, operation: "delete", object: mapName,
                detail: type.isArray ? "array elements cannot be deleted" : nil)
        }
    }

    // MARK: - Per-CPU elements

    /// The number of possible CPUs: how many values a per-CPU lookup returns.
    public static func possibleCPUCount() throws -> Int {
        let count = libbpf_num_possible_cpus()
        guard count > 0 else {
            throw BPFError.fromErrno(count == 0 ? EIO : -count, operation: "count possible CPUs")
        }
        return Int(count)
    }

    /// One value per possible CPU for `key` of a per-CPU map, or nil if there is none.
    public func lookupPerCPU(key: [UInt8]) throws -> PerCPUValues? {
        let fd = try descriptor(for: "per-CPU lookup", key: key)
        try requirePerCPU("per-CPU lookup")
        let cpus = try Self.possibleCPUCount()
        let slot = perCPUSlot(valueSize)
        var storage = [UInt8](repeating: 0, count: max(slot * cpus, 1))
        let result = storage.withUnsafeMutableBytes { valueBytes in
            key.withUnsafeBytes { keyBytes in
                retryingOnInterrupt { bpf_map_lookup_elem(fd, keyBytes.baseAddress, valueBytes.baseAddress) }
            }
        }
        switch result {
        case .success: return PerCPUValues(valueSize: valueSize, cpuCount: cpus, storage: storage)
        case .failure(let error) where error.code == ENOENT: return nil
        case .failure(let error): throw BPFError.fromErrno(error.code, operation: "per-CPU lookup", object: mapName)
        }
    }

    /// Stores one value per possible CPU under `key` of a per-CPU map.
    public func updatePerCPU(key: [UInt8], values: [[UInt8]], mode: UpdateMode = .any) throws {
        let fd = try descriptor(for: "per-CPU update", key: key)
        try requirePerCPU("per-CPU update")
        let cpus = try Self.possibleCPUCount()
        guard values.count == cpus, values.allSatisfy({ $0.count == valueSize }) else {
            throw BPFError(
                .invalidArgument, operation: "per-CPU update", object: mapName,
                detail: "need \(cpus) values of \(valueSize) bytes")
        }
        let slot = perCPUSlot(valueSize)
        var storage = [UInt8](repeating: 0, count: slot * cpus)
        for (cpu, value) in values.enumerated() {
            storage.replaceSubrange(cpu * slot..<cpu * slot + valueSize, with: value)
        }
        try store(fd: fd, key: key, value: storage, mode: mode)
    }

    // MARK: - Whole maps

    /// Every key of the map, by `bpf_map_get_next_key` (for hash maps; for
    /// arrays the keys are 0..<maxEntries). Keys deleted while iterating
    /// may make the kernel restart from the first key; the walk stops after
    /// `maxEntries` keys so it always ends.
    public func keys() throws -> [[UInt8]] {
        let fd = try descriptor(for: "iterate keys", key: nil)
        var keys: [[UInt8]] = []
        var previous: [UInt8]? = nil
        var next = [UInt8](repeating: 0, count: max(keySize, 1))
        var seen = Set<[UInt8]>()
        while keys.count < maxEntries {
            let result = next.withUnsafeMutableBytes { nextBytes in
                if let previous {
                    return previous.withUnsafeBytes { previousBytes in
                        retryingOnInterrupt {
                            bpf_map_get_next_key(fd, previousBytes.baseAddress, nextBytes.baseAddress)
                        }
                    }
                }
                return retryingOnInterrupt { bpf_map_get_next_key(fd, nil, nextBytes.baseAddress) }
            }
            if case .failure(let error) = result {
                if error.code == ENOENT { break }
                throw BPFError.fromErrno(error.code, operation: "iterate keys", object: mapName)
            }
            let key = Array(next.prefix(keySize))
            guard seen.insert(key).inserted else { break }  // restarted: we have them all
            keys.append(key)
            previous = key
        }
        return keys
    }

    /// Every key and value of a non-per-CPU map (keys, then one lookup
    /// each; entries deleted in between are skipped).
    public func entries() throws -> [(key: [UInt8], value: [UInt8])] {
        try requireNotPerCPU("read entries")
        return try keys().compactMap { key in try lookup(key: key).map { (key, $0) } }
    }

    /// Reads a whole array or per-CPU array map at once with
    /// `bpf_map_lookup_batch`, falling back to one lookup per index on
    /// kernels without batch support. 100,000 per-CPU entries take
    /// milliseconds.
    public func snapshot() throws -> MapSnapshot {
        let fd = try descriptor(for: "read array", key: nil)
        guard type.isArray, keySize == 4 else {
            throw BPFError(
                .invalidArgument, operation: "read array", object: mapName,
                detail: "only array and per-CPU array maps (this is \(type))")
        }
        let (cpus, slot) = try valueLayout()
        let entryBytes = slot * cpus
        let count = maxEntries
        var storage = [UInt8](repeating: 0, count: max(count * entryBytes, 1))
        let batched = try storage.withUnsafeMutableBytes { storageBytes in
            try readBatches(fd: fd, into: storageBytes, entryBytes: entryBytes, count: count)
        }
        if !batched {
            try storage.withUnsafeMutableBytes { storageBytes in
                guard let base = storageBytes.baseAddress else { return }
                for index in 0..<count {
                    var key = UInt32(index)
                    let result = retryingOnInterrupt { bpf_map_lookup_elem(fd, &key, base + index * entryBytes) }
                    if case .failure(let error) = result {
                        throw BPFError.fromErrno(
                            error.code, operation: "read array", object: mapName, detail: "index \(index)")
                    }
                }
            }
        }
        if count == 0 { storage = [] }
        return MapSnapshot(
            entryCount: count, cpuCount: cpus, valueSize: valueSize, slot: slot, storage: storage, batched: batched)
    }

    /// Reads a whole hash map (per-CPU or not) with `bpf_map_lookup_batch`:
    /// its keys, and its values as a snapshot whose entry `i` is `keys[i]`'s.
    /// Falls back to the keys one by one where the kernel has no batch
    /// lookup. 65,536 entries of 44-byte keys read in about a millisecond.
    public func hashSnapshot() throws -> (keys: [[UInt8]], values: MapSnapshot) {
        guard !type.isArray else {
            throw BPFError(
                .invalidArgument, operation: "read hash map", object: mapName, detail: "not a hash map (\(type))")
        }
        let (cpus, slot) = try valueLayout()
        var keys: [[UInt8]] = []
        var storage: [UInt8] = []
        let batched = try walkBatches(operation: "read hash map", entryBytes: slot * cpus) { keyBytes, values in
            keys.append(Array(keyBytes))
            storage.append(contentsOf: values)
        }
        if !batched {
            keys = try self.keys()
            storage = []
            for key in keys {
                if type.isPerCPU {
                    storage += try lookupPerCPU(key: key)?.storage ?? [UInt8](repeating: 0, count: slot * cpus)
                } else {
                    storage += try lookup(key: key) ?? [UInt8](repeating: 0, count: valueSize)
                }
            }
        }
        return (
            keys,
            MapSnapshot(
                entryCount: keys.count, cpuCount: cpus, valueSize: valueSize, slot: slot, storage: storage,
                batched: batched)
        )
    }

    /// How many entries a hash map holds now, read in batches without
    /// keeping them (an LRU map's fill, for what it evicted).
    public func entryCount() throws -> Int {
        let (cpus, slot) = try valueLayout()
        var count = 0
        let batched = try walkBatches(operation: "count entries", entryBytes: slot * cpus) { _, _ in count += 1 }
        return batched ? count : try keys().count
    }

    /// Walks a map in `bpf_map_lookup_batch` calls, handing each entry's
    /// key and value bytes to `body`; false (nothing handed) when the
    /// kernel has no batch lookup for it. The batch token is an index for
    /// arrays and a bucket for hash maps: room for either.
    private func walkBatches(
        operation: String, entryBytes: Int,
        _ body: (UnsafeRawBufferPointer.SubSequence, UnsafeRawBufferPointer.SubSequence) -> Void
    ) throws -> Bool {
        let fd = try descriptor(for: operation, key: nil)
        guard maxEntries > 0 else { return true }
        let chunk = min(Self.batchSize, maxEntries)
        var keys = [UInt8](repeating: 0, count: chunk * max(keySize, 1))
        var values = [UInt8](repeating: 0, count: chunk * max(entryBytes, 1))
        var inBatch = [UInt8](repeating: 0, count: max(keySize, 8))
        var outBatch = [UInt8](repeating: 0, count: max(keySize, 8))
        var first = true
        while true {
            var received = UInt32(chunk)
            var options = bpf_map_batch_opts()
            options.sz = MemoryLayout<bpf_map_batch_opts>.size
            let result = keys.withUnsafeMutableBytes { keyBytes in
                values.withUnsafeMutableBytes { valueBytes in
                    inBatch.withUnsafeMutableBytes { inBytes in
                        outBatch.withUnsafeMutableBytes { outBytes in
                            retryingOnInterrupt {
                                received = UInt32(chunk)
                                return bpf_map_lookup_batch(
                                    fd, first ? nil : inBytes.baseAddress, outBytes.baseAddress,
                                    keyBytes.baseAddress, valueBytes.baseAddress, &received, &options)
                            }
                        }
                    }
                }
            }
            var finished = false
            if case .failure(let error) = result {
                if error.code == ENOENT {
                    finished = true  // the last batch; `received` may still be > 0
                } else if first, [EINVAL, EOPNOTSUPP, ENOSYS].contains(error.code) {
                    return false
                } else {
                    throw BPFError.fromErrno(error.code, operation: operation, object: mapName)
                }
            }
            let got = min(Int(received), chunk)
            keys.withUnsafeBytes { keyBytes in
                values.withUnsafeBytes { valueBytes in
                    for item in 0..<got {
                        body(
                            keyBytes[item * keySize..<(item + 1) * keySize],
                            valueBytes[item * entryBytes..<(item + 1) * entryBytes])
                    }
                }
            }
            if finished { return true }
            inBatch = outBatch
            first = false
        }
    }

    /// Entries per `bpf_map_lookup_batch` call.
    static let batchSize = 8192

    /// Fills `storage` (index-major) with batch lookups; false if the kernel
    /// has no batch support for this map (nothing read then).
    private func readBatches(
        fd: Int32, into storage: UnsafeMutableRawBufferPointer, entryBytes: Int, count: Int
    ) throws -> Bool {
        guard let base = storage.baseAddress, count > 0 else { return true }
        return try walkBatches(operation: "batch lookup", entryBytes: entryBytes) { key, value in
            let index = Int(key.withUnsafeBytes { $0.loadUnaligned(as: UInt32.self) })
            guard index < count else { return }
            UnsafeMutableRawBufferPointer(start: base + index * entryBytes, count: entryBytes)
                .copyMemory(from: UnsafeRawBufferPointer(rebasing: value))
        }
    }

    // MARK: - Helpers

    /// How a whole-map read lays out one entry's value: one per possible
    /// CPU for per-CPU maps, each in an 8-byte-aligned slot; one otherwise.
    private func valueLayout() throws -> (cpus: Int, slot: Int) {
        type.isPerCPU ? (try Self.possibleCPUCount(), perCPUSlot(valueSize)) : (1, valueSize)
    }

    var mapName: String { "map '\(name)'" }

    private func descriptor(for operation: String, key: [UInt8]?) throws -> Int32 {
        guard let fd = fileDescriptor else {
            throw BPFError(
                .invalidArgument, operation: operation, object: mapName, detail: "object '\(object.name)' is not loaded"
            )
        }
        if let key, key.count != keySize {
            throw BPFError(
                .invalidArgument, operation: operation, object: mapName,
                detail: "key is \(key.count) bytes, the map's keys are \(keySize)")
        }
        return fd
    }

    private func requirePerCPU(_ operation: String) throws {
        guard type.isPerCPU else {
            throw BPFError(
                .invalidArgument, operation: operation, object: mapName, detail: "not a per-CPU map (\(type))")
        }
    }

    private func requireNotPerCPU(_ operation: String) throws {
        guard !type.isPerCPU else {
            throw BPFError(
                .invalidArgument, operation: operation, object: mapName,
                detail: "a per-CPU map (\(type)): use the per-CPU calls")
        }
    }

    private func store(fd: Int32, key: [UInt8], value: [UInt8], mode: UpdateMode) throws {
        let result = key.withUnsafeBytes { keyBytes in
            value.withUnsafeBytes { valueBytes in
                retryingOnInterrupt {
                    bpf_map_update_elem(fd, keyBytes.baseAddress, valueBytes.baseAddress, mode.flags)
                }
            }
        }
        if case .failure(let error) = result {
            throw BPFError.fromErrno(error.code, operation: "update", object: mapName)
        }
    }
}

/// One value per possible CPU, as the kernel returns them for a per-CPU key.
public struct PerCPUValues: Sendable, Equatable {
    public let valueSize: Int
    public let cpuCount: Int
    /// The kernel's layout: one 8-byte-aligned slot per CPU.
    let storage: [UInt8]

    /// CPU `cpu`'s value bytes.
    public subscript(cpu: Int) -> ArraySlice<UInt8> {
        let start = cpu * perCPUSlot(valueSize)
        return storage[start..<start + valueSize]
    }

    /// Every CPU's value, in CPU order.
    public var values: [[UInt8]] { (0..<cpuCount).map { Array(self[$0]) } }

    /// The sum over CPUs of the `T` at byte `offset` (wrapping), or nil if it does not fit.
    public func sum<T: FixedWidthInteger>(_ type: T.Type, at offset: Int = 0) -> T? {
        var total = T.zero
        for cpu in 0..<cpuCount {
            guard let value = HostBytes.load(T.self, from: self[cpu], at: offset) else { return nil }
            total &+= value
        }
        return total
    }
}

/// A whole array map read at once: `entryCount` entries, each with one
/// value per CPU (one CPU for plain arrays), stored contiguously.
public struct MapSnapshot: Sendable {
    public let entryCount: Int
    /// Possible CPUs for per-CPU maps, 1 for plain arrays.
    public let cpuCount: Int
    public let valueSize: Int
    /// Bytes between consecutive CPUs' values (8-byte aligned for per-CPU maps).
    @usableFromInline let slot: Int
    @usableFromInline let storage: [UInt8]
    /// Whether the kernel's batch lookup was used (false: one lookup per index).
    public let batched: Bool

    /// The value bytes of entry `index` on CPU `cpu`.
    @inlinable
    public func value(at index: Int, cpu: Int = 0) -> ArraySlice<UInt8> {
        precondition(index >= 0 && index < entryCount && cpu >= 0 && cpu < cpuCount, "entry or CPU out of range")
        let start = (index * cpuCount + cpu) * slot
        return storage[start..<start + valueSize]
    }

    /// The `T` at byte `offset` of entry `index` on CPU `cpu`, or nil if it does not fit.
    @inlinable
    public func load<T: FixedWidthInteger>(_ type: T.Type, at index: Int, cpu: Int = 0, offset: Int = 0) -> T? {
        precondition(index >= 0 && index < entryCount && cpu >= 0 && cpu < cpuCount, "entry or CPU out of range")
        guard offset >= 0, offset <= valueSize - MemoryLayout<T>.size else { return nil }
        let start = (index * cpuCount + cpu) * slot + offset
        return storage.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: start, as: T.self) }
    }

    /// The sum over CPUs of the `T` at byte `offset` of entry `index` (wrapping).
    @inlinable
    public func sum<T: FixedWidthInteger>(_ type: T.Type, at index: Int, offset: Int = 0) -> T? {
        var total = T.zero
        for cpu in 0..<cpuCount {
            guard let value = load(T.self, at: index, cpu: cpu, offset: offset) else { return nil }
            total &+= value
        }
        return total
    }
}
