import CLibbpf

#if canImport(Glibc)
    import Glibc
#endif

/// A loaded program attached to one hook of an interface through a BPF
/// link: TC (sched_cls) on the TCX ingress or egress chain (Linux ≥ 6.6),
/// or XDP on the receive path. Closing the link's descriptor (``detach()``
/// or deinit) detaches it, and so does the process's exit, even by SIGKILL,
/// since nothing pins it. No qdisc is made, so nothing is left behind.
///
/// The link is made with `bpf_link_create`, which passes the attach type
/// through to the kernel: Debian 12's libbpf (1.1) has no
/// `bpf_program__attach_tcx` and its uapi header no `BPF_TCX_*`.
///
/// Thread-safety: ``detach()`` may be called once from any thread.
public final class InterfaceLink: @unchecked Sendable {
    /// The hook, as the kernel's `enum bpf_attach_type` numbers it.
    public enum Hook: UInt32, Sendable, CustomStringConvertible {
        /// `BPF_XDP`: received frames, before the stack makes an skb. With
        /// no mode flag the kernel takes the driver's (native) XDP where
        /// the driver has it, generic XDP otherwise.
        case xdp = 37
        /// `BPF_TCX_INGRESS`.
        case tcxIngress = 46
        /// `BPF_TCX_EGRESS`.
        case tcxEgress = 47

        /// The program type the hook runs.
        public var programType: ProgramType { self == .xdp ? .xdp : .schedCls }

        public var description: String {
            switch self {
            case .xdp: "XDP"
            case .tcxIngress: "TCX ingress"
            case .tcxEgress: "TCX egress"
            }
        }
    }

    public let interface: NetworkInterface
    public let hook: Hook
    public let program: BPFProgram
    private let descriptor: Locked<OwnedDescriptor?>

    /// Attaches `program` (loaded, of the hook's type) to the interface's
    /// `hook`; on TCX it goes last in the chain.
    ///
    /// - Throws: ``BPFError`` naming the program and interface when the
    ///   interface is missing, the program is not loaded or of another
    ///   type, the kernel lacks the hook (unsupported: TCX before 6.6), an
    ///   XDP program is already on the interface (busy), or the caller
    ///   lacks CAP_NET_ADMIN and CAP_BPF.
    public init(interface interfaceName: String, hook: Hook, program: BPFProgram) throws {
        let interface = try NetworkInterface.named(interfaceName)
        let programFD = try program.loadedDescriptor(for: "attach to interface '\(interfaceName)'")
        guard program.type == hook.programType else {
            throw BPFError(
                .invalidArgument, operation: "attach", object: "program '\(program.name)'",
                detail: "a \(hook) link needs a \(hook.programType) program, this is \(program.type)")
        }
        let created = retryingOnInterrupt {
            bpf_link_create(programFD, Int32(bitPattern: interface.index), bpf_attach_type(hook.rawValue), nil)
        }
        let operation = "attach program '\(program.name)' (\(hook)) to"
        switch created {
        case .success(let fd):
            descriptor = Locked(OwnedDescriptor(fd))
        case .failure(let error) where error.code == EINVAL && hook != .xdp:
            // The program and interface were checked above: what is left
            // to refuse is the attach type, unknown before Linux 6.6.
            throw BPFError(
                .unsupported, operation: operation, object: "interface '\(interfaceName)'",
                detail: "this kernel has no TCX (Linux 6.6 or later); use --attach socket")
        case .failure(let error) where error.code == EBUSY || error.code == EEXIST:
            throw BPFError(
                .busy, operation: operation, object: "interface '\(interfaceName)'",
                detail: "another XDP program is attached there")
        case .failure(let error):
            throw BPFError.fromErrno(error.code, operation: operation, object: "interface '\(interfaceName)'")
        }
        self.interface = interface
        self.hook = hook
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
