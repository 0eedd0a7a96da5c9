import CLibbpf

#if canImport(Glibc)
    import Glibc
#endif

/// An AF_PACKET raw socket on one interface with a socket-filter program
/// attached: the program sees every frame the interface sends or receives.
///
/// The socket is created with protocol 0 (it receives nothing), the
/// program is attached, and only then is it bound to ETH_P_ALL on the
/// interface, so no frame reaches the socket unfiltered. Closing the socket
/// (deinit, or ``close()``) detaches the program.
///
/// Thread-safety: immutable after creation; ``close()`` may be called once
/// from any thread.
public final class PacketSocket: @unchecked Sendable {
    /// The interface the socket is bound to.
    public let interface: NetworkInterface
    /// The attached program (kept alive by the socket).
    public let program: BPFProgram
    private let descriptor: Locked<OwnedDescriptor?>

    /// The default receive buffer: small, because a counting filter keeps
    /// no packets (it returns 0) and nothing ever reads the socket.
    public static let defaultReceiveBufferSize = 4096

    /// Opens a packet socket on `interfaceName` and attaches `program`
    /// (a loaded socket filter).
    ///
    /// - Throws: ``BPFError`` `.notFound` naming a missing interface,
    ///   `.permission` without CAP_NET_RAW, `.invalidArgument` if the
    ///   program is not loaded or not a socket filter.
    public init(
        interface interfaceName: String, program: BPFProgram,
        receiveBufferSize: Int = PacketSocket.defaultReceiveBufferSize
    ) throws {
        let interface = try NetworkInterface.named(interfaceName)
        let programFD = try program.loadedDescriptor(for: "attach to interface '\(interfaceName)'")
        guard program.type == .socketFilter else {
            throw BPFError(
                .invalidArgument, operation: "attach", object: "program '\(program.name)'",
                detail: "a packet socket needs a socket_filter program, this is \(program.type)")
        }
        let target = "interface '\(interfaceName)'"
        // 1. A packet socket that receives nothing until bound with a protocol.
        let created = retryingOnInterrupt {
            socket(AF_PACKET, Int32(SOCK_RAW.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        }
        let fd: Int32
        switch created {
        case .success(let value): fd = value
        case .failure(let error):
            throw BPFError.fromErrno(error.code, operation: "open packet socket on", object: target)
        }
        let owned = OwnedDescriptor(fd)  // closes on every error path below
        // 2. The filter, before any packet can arrive.
        var programValue = programFD
        try Self.setOption(fd, SOL_SOCKET, SO_ATTACH_BPF, &programValue, "attach program '\(program.name)' to", target)
        // 3. A small receive buffer.
        var bufferSize = Int32(clamping: max(receiveBufferSize, 256))
        try Self.setOption(fd, SOL_SOCKET, SO_RCVBUF, &bufferSize, "set receive buffer of", target)
        // 4. Bind: from now on the filter sees every frame on the interface.
        var address = sockaddr_ll()
        address.sll_family = UInt16(AF_PACKET)
        address.sll_protocol = UInt16(ETH_P_ALL).bigEndian
        address.sll_ifindex = Int32(bitPattern: interface.index)
        let bound = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
                retryingOnInterrupt { bind(fd, socketAddress, socklen_t(MemoryLayout<sockaddr_ll>.size)) }
            }
        }
        if case .failure(let error) = bound {
            throw BPFError.fromErrno(
                error.code, operation: "bind packet socket to", object: target,
                detail: error.code == ENETDOWN ? "interface is down" : nil)
        }
        self.interface = interface
        self.program = program
        descriptor = Locked(owned)
    }

    /// The socket's descriptor, nil once closed.
    public var fileDescriptor: Int32? { descriptor.withLock { $0?.rawValue } }

    /// Closes the socket, detaching the program; idempotent.
    public func close() {
        let owned = descriptor.withLock { value -> OwnedDescriptor? in
            defer { value = nil }
            return value
        }
        withExtendedLifetime(owned) {}  // the descriptor closes here
    }

    private static func setOption<T>(
        _ fd: Int32, _ level: Int32, _ name: Int32, _ value: inout T, _ operation: String, _ object: String
    ) throws {
        let result = withUnsafePointer(to: &value) { pointer in
            retryingOnInterrupt { setsockopt(fd, level, name, pointer, socklen_t(MemoryLayout<T>.size)) }
        }
        if case .failure(let error) = result {
            throw BPFError.fromErrno(error.code, operation: operation, object: object)
        }
    }
}

/// A network interface: name, index, link type and state.
public struct NetworkInterface: Sendable, Equatable, CustomStringConvertible {
    public var name: String
    public var index: UInt32
    /// The ARPHRD_* hardware type (1 Ethernet, 772 loopback, 65534 none, ...).
    public var linkType: UInt16
    /// IFF_UP: administratively up.
    public var isUp: Bool
    /// IFF_RUNNING: carrier / operationally up.
    public var isRunning: Bool

    /// A name for ``linkType``, e.g. "ether", "loopback".
    public var linkTypeName: String {
        switch linkType {
        case 1: "ether"
        case 768: "ipip"
        case 769: "tunnel6"
        case 772: "loopback"
        case 776: "sit"
        case 778: "ipgre"
        case 801: "ieee80211"
        case 823: "ip6gre"
        case 65534: "none"
        default: "arphrd \(linkType)"
        }
    }

    public var description: String {
        "\(name) (index \(index), \(linkTypeName), \(isUp ? "up" : "down"))"
    }

    /// Every interface in this network namespace, by index.
    public static func all() throws -> [NetworkInterface] {
        guard let list = if_nameindex() else {
            throw BPFError.fromErrno(currentErrno(), operation: "list interfaces")
        }
        defer { if_freenameindex(list) }
        var names: [String] = []
        var cursor = list
        while cursor.pointee.if_index != 0, let name = cursor.pointee.if_name {
            names.append(String(cString: name))
            cursor += 1
        }
        let probe = try controlSocket()
        return withExtendedLifetime(probe) {
            names.compactMap { try? describe($0, using: probe.rawValue) }.sorted { $0.index < $1.index }
        }
    }

    /// The interface called `name`. - Throws: `.notFound` naming it.
    public static func named(_ name: String) throws -> NetworkInterface {
        guard !name.isEmpty, name.utf8.count < Int(IFNAMSIZ) else {
            throw BPFError(
                .notFound, operation: "find", object: "interface '\(name)'", detail: "not a valid interface name")
        }
        let probe = try controlSocket()
        return try withExtendedLifetime(probe) { try describe(name, using: probe.rawValue) }
    }

    private static func controlSocket() throws -> OwnedDescriptor {
        switch retryingOnInterrupt({ socket(AF_INET, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0) }) {
        case .success(let fd): return OwnedDescriptor(fd)
        case .failure(let error): throw BPFError.fromErrno(error.code, operation: "open control socket")
        }
    }

    private static func describe(_ name: String, using fd: Int32) throws -> NetworkInterface {
        let object = "interface '\(name)'"
        let index = if_nametoindex(name)
        guard index != 0 else {
            let code = currentErrno()
            throw code == ENODEV || code == ENXIO || code == ENOENT
                ? BPFError(.notFound, operation: "find", object: object, errno: ENODEV)
                : BPFError.fromErrno(code, operation: "find", object: object)
        }
        var request = ifreq()
        withUnsafeMutableBytes(of: &request.ifr_ifrn.ifrn_name) { raw in
            for (offset, byte) in name.utf8.prefix(raw.count - 1).enumerated() { raw[offset] = byte }
        }
        try ioctlOrThrow(fd, UInt(SIOCGIFFLAGS), &request, object)
        let flags = Int32(request.ifr_ifru.ifru_flags)
        try ioctlOrThrow(fd, UInt(SIOCGIFHWADDR), &request, object)
        let linkType = request.ifr_ifru.ifru_hwaddr.sa_family
        return NetworkInterface(
            name: name, index: index, linkType: linkType, isUp: flags & Int32(IFF_UP) != 0,
            isRunning: flags & Int32(IFF_RUNNING) != 0)
    }

    private static func ioctlOrThrow(_ fd: Int32, _ request: UInt, _ ifr: inout ifreq, _ object: String) throws {
        let result = retryingOnInterrupt { vtap_ioctl_ifreq(fd, request, &ifr) }
        if case .failure(let error) = result {
            throw BPFError.fromErrno(error.code, operation: "query", object: object)
        }
    }
}
