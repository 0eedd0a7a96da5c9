/// An IP address as written in a rule.
enum IPAddress: Equatable {
    case v4(UInt32)
    case v6(UInt128)
}

/// Why a text is not an address; completes "'x' is not a valid address: …".
struct AddressTextError: Error, Equatable {
    var reason: String
}

/// Strict parsers for address text: IPv4 dotted quads and the RFC 4291
/// IPv6 forms (`::` compression, embedded IPv4), without zone ids.
enum AddressText {
    static func parse(_ text: Substring) -> Result<IPAddress, AddressTextError> {
        if text.utf8.contains(UInt8(ascii: ":")) { return parseIPv6(text).map(IPAddress.v6) }
        return parseIPv4(text.utf8).map(IPAddress.v4)
    }

    /// Exactly four decimal parts 0–255. Leading zeros are rejected because
    /// other tools read `010` as octal 8.
    static func parseIPv4<C: Collection>(_ text: C) -> Result<UInt32, AddressTextError> where C.Element == UInt8 {
        let parts = text.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        guard parts.count == 4 else {
            return .failure(.init(reason: "an IPv4 address has 4 parts, found \(parts.count)"))
        }
        var value: UInt32 = 0
        for part in parts {
            func shown() -> String { String(decoding: part, as: UTF8.self) }
            guard !part.isEmpty else { return .failure(.init(reason: "empty part")) }
            guard let byte = DecimalText.value(part, limit: 255) else {
                return .failure(.init(reason: "'\(shown())' is not a decimal number"))
            }
            guard part.count == 1 || part.first != UInt8(ascii: "0") else {
                return .failure(.init(reason: "'\(shown())' has a leading zero, which some tools read as octal"))
            }
            guard byte <= 255 else { return .failure(.init(reason: "\(shown()) is greater than 255")) }
            value = value << 8 | UInt32(byte)
        }
        return .success(value)
    }

    /// One pass over the text: groups of 1–4 hex digits separated by ':',
    /// at most one '::' standing for one or more zero groups, and a dotted
    /// IPv4 address in place of the last two groups.
    static func parseIPv6(_ text: Substring) -> Result<UInt128, AddressTextError> {
        if let percent = text.firstIndex(of: "%") {
            return .failure(.init(reason: "zone ids ('\(text[percent...])') are not supported"))
        }
        let bytes = Array(text.utf8)
        let colon = UInt8(ascii: ":")
        var groups: [UInt16] = []
        groups.reserveCapacity(8)
        /// Where '::' stands, as a count of the groups before it.
        var compression: Int?
        var index = 0
        if bytes.starts(with: [colon, colon]) {
            compression = 0
            index = 2
        }
        while index < bytes.count {
            let start = index
            while index < bytes.count, bytes[index] != colon { index += 1 }
            let part = bytes[start..<index]
            func shown() -> String { String(decoding: part, as: UTF8.self) }
            guard !part.isEmpty else { return .failure(.init(reason: "empty group; ':' must separate groups")) }
            if part.contains(UInt8(ascii: ".")) {
                guard index == bytes.count else {
                    return .failure(.init(reason: "an embedded IPv4 address must come last"))
                }
                switch parseIPv4(part) {
                case .success(let v4):
                    groups += [UInt16(v4 >> 16), UInt16(v4 & 0xFFFF)]
                case .failure(let error):
                    return .failure(.init(reason: "embedded IPv4 '\(shown())': \(error.reason)"))
                }
                break  // the last group
            }
            guard part.count <= 4 else {
                return .failure(.init(reason: "group '\(shown())' has more than 4 hex digits"))
            }
            var group: UInt16 = 0
            for byte in part {
                guard let digit = hexValue(byte) else {
                    return .failure(.init(reason: "group '\(shown())' is not hexadecimal"))
                }
                group = group << 4 | digit
            }
            groups.append(group)
            guard index < bytes.count else { break }
            index += 1  // the ':' after the group
            if index < bytes.count, bytes[index] == colon {
                guard compression == nil else { return .failure(.init(reason: "'::' may appear only once")) }
                compression = groups.count
                index += 1
            } else if index == bytes.count {
                return .failure(.init(reason: "empty group; ':' must separate groups"))
            }
        }
        guard let compression else {
            guard groups.count == 8 else {
                return .failure(.init(reason: "expected 8 groups of hex digits, found \(groups.count)"))
            }
            return .success(combine(groups[...]))
        }
        guard groups.count <= 7 else {
            return .failure(.init(reason: "too many groups for '::' to stand for any"))
        }
        // The groups before '::' take the top bits, those after it the bottom.
        return .success(combine(groups[..<compression]) << (128 - 16 * compression) | combine(groups[compression...]))
    }

    private static func combine(_ groups: ArraySlice<UInt16>) -> UInt128 {
        groups.reduce(UInt128(0)) { $0 << 16 | UInt128($1) }
    }

    // MARK: Printing, for messages

    static func format(_ address: IPAddress) -> String {
        switch address {
        case .v4(let value):
            return (0..<4).map { String((value >> (24 - 8 * $0)) & 0xFF) }.joined(separator: ".")
        case .v6(let value):
            let groups = (0..<8).map { UInt16(truncatingIfNeeded: value >> (112 - 16 * $0)) }
            return formatIPv6(groups)
        }
    }

    /// RFC 5952: lowercase, no leading zeros, the longest run of two or
    /// more zero groups (the first, on a tie) written as `::`.
    private static func formatIPv6(_ groups: [UInt16]) -> String {
        var best: Range<Int>?
        var index = 0
        while index < groups.count {
            guard groups[index] == 0 else {
                index += 1
                continue
            }
            let start = index
            while index < groups.count, groups[index] == 0 { index += 1 }
            if index - start >= 2, index - start > (best?.count ?? 0) { best = start..<index }
        }
        let hex = groups.map { String($0, radix: 16) }
        guard let best else { return hex.joined(separator: ":") }
        return hex[..<best.lowerBound].joined(separator: ":") + "::" + hex[best.upperBound...].joined(separator: ":")
    }
}

private func hexValue(_ byte: UInt8) -> UInt16? {
    switch byte {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): UInt16(byte - UInt8(ascii: "0"))
    case UInt8(ascii: "a")...UInt8(ascii: "f"): UInt16(byte - UInt8(ascii: "a") + 10)
    case UInt8(ascii: "A")...UInt8(ascii: "F"): UInt16(byte - UInt8(ascii: "A") + 10)
    default: nil
    }
}
