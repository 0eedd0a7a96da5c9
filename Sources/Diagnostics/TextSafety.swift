/// Characters rejected in rule strings and rule names. Rules never reach
/// generated C as text, but names reach terminals, logs and metric labels,
/// where control characters and bidirectional overrides can disguise text.
public enum TextSafety {
    public static func isDisallowed(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x00...0x1F, 0x7F...0x9F: true  // C0, DEL, C1
        case 0x061C, 0x200E, 0x200F, 0x202A...0x202E, 0x2066...0x2069: true  // bidi controls
        case 0x2028, 0x2029: true  // line and paragraph separators
        default: false
        }
    }

    /// The first disallowed scalar and its UTF-8 offset, skipping those
    /// `allowed` accepts (rule strings accept tab as a separator).
    public static func firstDisallowed(
        in text: String, allowing allowed: (Unicode.Scalar) -> Bool = { _ in false }
    ) -> (scalar: Unicode.Scalar, utf8Offset: Int)? {
        // Printable ASCII, the usual case, needs no decoding.
        if text.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) { return nil }
        var offset = 0
        for scalar in text.unicodeScalars {
            if isDisallowed(scalar), !allowed(scalar) { return (scalar, offset) }
            offset += UTF8.width(scalar)
        }
        return nil
    }

    /// `text` with each disallowed character written as `<U+202E>`: for
    /// messages that quote what a file holds (an unknown key, a name).
    public static func visible(_ text: String) -> String {
        guard firstDisallowed(in: text) != nil else { return text }
        var out = ""
        for scalar in text.unicodeScalars {
            if isDisallowed(scalar) { out += "<\(codePoint(scalar))>" } else { out.unicodeScalars.append(scalar) }
        }
        return out
    }

    /// `U+0007`, for messages.
    public static func codePoint(_ scalar: Unicode.Scalar) -> String {
        "U+" + String(scalar.value, radix: 16, uppercase: true).zeroPadded(to: 4)
    }
}

extension String {
    /// `7` -> `0007`: code points and bytes in messages.
    package func zeroPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
