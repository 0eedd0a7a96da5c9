import Foundation
import VtapRuleModel

/// Textual IP addresses for readable tests ("10.1.0.8", "2001:db8::1").
/// Invalid literals are programming errors in a test, so they trap.
public enum IPAddressText {
    public static func v4(_ text: String) -> UInt32 {
        var address = in_addr()
        guard inet_pton(AF_INET, text, &address) == 1 else {
            preconditionFailure("not an IPv4 address: \(text)")
        }
        return UInt32(bigEndian: address.s_addr)
    }

    public static func v6(_ text: String) -> UInt128 {
        var address = in6_addr()
        guard inet_pton(AF_INET6, text, &address) == 1 else {
            preconditionFailure("not an IPv6 address: \(text)")
        }
        return withUnsafeBytes(of: &address) { raw in
            raw.reduce(UInt128(0)) { $0 << 8 | UInt128($1) }
        }
    }

    /// Parses either family; `nil` for anything else (e.g. tshark output).
    public static func parse(_ text: String) -> PacketFields.Address? {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 { return .v4(UInt32(bigEndian: v4.s_addr)) }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, text, &v6) == 1 {
            return .v6(withUnsafeBytes(of: &v6) { $0.reduce(UInt128(0)) { $0 << 8 | UInt128($1) } })
        }
        return nil
    }

    public static func format(_ address: PacketFields.Address) -> String {
        switch address {
        case .v4(let value):
            return (0..<4).map { String(value >> UInt32(24 - 8 * $0) & 0xFF) }.joined(separator: ".")
        case .v6(let value):
            var bytes: [UInt8] = []
            bytes.appendBigEndian(value)
            var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
            return bytes.withUnsafeBytes { raw in
                guard inet_ntop(AF_INET6, raw.baseAddress, &buffer, socklen_t(buffer.count)) != nil else {
                    return "?"
                }
                return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            }
        }
    }
}
