/// An IPFIX collector's address as the rules file's KPIS IPFIX and `vtap
/// run --ipfix` write it: `HOST:PORT`, or `[IPv6]:PORT`. The host is not
/// resolved here; that happens when the exporter starts.
public struct CollectorAddress: Sendable, Hashable, CustomStringConvertible {
    public var host: String
    public var port: UInt16

    /// Nil unless `text` is HOST:PORT (HostPort) with a port from 1.
    public init?(_ text: String) {
        guard case .success(let parsed) = HostPort.parse(text), parsed.port > 0, let port = UInt16(exactly: parsed.port)
        else { return nil }
        host = parsed.host
        self.port = port
    }

    public var description: String { HostPort(host: host, port: Int(port)).text }
}
