import CLibbpf

#if canImport(Glibc)
    import Glibc
#endif

/// A loaded raw-tracepoint program attached to the tracepoint its section
/// names (`raw_tracepoint/NAME`), through a BPF link: destroying the
/// link (``detach()`` or deinit) detaches it, and so does the process's
/// exit, even by SIGKILL, since nothing pins it.
///
/// Thread-safety: ``detach()`` may be called once from any thread.
public final class TracepointLink: @unchecked Sendable {
    public let program: BPFProgram
    private let link: Locked<OpaquePointer?>

    /// Attached by name (`bpf_raw_tracepoint_open`): no tracefs needed,
    /// in any mount namespace.
    ///
    /// - Throws: ``BPFError`` naming the program and its tracepoint when
    ///   the program is not loaded, the tracepoint does not exist on this
    ///   kernel, or the caller lacks the capability (CAP_BPF and CAP_PERFMON).
    public init(_ program: BPFProgram) throws {
        self.program = program
        _ = try program.loadedDescriptor(for: "attach to its tracepoint")
        guard program.type == .rawTracepoint else {
            throw BPFError(
                .invalidArgument, operation: "attach", object: "program '\(program.name)'",
                detail: "only raw tracepoint programs attach here, this is \(program.type)")
        }
        errno = 0
        guard let attached = bpf_program__attach(program.handle) else {
            throw BPFError.fromErrno(
                errno == 0 ? EINVAL : errno, operation: "attach program '\(program.name)' to",
                object: "tracepoint '\(program.section.split(separator: "/").last ?? "")'")
        }
        link = Locked(attached)
    }

    /// Detaches now; later calls do nothing.
    public func detach() {
        let attached = link.withLock { value -> OpaquePointer? in
            defer { value = nil }
            return value
        }
        if let attached { bpf_link__destroy(attached) }
    }

    deinit { detach() }
}

/// Reads a BPF ring buffer map: each record, in the order the programs
/// reserved them, is handed to `handler` as its bytes.
///
/// Thread-safety: ``poll(timeoutMilliseconds:)`` from one thread at a time.
public final class RingBufferReader: @unchecked Sendable {
    public let map: BPFMap
    private let buffer: OpaquePointer
    private let context: Unmanaged<HandlerBox>

    final class HandlerBox {
        let handler: (UnsafeRawBufferPointer) -> Void
        init(_ handler: @escaping (UnsafeRawBufferPointer) -> Void) { self.handler = handler }
    }

    /// - Throws: ``BPFError`` when the map is not a loaded ring buffer.
    public init(_ map: BPFMap, handler: @escaping (UnsafeRawBufferPointer) -> Void) throws {
        self.map = map
        guard let fd = map.fileDescriptor, map.type == .ringBuffer else {
            throw BPFError(
                .invalidArgument, operation: "read", object: "map '\(map.name)'",
                detail: "not a loaded ring buffer")
        }
        let box = Unmanaged.passRetained(HandlerBox(handler))
        errno = 0
        let sample: ring_buffer_sample_fn = { context, data, size in
            guard let context, let data else { return 0 }
            let box = Unmanaged<HandlerBox>.fromOpaque(context).takeUnretainedValue()
            box.handler(UnsafeRawBufferPointer(start: data, count: size))
            return 0
        }
        guard let created = ring_buffer__new(fd, sample, box.toOpaque(), nil) else {
            box.release()
            throw BPFError.fromErrno(errno == 0 ? EINVAL : errno, operation: "open ring buffer", object: map.name)
        }
        buffer = created
        context = box
    }

    /// Hands every record available within `timeoutMilliseconds` (0: only
    /// those already there) to the handler; returns how many. An interrupted
    /// wait returns 0.
    @discardableResult
    public func poll(timeoutMilliseconds: Int32) throws -> Int {
        let result = ring_buffer__poll(buffer, timeoutMilliseconds)
        if result == -EINTR { return 0 }
        if result < 0 {
            throw BPFError.fromErrno(result, operation: "read ring buffer", object: map.name)
        }
        return Int(result)
    }

    /// Hands every record already written to the handler, without waiting.
    @discardableResult
    public func drain() throws -> Int {
        let result = ring_buffer__consume(buffer)
        if result < 0 { throw BPFError.fromErrno(result, operation: "read ring buffer", object: map.name) }
        return Int(result)
    }

    deinit {
        ring_buffer__free(buffer)
        context.release()
    }
}
