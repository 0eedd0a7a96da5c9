import VtapSystem

#if canImport(Glibc)
    import Glibc
#endif

/// An error from the BPF layer: what failed, on which object, and why.
///
/// Callers switch on ``kind``; ``description`` is one line naming the
/// operation and the object. libbpf's own printouts captured while the
/// operation ran are in ``libbpfMessages`` (never printed to the terminal).
public struct BPFError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Why an operation failed, at the granularity callers act on.
    public enum Kind: Sendable, Equatable {
        /// EPERM/EACCES outside the verifier: not root, or no CAP_BPF/CAP_NET_RAW.
        case permission
        /// The kernel lacks BPF, or this program or map type, or the feature
        /// (ENOSYS, EOPNOTSUPP, or EINVAL from a feature probe).
        case unsupported
        /// libbpf could not parse the ELF object.
        case invalidObject
        /// The verifier refused a program; the log explains why.
        case verifierRejected(VerifierLog)
        /// No such interface, program, map, variable or type.
        case notFound
        /// The resource is in use (EBUSY).
        case busy
        /// The caller passed something the operation cannot take (a packet
        /// shorter than an Ethernet header, a value of the wrong size, ...).
        case invalidArgument
        /// Any other failure of a system call, with its errno.
        case system(errno: Int32)
    }

    public var kind: Kind
    /// What was being done, e.g. "load object", "test_run", "attach to interface".
    public var operation: String
    /// What it was done to, e.g. "object 'vtap'", "map 'counts'", "interface 'eth9'".
    public var object: String?
    /// Extra detail (one line).
    public var detail: String?
    /// The errno behind the failure, when there was one.
    public var errno: Int32?
    /// libbpf's warnings printed while the operation ran, oldest first.
    public var libbpfMessages: [String]

    public init(
        _ kind: Kind, operation: String, object: String? = nil, detail: String? = nil,
        errno: Int32? = nil, libbpfMessages: [String] = []
    ) {
        self.kind = kind
        self.operation = operation
        self.object = object
        self.detail = detail
        self.errno = errno
        self.libbpfMessages = libbpfMessages
    }

    /// The verifier log, when the verifier rejected a program.
    public var verifierLog: VerifierLog? {
        if case .verifierRejected(let log) = kind { return log }
        return nil
    }

    /// One line: `<operation> <object>: <reason>[: <detail>]`.
    public var description: String {
        var text = operation
        if let object { text += " \(object)" }
        text += ": "
        switch kind {
        case .permission:
            let needed = Capability.measuring.map(\.description)
            let wants = "\(needed.dropLast().joined(separator: ", ")) and \(needed.last ?? "")"
            let missing = Capability.missing(Capability.measuring).map(\.description)
            text +=
                missing.isEmpty
                ? "permission denied (needs root, or \(wants))"
                : "permission denied: this process lacks \(missing.joined(separator: ", ")) (vtap needs root, or \(wants))"
        case .unsupported: text += "not supported by this kernel"
        case .invalidObject: text += "not a valid BPF object"
        case .verifierRejected(let log): text += "verifier rejected the program: \(log.summary)"
        case .notFound: text += "not found"
        case .busy: text += "resource busy"
        case .invalidArgument: text += "invalid argument"
        case .system(let code): text += SystemError.text(code)
        }
        if let detail, !detail.isEmpty { text += ": \(detail)" }
        if let errno, !kind.isSystem { text += " [\(errnoName(errno))]" }
        return oneLine(text)
    }

    /// Maps a positive errno to an error; the single place where errno
    /// values become kinds. `probing` marks feature probes, where EINVAL
    /// means "this kernel does not know that".
    static func fromErrno(
        _ code: Int32, operation: String, object: String? = nil, detail: String? = nil,
        probing: Bool = false, libbpfMessages: [String] = []
    ) -> BPFError {
        let code = abs(code)
        let kind: Kind
        switch code {
        case EPERM, EACCES: kind = .permission
        case ENOSYS, EOPNOTSUPP: kind = .unsupported
        case EINVAL where probing: kind = .unsupported
        case ENOENT, ENODEV, ENXIO, ESRCH: kind = .notFound
        case EBUSY: kind = .busy
        default: kind = .system(errno: code)
        }
        return BPFError(
            kind, operation: operation, object: object, detail: detail, errno: code,
            libbpfMessages: libbpfMessages)
    }
}

extension BPFError.Kind {
    fileprivate var isSystem: Bool {
        if case .system = self { return true }
        return false
    }
}

/// `EACCES`-style symbolic name for the common codes, else the number.
func errnoName(_ code: Int32) -> String {
    let names: [Int32: String] = [
        EPERM: "EPERM", ENOENT: "ENOENT", ESRCH: "ESRCH", EINTR: "EINTR", EIO: "EIO",
        ENXIO: "ENXIO", E2BIG: "E2BIG", EBADF: "EBADF", EAGAIN: "EAGAIN", ENOMEM: "ENOMEM",
        EACCES: "EACCES", EFAULT: "EFAULT", EBUSY: "EBUSY", EEXIST: "EEXIST", ENODEV: "ENODEV",
        EINVAL: "EINVAL", ENOSPC: "ENOSPC", ERANGE: "ERANGE", ENOSYS: "ENOSYS",
        EOPNOTSUPP: "EOPNOTSUPP", ELOOP: "ELOOP", EMFILE: "EMFILE", ENOTTY: "ENOTTY", ENETDOWN: "ENETDOWN",
    ]
    return names[code] ?? "errno \(code)"
}

/// Newlines and tabs become spaces: every message is one line.
func oneLine(_ text: String) -> String {
    String(text.map { $0 == "\n" || $0 == "\r" || $0 == "\t" ? " " : $0 })
}
