import VtapRuleModel

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
        switch HostPort.parse(text) {
        case .success(let parsed): return ExporterConfiguration(host: parsed.host, port: parsed.port)
        case .failure(.missingAddress):
            // Go's ":PORT" means every interface; saying so must be explicit here.
            throw ListenAddressError(
                text: text, reason: "missing address (127.0.0.1:PORT, or 0.0.0.0:PORT for every interface)")
        case .failure(let failure): throw ListenAddressError(text: text, reason: failure.reason)
        }
    }

    /// "127.0.0.1:8080" or "[::1]:8080": the form `parse` reads.
    public var listenText: String { HostPort(host: host, port: port).text }
}
