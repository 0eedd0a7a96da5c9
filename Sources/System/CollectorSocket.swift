import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A socket to a collector (IPFIX over UDP or TCP): resolved and connected
/// once, then whole messages sent. POSIX sockets, not swift-nio: the
/// exporter sends a few messages a second from the events thread, which
/// a blocking send serves without an event loop of its own.
public final class CollectorSocket: @unchecked Sendable {
    public enum Transport: Sendable { case udp, tcp }

    private let descriptor: Int32
    public let transport: Transport

    /// Resolves `host` (a name or an address) and connects; a TCP connect
    /// gives up after `timeoutSeconds`.
    public init(host: String, port: UInt16, transport: Transport, timeoutSeconds: Int = 5) throws {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(transport == .udp ? SOCK_DGRAM.rawValue : SOCK_STREAM.rawValue)
        var found: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &found)
        guard status == 0, let first = found else {
            throw CollectorSocketError("cannot resolve \(host): \(String(cString: gai_strerror(status)))")
        }
        defer { freeaddrinfo(first) }
        var lastError = SystemError(EADDRNOTAVAIL)
        var candidate: UnsafeMutablePointer<addrinfo>? = first
        while let info = candidate {
            candidate = info.pointee.ai_next
            let fd = socket(info.pointee.ai_family, info.pointee.ai_socktype | Int32(SOCK_CLOEXEC.rawValue), 0)
            guard fd >= 0 else {
                lastError = .current
                continue
            }
            var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
            setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            if connect(fd, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0 {
                descriptor = fd
                self.transport = transport
                return
            }
            lastError = .current
            close(fd)
        }
        throw CollectorSocketError("cannot connect to \(host) port \(port): \(lastError)")
    }

    /// Sends one message whole: one datagram, or every byte on the stream.
    public func send(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes.withUnsafeBytes { buffer in
                Glibc.send(descriptor, buffer.baseAddress! + offset, buffer.count - offset, Int32(MSG_NOSIGNAL))
            }
            if sent < 0 {
                if errno == EINTR { continue }
                throw SystemError.current
            }
            offset += sent
            if transport == .udp { break }
        }
    }

    deinit { close(descriptor) }
}

public struct CollectorSocketError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}
