/// An IPFIX collector's address as the rules file's KPIS IPFIX and `vtap
/// run --ipfix` write it: `HOST:PORT`, or `[IPv6]:PORT`. The host is not
/// resolved here; that happens when the exporter starts.
public struct CollectorAddress: Sendable, Hashable, CustomStringConvertible {
    public var host: String
    public var port: UInt16

    public init?(_ text: String) {
        let hostPart: Substring
        let portPart: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]"), text[text.index(after: close)...].hasPrefix(":") else {
                return nil
            }
            hostPart = text[text.index(after: text.startIndex)..<close]
            portPart = text[text.index(close, offsetBy: 2)...]
            guard hostPart.contains(":"), hostPart.allSatisfy({ $0.isHexDigit || $0 == ":" || $0 == "." }) else {
                return nil
            }
        } else {
            guard let colon = text.lastIndex(of: ":"), !text[..<colon].contains(":") else { return nil }
            hostPart = text[..<colon]
            portPart = text[text.index(after: colon)...]
            // A name (RFC 1123 letters, digits, hyphens, dots) or a dotted quad.
            guard
                hostPart.allSatisfy({ ($0.isASCII && ($0.isLetter || $0.isNumber)) || $0 == "-" || $0 == "." }),
                hostPart.first != "-", hostPart.first != "."
            else { return nil }
        }
        guard !hostPart.isEmpty, hostPart.count <= 253, !portPart.isEmpty, portPart.allSatisfy(\.isNumber),
            let port = UInt16(portPart), port > 0
        else { return nil }
        host = String(hostPart)
        self.port = port
    }

    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}
