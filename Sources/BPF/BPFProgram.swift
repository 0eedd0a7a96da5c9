import CLibbpf

#if canImport(Glibc)
    import Glibc
#endif

/// One program of a ``BPFObject``. Keeps its object alive.
///
/// Thread-safety: a value type over an immutable libbpf handle; test runs
/// from several threads at once are fine (the kernel serialises nothing
/// and each run gets its own buffers).
public struct BPFProgram: @unchecked Sendable, CustomStringConvertible {
    /// The object this program belongs to.
    public let object: BPFObject
    let handle: OpaquePointer

    init(object: BPFObject, handle: OpaquePointer) {
        self.object = object
        self.handle = handle
    }

    /// The C function name.
    public var name: String { String(cString: bpf_program__name(handle)) }
    /// The ELF section, e.g. "socket".
    public var section: String { String(cString: bpf_program__section_name(handle)) }
    /// The program type libbpf chose from the section.
    public var type: ProgramType { ProgramType(rawValue: bpf_program__type(handle).rawValue) }
    /// Instructions in the ELF (after libbpf appended subprograms, once loaded).
    public var elfInstructionCount: Int { bpf_program__insn_cnt(handle) }
    /// Whether ``BPFObject/load(_:)`` loads this program.
    public var autoload: Bool { bpf_program__autoload(handle) }

    /// Includes or leaves out this program from ``BPFObject/load(_:)``; before load only.
    public func setAutoload(_ enabled: Bool) throws {
        let failure = BPFError(
            .invalidArgument, operation: "set autoload", object: "program '\(name)'", detail: "object already loaded")
        try object.whileUnloaded(
            unloaded: {
                let result = bpf_program__set_autoload(handle, enabled)
                if result < 0 { throw failure }
            },
            loaded: { throw failure })
    }

    /// The kernel's descriptor for the loaded program; nil before load.
    /// Owned by the object: do not close it.
    public var fileDescriptor: Int32? {
        let fd = object.withLoadLock { bpf_program__fd(handle) }
        return fd >= 0 ? fd : nil
    }

    /// The verifier log, when the object was loaded with a log level > 0.
    public var verifierLog: VerifierLog? {
        object.logText(program: name).map { VerifierLog($0) }
    }

    /// What the kernel reports about the loaded program (id, tag, sizes).
    public func info() throws -> ProgramInfo {
        try ProgramInfo(fileDescriptor: loadedDescriptor(for: "get program info"), operation: "get program info")
    }

    public var description: String { "program '\(name)' (\(section), \(type))" }

    func loadedDescriptor(for operation: String) throws -> Int32 {
        guard let fd = fileDescriptor else {
            throw BPFError(
                .invalidArgument, operation: operation, object: "program '\(name)'",
                detail: "object '\(object.name)' is not loaded")
        }
        return fd
    }
}

// MARK: - test_run

/// The `__sk_buff` fields BPF_PROG_TEST_RUN accepts as input context for
/// skb programs (everything else must be zero).
public struct SkBuffContext: Sendable, Equatable {
    public var mark: UInt32 = 0
    public var priority: UInt32 = 0
    /// Must name an existing interface when non-zero.
    public var ifindex: UInt32 = 0
    /// The five `cb[]` words.
    public var controlBuffer: [UInt32] = [0, 0, 0, 0, 0]
    /// `skb->tstamp`, nanoseconds.
    public var timestampNanoseconds: UInt64 = 0
    public var wireLength: UInt32 = 0
    public var gsoSegments: UInt32 = 0
    public var gsoSize: UInt32 = 0
    public var hardwareTimestamp: UInt64 = 0

    public init(
        mark: UInt32 = 0, priority: UInt32 = 0, ifindex: UInt32 = 0, controlBuffer: [UInt32] = [0, 0, 0, 0, 0],
        timestampNanoseconds: UInt64 = 0, wireLength: UInt32 = 0
    ) {
        self.mark = mark
        self.priority = priority
        self.ifindex = ifindex
        self.controlBuffer = controlBuffer
        self.timestampNanoseconds = timestampNanoseconds
        self.wireLength = wireLength
    }

    init(_ skb: __sk_buff) {
        mark = skb.mark
        priority = skb.priority
        ifindex = skb.ifindex
        controlBuffer = withUnsafeBytes(of: skb.cb) { Array($0.bindMemory(to: UInt32.self)) }
        timestampNanoseconds = skb.tstamp
        wireLength = skb.wire_len
        gsoSegments = skb.gso_segs
        gsoSize = skb.gso_size
        hardwareTimestamp = skb.hwtstamp
    }

    var raw: __sk_buff {
        var skb = __sk_buff()
        skb.mark = mark
        skb.priority = priority
        skb.ifindex = ifindex
        withUnsafeMutableBytes(of: &skb.cb) { raw in
            let words = raw.bindMemory(to: UInt32.self)
            for (index, word) in controlBuffer.prefix(words.count).enumerated() { words[index] = word }
        }
        skb.tstamp = timestampNanoseconds
        skb.wire_len = wireLength
        skb.gso_segs = gsoSegments
        skb.gso_size = gsoSize
        skb.hwtstamp = hardwareTimestamp
        return skb
    }
}

/// The outcome of ``BPFProgram/testRun(packet:context:repeat:)``.
public struct TestRunResult: Sendable, Equatable {
    /// What the program returned (for a socket filter: bytes to keep, 0 = drop).
    public var returnValue: UInt32
    /// The kernel's average time per run, nanoseconds.
    public var averageDurationNanoseconds: UInt64
    /// How many times the kernel ran the program.
    public var repetitions: Int
    /// The packet after the run. For programs that do not see layer 2
    /// (socket filters) the kernel zeroes the 14 Ethernet header bytes.
    public var packetOut: [UInt8]
    /// The context after the run, when one was passed in.
    public var contextOut: SkBuffContext?
}

extension BPFProgram {
    /// The shortest packet test_run accepts for skb programs: an Ethernet header.
    public static let minimumTestPacketLength = 14

    /// Runs the loaded program in the kernel on `packet` (an Ethernet frame)
    /// with BPF_PROG_TEST_RUN, `repeat` times.
    ///
    /// For socket filters the kernel starts `skb->data` at the network
    /// header and `skb->len` excludes the 14-byte Ethernet header, as on a
    /// live AF_PACKET socket.
    ///
    /// The kernel (6.18) refuses frames whose EtherType says IPv4 but that
    /// carry fewer than 20 bytes after the Ethernet header, or IPv6 with
    /// fewer than 40: such truncated packets cannot be test-run, only seen
    /// live. Other EtherTypes may have any length from 14 bytes.
    ///
    /// - Throws: ``BPFError`` `.invalidArgument` for a packet shorter than
    ///   14 bytes, a truncated IPv4/IPv6 header the kernel refused, or
    ///   `repeat` < 1; the errno's kind for other refusals.
    public func testRun(packet: [UInt8], context: SkBuffContext? = nil, repeat count: Int = 1) throws -> TestRunResult {
        let objectName = "program '\(name)'"
        guard packet.count >= Self.minimumTestPacketLength else {
            throw BPFError(
                .invalidArgument, operation: "test_run", object: objectName,
                detail: "packet is \(packet.count) bytes; the kernel needs at least an Ethernet header (14 bytes)")
        }
        guard count >= 1, count <= Int(Int32.max), packet.count <= Int(UInt32.max) - 4096 else {
            throw BPFError(
                .invalidArgument, operation: "test_run", object: objectName,
                detail: "repeat must be 1...\(Int32.max) (got \(count))")
        }
        let fd = try loadedDescriptor(for: "test_run")
        var output = [UInt8](repeating: 0, count: packet.count + 4096)
        var contextIn = context?.raw ?? __sk_buff()
        var contextOut = __sk_buff()
        var options = bpf_test_run_opts()
        let result = packet.withUnsafeBytes { packetBytes in
            output.withUnsafeMutableBytes { outputBytes in
                withUnsafePointer(to: &contextIn) { contextInPointer in
                    withUnsafeMutablePointer(to: &contextOut) { contextOutPointer in
                        retryingOnInterrupt {
                            options = bpf_test_run_opts()
                            options.sz = MemoryLayout<bpf_test_run_opts>.size
                            options.data_in = packetBytes.baseAddress
                            options.data_size_in = UInt32(packetBytes.count)
                            options.data_out = outputBytes.baseAddress
                            options.data_size_out = UInt32(outputBytes.count)
                            if context != nil {
                                options.ctx_in = UnsafeRawPointer(contextInPointer)
                                options.ctx_size_in = UInt32(MemoryLayout<__sk_buff>.size)
                                options.ctx_out = UnsafeMutableRawPointer(contextOutPointer)
                                options.ctx_size_out = UInt32(MemoryLayout<__sk_buff>.size)
                            }
                            options.repeat = Int32(count)
                            return bpf_prog_test_run_opts(fd, &options)
                        }
                    }
                }
            }
        }
        if case .failure(let error) = result {
            if error.code == EINVAL, let shortHeader = Self.shortNetworkHeader(packet) {
                throw BPFError(
                    .invalidArgument, operation: "test_run", object: objectName, detail: shortHeader, errno: EINVAL)
            }
            throw BPFError.fromErrno(
                error.code, operation: "test_run", object: objectName,
                detail: error.code == EINVAL ? "the kernel refused the packet or context" : nil)
        }
        let outputLength = min(Int(options.data_size_out), output.count)
        return TestRunResult(
            returnValue: options.retval, averageDurationNanoseconds: UInt64(options.duration),
            repetitions: count, packetOut: Array(output[..<outputLength]),
            contextOut: context == nil ? nil : SkBuffContext(contextOut))
    }
}

extension BPFProgram {
    /// Why the kernel refuses `packet` for test_run if its network header
    /// is shorter than the kernel requires; nil otherwise.
    static func shortNetworkHeader(_ packet: [UInt8]) -> String? {
        guard packet.count >= 14 else { return nil }
        let etherType = UInt16(packet[12]) << 8 | UInt16(packet[13])
        let available = packet.count - 14
        switch etherType {
        case 0x0800 where available < 20:
            return "IPv4 frame with \(available) bytes after the Ethernet header; test_run needs a 20-byte IPv4 header"
        case 0x86DD where available < 40:
            return "IPv6 frame with \(available) bytes after the Ethernet header; test_run needs a 40-byte IPv6 header"
        default:
            return nil
        }
    }
}

// MARK: - Program info and the kernel's list of programs

/// What the kernel reports about a loaded program (`bpf_prog_info`).
public struct ProgramInfo: Sendable, Equatable, CustomStringConvertible {
    /// The kernel-wide program id.
    public var id: UInt32
    /// The name given at load (up to 15 characters).
    public var name: String
    public var type: ProgramType
    /// The 8-byte program tag, hex.
    public var tag: String
    /// Instructions after the verifier's rewrites (`xlated_prog_len / 8`).
    public var translatedInstructionCount: Int
    /// Bytes of JIT-compiled machine code (0 if not JITed).
    public var jitedSize: Int
    /// Instructions the verifier processed when loading it (5.16+; 0 before).
    public var verifiedInstructionCount: Int
    /// Time spent in the program and times it ran, counted by the kernel
    /// while run-time statistics are on (see ``RunTimeStatistics``).
    public var runTimeNanoseconds: UInt64
    public var runCount: UInt64

    init(fileDescriptor fd: Int32, operation: String) throws {
        var info = bpf_prog_info()
        var length = UInt32(MemoryLayout<bpf_prog_info>.size)
        let result = retryingOnInterrupt { bpf_obj_get_info_by_fd(fd, &info, &length) }
        if case .failure(let error) = result {
            throw BPFError.fromErrno(error.code, operation: operation, object: "program fd \(fd)")
        }
        id = info.id
        name = withUnsafeBytes(of: info.name) { raw in
            String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
        }
        type = ProgramType(rawValue: info.type)
        tag = withUnsafeBytes(of: info.tag) { raw in
            raw.map { byte in
                let hex = String(byte, radix: 16)
                return hex.count == 1 ? "0" + hex : hex
            }.joined()
        }
        translatedInstructionCount = Int(info.xlated_prog_len) / 8
        jitedSize = Int(info.jited_prog_len)
        verifiedInstructionCount = Int(info.verified_insns)
        runTimeNanoseconds = info.run_time_ns
        runCount = info.run_cnt
    }

    public var description: String { "\(id): \(name) (\(type), \(translatedInstructionCount) insns)" }
}

/// The BPF programs currently loaded in the kernel, by anyone.
public enum LoadedPrograms {
    /// Every loaded program's info, in id order. Programs that vanish
    /// while listing are skipped.
    public static func list() throws -> [ProgramInfo] {
        var programs: [ProgramInfo] = []
        var current: UInt32 = 0
        while true {
            var next: UInt32 = 0
            let step = retryingOnInterrupt { bpf_prog_get_next_id(current, &next) }
            if case .failure(let error) = step {
                if error.code == ENOENT { return programs }
                throw BPFError.fromErrno(error.code, operation: "list loaded programs")
            }
            current = next
            // Nil: unloaded between the two calls.
            if let info = try info(id: next) { programs.append(info) }
        }
    }

    /// The info of the program with kernel id `id`; nil when none is loaded.
    public static func info(id: UInt32) throws -> ProgramInfo? {
        switch retryingOnInterrupt({ bpf_prog_get_fd_by_id(id) }) {
        case .failure(let error) where error.code == ENOENT:
            return nil
        case .failure(let error):
            throw BPFError.fromErrno(error.code, operation: "open loaded program", object: "id \(id)")
        case .success(let fd):
            let descriptor = OwnedDescriptor(fd)
            return try withExtendedLifetime(descriptor) {
                try ProgramInfo(fileDescriptor: descriptor.rawValue, operation: "get program info")
            }
        }
    }

    /// The ids of every loaded program.
    public static func ids() throws -> Set<UInt32> {
        Set(try list().map(\.id))
    }
}
