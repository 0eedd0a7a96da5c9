#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// "HOST:PORT" or "[IPv6]:PORT", as vtap's flags and rules files write an
/// endpoint: the one parser behind `--listen` (ExporterConfiguration) and
/// the IPFIX collector (CollectorAddress). The host is an IPv4 literal or
/// DNS name (letters, digits, '-', '.'), or a bracketed IPv6 literal with
/// an optional zone; the port 0 to 65535 (callers narrow it).
public struct HostPort: Sendable, Hashable {
    /// Without brackets.
    public var host: String
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Why a text is not HOST:PORT; `reason` is a phrase for a one-line error.
    public enum Failure: Error, Sendable, Equatable {
        case malformed(String)
        /// ":PORT": no host before the colon.
        case missingAddress

        public var reason: String {
            switch self {
            case .malformed(let reason): reason
            case .missingAddress: "missing address"
            }
        }
    }

    public static func parse(_ text: String) -> Result<HostPort, Failure> {
        func fail(_ reason: String) -> Result<HostPort, Failure> { .failure(.malformed(reason)) }
        let host: Substring
        let portText: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { return fail("'[' without ']'") }
            host = text[text.index(after: text.startIndex)..<close]
            let rest = text[text.index(after: close)...]
            guard rest.hasPrefix(":") else { return fail("expected ':PORT' after ']'") }
            portText = rest.dropFirst()
            guard isIPv6(host) else { return fail("not an IPv6 address between the brackets") }
        } else {
            guard let colon = text.lastIndex(of: ":") else { return fail("expected ADDR:PORT, e.g. 127.0.0.1:8080") }
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
            if host.contains(":") { return fail("an IPv6 address needs brackets, e.g. [::1]:8080") }
            guard !host.isEmpty else { return .failure(.missingAddress) }
            guard isHostName(host) else { return fail("the address is neither an IPv4 address nor a host name") }
        }
        guard !portText.isEmpty, portText.utf8.count <= 5, portText.allSatisfy({ $0.isASCII && $0.isNumber }),
            let port = Int(portText), port <= 65535
        else { return fail("port must be a number from 0 to 65535") }
        return .success(HostPort(host: String(host), port: port))
    }

    /// "127.0.0.1:8080" or "[::1]:8080": the form `parse` reads.
    public var text: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }

    /// A literal IPv6 address, optionally with a zone ("fe80::1%eth0").
    private static func isIPv6(_ text: Substring) -> Bool {
        let address = text.split(separator: "%", maxSplits: 1, omittingEmptySubsequences: false)
        guard let first = address.first, !first.isEmpty, address.count == 1 || !address[1].isEmpty else { return false }
        var storage = in6_addr()
        return inet_pton(AF_INET6, String(first), &storage) == 1
    }

    /// IPv4 literals and DNS names alike: letters, digits, '-', '.', not
    /// starting with '-' or '.' (RFC 1123), at most 253 bytes.
    private static func isHostName(_ text: Substring) -> Bool {
        text.utf8.count <= 253 && text.first != "-" && text.first != "."
            && text.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == ".") }
    }
}
