import CLibbpf

#if canImport(Glibc)
    import Glibc
#endif

/// A BPF ELF object opened from memory: its programs, maps, global
/// variables and BTF; loaded into the kernel at most once.
///
/// Closing is deinit: the object, its programs and maps are released when
/// the last reference goes (``BPFProgram`` and ``BPFMap`` values keep their
/// object alive). Programs attached to sockets stay attached until those
/// sockets close.
///
/// Thread-safety: every method may be called from any thread. Loading and
/// the calls that change the object before load (setting globals, max
/// entries, autoload) are serialised by one lock, and descriptors are read
/// under it, so no thread sees a half-done load; map and test-run calls go
/// straight to the kernel, which keeps each of them atomic.
public final class BPFObject: @unchecked Sendable {
    /// The object name given at open (libbpf prefixes internal map names with it).
    public let name: String

    let handle: OpaquePointer
    private let elf: UnsafeMutableRawBufferPointer
    private let state = Locked(LoadState())

    private struct LoadState {
        var attempted = false
        var loaded = false
        /// Per-program verifier log buffers, by program name; libbpf writes
        /// into them during load, so they live as long as the object.
        var logBuffers: [String: LogBuffer] = [:]
    }

    /// Options for ``load(_:)``.
    public struct LoadOptions: Sendable {
        /// Verifier log level for every program: 0 asks for a log only when
        /// a program fails (libbpf then reloads it at level 1); 1 and 2 log
        /// the verification, 4 (`BPF_LOG_STATS`) only the statistics lines.
        public var logLevel: UInt32
        /// Bytes of log buffer per program when `logLevel` > 0. A log that
        /// does not fit makes the kernel fail the load (ENOSPC), reported as
        /// a rejection with a truncated log.
        public var logSize: Int

        public init(logLevel: UInt32 = 0, logSize: Int = 1 << 16) {
            self.logLevel = logLevel
            self.logSize = logSize
        }
    }

    /// Opens (parses) an ELF object held in memory; nothing reaches the kernel yet.
    ///
    /// - Throws: ``BPFError`` `.invalidObject` if libbpf cannot parse it.
    public init(elf bytes: [UInt8], name: String) throws {
        self.name = name
        let objectName = "object '\(name)'"
        guard !bytes.isEmpty else {
            throw BPFError(.invalidObject, operation: "open", object: objectName, detail: "empty ELF")
        }
        // libbpf reads the ELF in place while opening; keep our own copy.
        let copy = UnsafeMutableRawBufferPointer.allocate(byteCount: bytes.count, alignment: 8)
        bytes.withUnsafeBytes { copy.copyMemory(from: $0) }
        let (opened, code, messages) = LibbpfLog.capturing { collector in
            let opened = name.withCString { cName in
                var options = bpf_object_open_opts()
                options.sz = MemoryLayout<bpf_object_open_opts>.size
                options.object_name = cName
                errno = 0
                return bpf_object__open_mem(copy.baseAddress, copy.count, &options)
            }
            return (opened, currentErrno(), collector.warnings)
        }
        guard let opened else {
            copy.deallocate()
            throw code == ENOMEM
                ? BPFError.fromErrno(code, operation: "open", object: objectName, libbpfMessages: messages)
                : BPFError(
                    .invalidObject, operation: "open", object: objectName,
                    detail: messages.last.map(Self.stripPrefix), errno: code, libbpfMessages: messages)
        }
        handle = opened
        elf = copy
    }

    deinit {
        bpf_object__close(handle)
        elf.deallocate()
        // logBuffers free themselves after the close above.
    }

    /// The programs, in ELF order.
    public var programs: [BPFProgram] {
        var result: [BPFProgram] = []
        var cursor = bpf_object__next_program(handle, nil)
        while let program = cursor {
            result.append(BPFProgram(object: self, handle: program))
            cursor = bpf_object__next_program(handle, program)
        }
        return result
    }

    /// The maps, including the internal `.rodata`/`.data`/`.bss` maps.
    public var maps: [BPFMap] {
        var result: [BPFMap] = []
        var cursor = bpf_object__next_map(handle, nil)
        while let map = cursor {
            result.append(BPFMap(object: self, handle: map))
            cursor = bpf_object__next_map(handle, map)
        }
        return result
    }

    /// The program called `name` (its C function name).
    public func program(named name: String) throws -> BPFProgram {
        guard let program = programs.first(where: { $0.name == name }) else {
            throw BPFError(
                .notFound, operation: "find program", object: "'\(name)' in object '\(self.name)'",
                detail: "programs: \(programs.map(\.name).joined(separator: ", "))")
        }
        return program
    }

    /// The map called `name` (the C variable name of a BTF-defined map).
    public func map(named name: String) throws -> BPFMap {
        guard let map = maps.first(where: { $0.name == name }) else {
            throw BPFError(
                .notFound, operation: "find map", object: "'\(name)' in object '\(self.name)'",
                detail: "maps: \(maps.map(\.name).joined(separator: ", "))")
        }
        return map
    }

    /// Whether ``load(_:)`` succeeded.
    public var isLoaded: Bool { state.withLock { $0.loaded } }

    /// Creates the maps and loads every program into the kernel (once).
    ///
    /// - Throws: ``BPFError`` `.verifierRejected` with the failing program's
    ///   log; `.permission`, `.unsupported` or `.system` otherwise. An object
    ///   whose load failed cannot be loaded again: open a new one.
    public func load(_ options: LoadOptions = LoadOptions()) throws {
        if let failure = try loadReportingFailure(options) { throw failure.error }
    }

    /// A failed load: the error, and the program it happened in when known.
    struct LoadFailure {
        var error: BPFError
        var program: String?
    }

    /// Loads; returns the failure instead of throwing it (throws only when
    /// a load was already attempted).
    func loadReportingFailure(_ options: LoadOptions) throws -> LoadFailure? {
        try state.withLock { state in
            guard !state.attempted else {
                throw BPFError(
                    .invalidArgument, operation: "load", object: "object '\(name)'",
                    detail: state.loaded ? "already loaded" : "a failed load cannot be retried; open the object again")
            }
            state.attempted = true
            if options.logLevel > 0 {
                for program in programs where program.autoload {
                    let buffer = LogBuffer(size: max(options.logSize, 256))
                    state.logBuffers[program.name] = buffer
                    bpf_program__set_log_buf(program.handle, buffer.pointer, buffer.size)
                    bpf_program__set_log_level(program.handle, options.logLevel)
                }
            }
            let (result, code, collector) = LibbpfLog.capturing { collector in
                errno = 0
                let result = bpf_object__load(handle)
                return (result, result == -1 ? currentErrno() : -result, collector)
            }
            if result == 0 {
                state.loaded = true
                return nil
            }
            return loadFailure(errno: code, collector: collector, logBuffers: state.logBuffers)
        }
    }

    /// The error for a failed load: a verifier rejection when a program's
    /// log explains it, else the errno's kind.
    private func loadFailure(errno code: Int32, collector: MessageCollector, logBuffers: [String: LogBuffer])
        -> LoadFailure
    {
        let messages = collector.warnings
        let failing = Self.failingProgramName(in: messages) ?? lastProgramWithLog(logBuffers)
        let logText =
            failing.flatMap { logBuffers[$0]?.text }.flatMap { $0.isEmpty ? nil : $0 }
            ?? failing.flatMap { Self.printedLog(for: $0, in: collector.messages.map(\.text)) }
        let objectName = failing.map { "program '\($0)' of object '\(name)'" } ?? "object '\(name)'"
        if let logText, code != EPERM {
            let log = VerifierLog(logText, truncated: code == ENOSPC)
            let error = BPFError(
                .verifierRejected(log), operation: "load", object: objectName,
                detail: code == ENOSPC ? "verifier log buffer too small" : nil, errno: code,
                libbpfMessages: messages)
            return LoadFailure(error: error, program: failing)
        }
        let error = BPFError.fromErrno(
            code, operation: "load", object: objectName,
            detail: messages.last(where: { !$0.contains("failed to load object") }).map(Self.stripPrefix),
            libbpfMessages: messages)
        return LoadFailure(error: error, program: failing)
    }

    /// Runs `body` under the lock that ``load(_:)`` holds, so it never sees
    /// a half-done load. `body` must not call back into locked methods.
    func withLoadLock<R>(_ body: () -> R) -> R {
        state.withLock { _ in body() }
    }

    /// Runs `unloaded` (under the load lock, so a load cannot start
    /// meanwhile) before load, or `loaded` after a successful load.
    func whileUnloaded(unloaded: () throws -> Void, loaded: () throws -> Void) throws {
        let phase: Bool? = try state.withLock { state in
            if !state.attempted {
                try unloaded()
                return nil
            }
            return state.loaded
        }
        switch phase {
        case nil: return
        case true?: try loaded()
        case false?:
            throw BPFError(.invalidArgument, operation: "modify", object: "object '\(name)'", detail: "its load failed")
        }
    }

    private func lastProgramWithLog(_ buffers: [String: LogBuffer]) -> String? {
        programs.last(where: { !(buffers[$0.name]?.text.isEmpty ?? true) })?.name
    }

    /// The log text a program's verifier log buffer holds (load with a log level > 0).
    func logText(program: String) -> String? {
        state.withLock { $0.logBuffers[program]?.text }
    }

    /// "libbpf: prog 'name': failed to load: -13" names the program that failed.
    static func failingProgramName(in messages: [String]) -> String? {
        for message in messages.reversed() {
            guard let start = message.firstRange(of: "prog '"),
                message.contains("failed to load") || message.contains("load failed")
            else { continue }
            let rest = message[start.upperBound...]
            if let end = rest.firstIndex(of: "'") { return String(rest[..<end]) }
        }
        return nil
    }

    /// The verifier log libbpf printed itself (when it retried at level 1
    /// with its own buffer) between BEGIN/END PROG LOAD LOG markers.
    static func printedLog(for program: String, in messages: [String]) -> String? {
        let begin = "prog '\(program)': -- BEGIN PROG LOAD LOG --\n"
        for message in messages.reversed() {
            guard let start = message.firstRange(of: begin) else { continue }
            var body = message[start.upperBound...]
            if let end = body.firstRange(of: "-- END PROG LOAD LOG --") { body = body[..<end.lowerBound] }
            return String(body)
        }
        return nil
    }

    static func stripPrefix(_ message: String) -> String {
        message.hasPrefix("libbpf: ") ? String(message.dropFirst(8)) : message
    }
}

/// A zeroed C buffer the kernel writes a verifier log into.
final class LogBuffer: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<CChar>
    let size: Int

    init(size: Int) {
        self.size = size
        pointer = .allocate(capacity: size)
        pointer.initialize(repeating: 0, count: size)
    }

    deinit { pointer.deallocate() }

    /// The text up to the first NUL (the kernel always terminates it).
    var text: String {
        let length = strnlen(pointer, size)
        return String(decoding: UnsafeRawBufferPointer(start: pointer, count: length), as: UTF8.self)
    }
}
