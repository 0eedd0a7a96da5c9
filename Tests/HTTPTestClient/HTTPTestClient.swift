import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// One response as it came off the socket.
public struct HTTPTestResponse: Sendable {
    public var status: Int
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]

    public func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }

    public var text: String { String(decoding: body, as: UTF8.self) }
}

public struct HTTPTestError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// A plain blocking TCP connection speaking just enough HTTP/1.1 to check
/// the server: raw bytes out, one response (or the connection's end) in.
/// Independent of Hummingbird and NIO on purpose. One thread at a time.
/// The exporter's tests and its fuzz target (vtap-fuzz http) share it.
public final class HTTPTestConnection: @unchecked Sendable {
    private let socket: Int32
    private let timeout: Double
    private var buffered: [UInt8] = []

    /// Connects to a numeric address with send and receive timeouts.
    public init(host: String = "127.0.0.1", port: Int, timeout: Double = 10) throws {
        let isIPv6 = host.contains(":")
        self.timeout = timeout
        socket = Glibc.socket(isIPv6 ? AF_INET6 : AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socket >= 0 else { throw HTTPTestError("socket: \(String(cString: strerror(errno)))") }
        var time = timeval(tv_sec: Int(timeout), tv_usec: Int((timeout - timeout.rounded(.down)) * 1e6))
        setsockopt(socket, SOL_SOCKET, SO_RCVTIMEO, &time, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(socket, SOL_SOCKET, SO_SNDTIMEO, &time, socklen_t(MemoryLayout<timeval>.size))
        let result: Int32
        if isIPv6 {
            var address = sockaddr_in6()
            address.sin6_family = sa_family_t(AF_INET6)
            address.sin6_port = in_port_t(UInt16(port).bigEndian)
            inet_pton(AF_INET6, host, &address.sin6_addr)
            result = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in6>.size))
                }
            }
        } else {
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = in_port_t(UInt16(port).bigEndian)
            inet_pton(AF_INET, host, &address.sin_addr)
            result = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
        }
        // A signal (libFuzzer's timer, in vtap-fuzz) interrupts a blocking
        // connect, which then goes on by itself: wait for its outcome.
        guard result == 0 || (errno == EINTR && Self.finishConnect(socket, timeout: timeout)) else {
            let reason = String(cString: strerror(errno))
            Glibc.close(socket)
            throw HTTPTestError("connect to \(host):\(port): \(reason)")
        }
    }

    deinit { Glibc.close(socket) }

    /// Whether an interrupted connect succeeded within `timeout` seconds;
    /// errno says why not when it did not.
    private static func finishConnect(_ socket: Int32, timeout: Double) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        var poller = pollfd(fd: socket, events: Int16(POLLOUT), revents: 0)
        while poll(&poller, 1, Int32(max(0, deadline.timeIntervalSinceNow) * 1000)) < 0 {
            guard errno == EINTR else { return false }
        }
        var error: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        guard poller.revents != 0, getsockopt(socket, SOL_SOCKET, SO_ERROR, &error, &length) == 0 else {
            errno = ETIMEDOUT
            return false
        }
        errno = error
        return error == 0
    }

    public func send(_ text: String) throws { try send(Array(text.utf8)) }

    public func send(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes {
                Glibc.send(socket, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL))
            }
            if sent < 0 && errno == EINTR { continue }
            guard sent > 0 else { throw HTTPTestError("send: \(String(cString: strerror(errno)))") }
            offset += sent
        }
    }

    /// A GET (or another method) with the given extra header lines.
    public func request(_ method: String = "GET", _ path: String, headers: [String] = []) throws -> HTTPTestResponse {
        let lines = ["\(method) \(path) HTTP/1.1", "Host: test"] + headers
        try send(lines.joined(separator: "\r\n") + "\r\n\r\n")
        return try readResponse(bodyless: method == "HEAD")
    }

    /// One response, its body by Content-Length (or to the end of the
    /// connection when there is none).
    public func readResponse(bodyless: Bool = false) throws -> HTTPTestResponse {
        let separator = Array("\r\n\r\n".utf8)
        var headEnd: Int?
        while headEnd == nil {
            headEnd = buffered.firstRange(of: separator)?.upperBound
            if headEnd == nil {
                guard try fill() else { throw HTTPTestError("connection closed before a response head") }
            }
        }
        let head = String(decoding: buffered[..<headEnd!], as: UTF8.self)
        buffered.removeFirst(headEnd!)
        let lines = head.split(separator: "\r\n").map(String.init)
        guard let statusLine = lines.first, statusLine.hasPrefix("HTTP/1.1 "),
            let status = Int(statusLine.dropFirst(9).prefix(3))
        else { throw HTTPTestError("bad status line: \(lines.first ?? "")") }
        let headers = lines.dropFirst().compactMap { line -> (name: String, value: String)? in
            guard let colon = line.firstIndex(of: ":") else { return nil }
            return (String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
        }
        var response = HTTPTestResponse(status: status, headers: headers, body: [])
        if bodyless { return response }
        if let length = response.header("Content-Length").flatMap(Int.init) {
            while buffered.count < length {
                guard try fill() else {
                    throw HTTPTestError("connection closed after \(buffered.count) of \(length) body bytes")
                }
            }
            response.body = Array(buffered[..<length])
            buffered.removeFirst(length)
        } else {
            while try fill() {}
            response.body = buffered
            buffered = []
        }
        return response
    }

    /// A client's whole conversation: `bytes` sent (as many as the server
    /// takes before it closes: what it answered until then still counts),
    /// the sending half closed, then everything the server sends until it
    /// closes too. Nil when it does not close: a wait for more bytes ran
    /// into the connection's timeout.
    public func exchange(_ bytes: [UInt8]) -> [UInt8]? {
        try? send(bytes)
        Glibc.shutdown(socket, Int32(SHUT_WR))
        defer { buffered = [] }
        do {
            while try fill() {}
        } catch {
            return nil
        }
        return buffered
    }

    /// Whether the server closes the connection within `timeout` seconds
    /// (whatever it sends before).
    public func closedByServer(within timeout: Double) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            var poller = pollfd(fd: socket, events: Int16(POLLIN), revents: 0)
            let ready = poll(&poller, 1, 100)
            if ready > 0 {
                var chunk = [UInt8](repeating: 0, count: 65536)
                let count = recv(socket, &chunk, chunk.count, 0)
                if count <= 0 { return true }
            }
        }
        return false
    }

    /// More bytes into the buffer; false at the end of the connection.
    private func fill() throws -> Bool {
        var chunk = [UInt8](repeating: 0, count: 65536)
        let deadline = Date().addingTimeInterval(timeout)
        var count = recv(socket, &chunk, chunk.count, 0)
        // A signal cuts the receive timeout short: wait out the rest of it.
        while count < 0 && errno == EINTR && Date() < deadline {
            count = recv(socket, &chunk, chunk.count, 0)
        }
        if count < 0 {
            if errno == ECONNRESET { return false }
            throw HTTPTestError("recv: \(String(cString: strerror(errno)))")
        }
        buffered.append(contentsOf: chunk[..<count])
        return count > 0
    }
}

public enum HTTPTestClient {
    /// One request on a connection of its own.
    public static func get(
        _ path: String, port: Int, host: String = "127.0.0.1", method: String = "GET", headers: [String] = []
    ) throws -> HTTPTestResponse {
        // A generous timeout: the server answers on the shared cooperative
        // pool, which other tests of the same run can keep busy for a while.
        let connection = try HTTPTestConnection(host: host, port: port, timeout: 60)
        return try connection.request(method, path, headers: headers + ["Connection: close"])
    }
}
