#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Where the exporter listens.
public struct ExporterConfiguration: Sendable, Equatable {
    /// An IPv4 or IPv6 address (without brackets) or a host name.
    public var host: String
    /// 0 = any free port.
    public var port: Int

    /// Loopback by default: counters of a capture point are nobody else's
    /// business until the operator says so.
    public init(host: String = "127.0.0.1", port: Int) {
        self.host = host
        self.port = port
    }

    /// Parses "ADDR:PORT" or "[IPv6]:PORT"; throws a one-line error naming
    /// the bad text.
    public static func parse(listen text: String) throws -> ExporterConfiguration {
        func fail(_ reason: String) -> ListenAddressError { ListenAddressError(text: text, reason: reason) }

        let host: Substring
        let portText: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { throw fail("'[' without ']'") }
            host = text[text.index(after: text.startIndex)..<close]
            let rest = text[text.index(after: close)...]
            guard rest.hasPrefix(":") else { throw fail("expected ':PORT' after ']'") }
            portText = rest.dropFirst()
            guard isIPv6(host) else { throw fail("not an IPv6 address between the brackets") }
        } else {
            guard let colon = text.lastIndex(of: ":") else { throw fail("expected ADDR:PORT, e.g. 127.0.0.1:8080") }
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
            if host.contains(":") {
                throw fail("an IPv6 address needs brackets, e.g. [::1]:8080")
            }
            // Go's ":PORT" means every interface; saying so must be explicit here.
            guard !host.isEmpty else {
                throw fail("missing address (127.0.0.1:PORT, or 0.0.0.0:PORT for every interface)")
            }
            guard isHostName(host) else { throw fail("the address is neither an IPv4 address nor a host name") }
        }
        guard !portText.isEmpty, portText.utf8.count <= 5, portText.allSatisfy({ $0.isASCII && $0.isNumber }),
            let port = Int(portText), port <= 65535
        else {
            throw fail("port must be a number from 0 to 65535")
        }
        return ExporterConfiguration(host: String(host), port: port)
    }

    /// "127.0.0.1:8080" or "[::1]:8080": the form `parse` reads.
    public var listenText: String {
        host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }

    /// A literal IPv6 address, optionally with a zone ("fe80::1%eth0").
    private static func isIPv6(_ text: Substring) -> Bool {
        let address = text.split(separator: "%", maxSplits: 1, omittingEmptySubsequences: false)
        guard let first = address.first, !first.isEmpty, address.count == 1 || !address[1].isEmpty else { return false }
        var storage = in6_addr()
        return inet_pton(AF_INET6, String(first), &storage) == 1
    }

    /// IPv4 literals and DNS names alike: letters, digits, '-', '.'.
    private static func isHostName(_ text: Substring) -> Bool {
        text.utf8.count <= 253
            && text.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == ".") }
    }
}
