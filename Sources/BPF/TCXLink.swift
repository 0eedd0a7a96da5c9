import CLibbpf

#if canImport(Glibc)
    import Glibc
#endif

/// A loaded TC (sched_cls) program attached to one direction of an
/// interface through a TCX link (kernel ≥ 6.6): closing the link's
/// descriptor (``detach()`` or deinit) detaches it, and so does the
/// process's exit, even by SIGKILL, since nothing pins it. No qdisc is
/// made, so nothing is left behind.
///
/// Debian 12's libbpf (1.1) has no `bpf_program__attach_tcx` and its uapi
/// header no `BPF_TCX_*`, so the link is made with `bpf_link_create`, which
/// passes the attach type through to the kernel.
///
/// Thread-safety: ``detach()`` may be called once from any thread.
public final class TCXLink: @unchecked Sendable {
    public enum Direction: UInt32, Sendable {
        /// `BPF_TCX_INGRESS` in the kernel's `enum bpf_attach_type`.
        case ingress = 46
        /// `BPF_TCX_EGRESS`.
        case egress = 47
    }

    public let interface: NetworkInterface
    public let direction: Direction
    public let program: BPFProgram
    private let descriptor: Locked<OwnedDescriptor?>

    /// Appends `program` (a loaded sched_cls program) to the interface's
    /// TCX chain in `direction`.
    ///
    /// - Throws: ``BPFError`` naming the program and interface when the
    ///   interface is missing, the program is not loaded or not sched_cls,
    ///   the kernel has no TCX (EINVAL before 6.6), or the caller lacks
    ///   CAP_NET_ADMIN and CAP_BPF.
    public init(interface interfaceName: String, direction: Direction, program: BPFProgram) throws {
        let interface = try NetworkInterface.named(interfaceName)
        let programFD = try program.loadedDescriptor(for: "attach to interface '\(interfaceName)'")
        guard program.type == .schedCls else {
            throw BPFError(
                .invalidArgument, operation: "attach", object: "program '\(program.name)'",
                detail: "a TCX link needs a sched_cls program, this is \(program.type)")
        }
        let created = retryingOnInterrupt {
            bpf_link_create(
                programFD, Int32(bitPattern: interface.index), bpf_attach_type(direction.rawValue), nil)
        }
        switch created {
        case .success(let fd):
            descriptor = Locked(OwnedDescriptor(fd))
        case .failure(let error) where error.code == EINVAL:
            // The program and interface were checked above: what is left
            // to refuse is the attach type, unknown before Linux 6.6.
            throw BPFError(
                .unsupported, operation: "attach program '\(program.name)' (TCX \(direction)) to",
                object: "interface '\(interfaceName)'",
                detail: "this kernel has no TCX (Linux 6.6 or later); use --attach socket")
        case .failure(let error):
            throw BPFError.fromErrno(
                error.code, operation: "attach program '\(program.name)' (TCX \(direction)) to",
                object: "interface '\(interfaceName)'")
        }
        self.interface = interface
        self.direction = direction
        self.program = program
    }

    /// The link's descriptor; nil once detached.
    public var fileDescriptor: Int32? { descriptor.withLock { $0?.rawValue } }

    /// Detaches now; later calls do nothing.
    public func detach() {
        let owned = descriptor.withLock { value -> OwnedDescriptor? in
            defer { value = nil }
            return value
        }
        withExtendedLifetime(owned) {}  // the descriptor closes here: detached
    }

    deinit { detach() }
}
