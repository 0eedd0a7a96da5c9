#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A listen address that does not parse.
public struct ListenAddressError: Error, Equatable, CustomStringConvertible {
    public var text: String
    public var reason: String
    public var description: String {
        // The quoted text escapes control characters, so this stays one line.
        "invalid listen address \(String(reflecting: text)): \(reason)"
    }
}
