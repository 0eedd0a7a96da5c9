import Dispatch

#if canImport(Glibc)
    import Glibc
#endif

/// Verifier dry-runs: load an object into the kernel only to learn whether
/// and how cheaply the verifier accepts it, then unload it.
public enum Verifier {
    /// Log buffer sizes for ``dryRun(object:name:options:)``.
    public struct Options: Sendable {
        /// Per-program buffer for the statistics pass (log level 4).
        public var statsLogSize: Int
        /// First buffer for the full log of a rejected program (log level 1).
        public var failureLogSize: Int
        /// On ENOSPC the full-log buffer grows ×4 up to this size, unless
        /// the kernel kept the log's tail (6.4+ rotates), which is all the
        /// summary needs; a cut log is reported ``VerifierLog/truncated``.
        public var maximumFailureLogSize: Int

        public init(statsLogSize: Int = 1 << 16, failureLogSize: Int = 16 << 20, maximumFailureLogSize: Int = 256 << 20)
        {
            self.statsLogSize = statsLogSize
            self.failureLogSize = failureLogSize
            self.maximumFailureLogSize = maximumFailureLogSize
        }
    }

    /// `BPF_LOG_LEVEL1`: the verifier's walk, printed when it fails.
    static let levelVerbose: UInt32 = 1
    /// `BPF_LOG_STATS`: only the statistics lines.
    static let levelStats: UInt32 = 4

    /// Opens `object` from memory, loads each program with a
    /// statistics-only log, and closes it. If a program is rejected, loads
    /// it again with a full log to say why. Nothing stays loaded afterwards.
    ///
    /// Each program is loaded from its own copy of the object, and the
    /// copies at once, one a CPU: the verifier runs in the loading thread,
    /// and an object's programs (a packet program for each attach mode,
    /// event programs) are verified independently. Hash maps are made with
    /// one entry (``openedFor(_:elf:name:globals:)``). Together these took
    /// vtapc's verifier phase on the seed's four packet programs from about
    /// 340 to about 115 ms on 2 CPUs; the maps were most of it.
    ///
    /// - Parameter globals: read-only globals set before a program's load,
    ///   by program name (a program that only verifies with another
    ///   configuration, such as an XDP program sharing code with skb
    ///   programs).
    /// - Returns: per-program figures, in the object's order; a rejection
    ///   is a result, not an error.
    /// - Throws: ``BPFError`` for failures that are not the verifier's
    ///   verdict: an invalid object, no permission, map creation failing
    ///   (the first program's, in the object's order).
    public static func dryRun(
        object elf: [UInt8], name: String, globals: [String: [String: UInt32]] = [:],
        options: Options = Options()
    ) throws -> VerifierReport {
        let names = try BPFObject(elf: elf, name: name).programs.filter(\.autoload).map(\.name)
        let outcomes = Locked([Result<ProgramVerification, BPFError>?](repeating: nil, count: names.count))
        DispatchQueue.concurrentPerform(iterations: names.count) { index in
            let program = names[index]
            let outcome: Result<ProgramVerification, BPFError>
            do {
                outcome = .success(
                    try verify(program, elf: elf, name: name, globals: globals[program] ?? [:], options: options))
            } catch let error as BPFError {
                outcome = .failure(error)
            } catch {
                outcome = .failure(
                    BPFError(.invalidObject, operation: "verify", object: "program '\(program)'", detail: "\(error)"))
            }
            outcomes.withLock { $0[index] = outcome }
        }
        var programs: [ProgramVerification] = []
        for outcome in outcomes.withLock({ $0 }) {
            switch outcome {
            case .success(let verification): programs.append(verification)
            case .failure(let error): throw error
            case nil: continue
            }
        }
        return VerifierReport(objectName: name, programs: programs)
    }

    /// A copy of the object set to load only `program`, with `globals`
    /// set, and its hash maps made with one entry: the verifier never looks
    /// at a hash map's size (an array's bounds constant indices), and
    /// preallocating a per-CPU LRU of 65,536 entries took 80 ms a load.
    private static func openedFor(_ program: String, elf: [UInt8], name: String, globals: [String: UInt32]) throws
        -> BPFObject
    {
        let object = try BPFObject(elf: elf, name: name)
        for other in object.programs where other.name != program { try other.setAutoload(false) }
        for map in object.maps where !map.type.isArray && map.type != .ringBuffer { try map.setMaxEntries(1) }
        for (global, value) in globals.sorted(by: { $0.key < $1.key }) { try object.setGlobal(global, to: value) }
        return object
    }

    /// Loads `program` alone, from its own copy of the object, with a
    /// statistics-only log; if the verifier rejects it, loads it again with
    /// a full log to say why.
    private static func verify(
        _ program: String, elf: [UInt8], name: String, globals: [String: UInt32], options: Options
    ) throws -> ProgramVerification {
        let object = try openedFor(program, elf: elf, name: name, globals: globals)
        let loaded = try object.program(named: program)
        let failure = try object.loadReportingFailure(
            BPFObject.LoadOptions(logLevel: levelStats, logSize: options.statsLogSize))
        guard let failure else {
            return ProgramVerification(
                program: loaded, outcome: .accepted, stats: loaded.verifierLog?.stats, info: try loaded.info())
        }
        guard case .verifierRejected(let statsLog) = failure.error.kind, failure.program == program else {
            throw failure.error
        }
        let fullLog =
            try verboseLog(of: program, elf: elf, name: name, globals: globals, options: options) ?? statsLog
        return ProgramVerification(program: loaded, outcome: .rejected(fullLog), stats: fullLog.stats ?? statsLog.stats)
    }

    /// Loads only `program` from a fresh copy of the object with a full log,
    /// growing the buffer on ENOSPC. Nil if it unexpectedly loads.
    private static func verboseLog(
        of program: String, elf: [UInt8], name: String, globals: [String: UInt32], options: Options
    ) throws -> VerifierLog? {
        var size = max(options.failureLogSize, 4096)
        while true {
            let object = try openedFor(program, elf: elf, name: name, globals: globals)
            let failure = try object.loadReportingFailure(
                BPFObject.LoadOptions(logLevel: levelVerbose | levelStats, logSize: size))
            guard let failure else { return nil }
            guard case .verifierRejected(let log) = failure.error.kind else { throw failure.error }
            let outOfSpace = failure.error.errno == ENOSPC
            // Kernels since 6.4 keep the log's tail when it overflows (what
            // the summary needs): growing only helps when the tail is missing.
            if outOfSpace, log.stats == nil, size < options.maximumFailureLogSize {
                size = min(size * 4, options.maximumFailureLogSize)
                continue
            }
            return VerifierLog(log.text, truncated: outOfSpace)
        }
    }
}

/// The outcome of a verifier dry-run of one object.
public struct VerifierReport: Sendable {
    public var objectName: String
    /// Every program the object loads, in ELF order.
    public var programs: [ProgramVerification]

    public init(objectName: String, programs: [ProgramVerification]) {
        self.objectName = objectName
        self.programs = programs
    }

    /// Whether the verifier accepted every program.
    public var accepted: Bool { programs.allSatisfy { $0.outcome == .accepted } }

    /// The first rejected program in the object's order, if any.
    public var rejected: ProgramVerification? {
        programs.first { if case .rejected = $0.outcome { true } else { false } }
    }

    /// The program called `name`.
    public func program(named name: String) -> ProgramVerification? { programs.first { $0.name == name } }
}

/// The verifier's verdict and figures for one program.
public struct ProgramVerification: Sendable {
    public enum Outcome: Sendable, Equatable {
        case accepted
        case rejected(VerifierLog)
    }

    public var name: String
    public var section: String
    public var type: ProgramType
    public var outcome: Outcome
    /// Instructions processed, states, time: from the verifier's statistics lines.
    public var stats: VerifierStats?
    /// Instructions in the ELF program (with subprograms appended).
    public var elfInstructionCount: Int
    /// Instructions after the verifier's rewrites (`xlated_prog_len / 8`),
    /// for programs that were loaded.
    public var translatedInstructionCount: Int?
    /// Bytes of JIT output, for programs that were loaded.
    public var jitedSize: Int?

    init(program: BPFProgram, outcome: Outcome, stats: VerifierStats?, info: ProgramInfo? = nil) {
        name = program.name
        section = program.section
        type = program.type
        self.outcome = outcome
        self.stats = stats
        elfInstructionCount = program.elfInstructionCount
        translatedInstructionCount = info?.translatedInstructionCount
        jitedSize = info?.jitedSize
    }

    /// An accepted program's figures as an earlier dry-run of the same
    /// bytes on the same kernel found them (vtapc's verdict cache).
    public init(
        accepted name: String, section: String, type: ProgramType, stats: VerifierStats?, elfInstructionCount: Int,
        translatedInstructionCount: Int?, jitedSize: Int?
    ) {
        self.name = name
        self.section = section
        self.type = type
        outcome = .accepted
        self.stats = stats
        self.elfInstructionCount = elfInstructionCount
        self.translatedInstructionCount = translatedInstructionCount
        self.jitedSize = jitedSize
    }

    /// The verifier log of a rejected program.
    public var rejectionLog: VerifierLog? {
        if case .rejected(let log) = outcome { return log }
        return nil
    }
}
