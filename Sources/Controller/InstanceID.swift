/// Instance ids name files in the state directory, so they are short and
/// plain; the controller hands out "1", "2", … when none is given.
public enum InstanceID {
    public static func validate(_ id: String) throws {
        let allowed = id.utf8.allSatisfy { byte in
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-")
        }
        guard allowed, (1...64).contains(id.utf8.count), !id.hasPrefix(".") else {
            throw ControllerError.invalidID(id)
        }
    }

    /// The smallest positive integer, as text, that is not in `taken`.
    public static func lowestFree(excluding taken: Set<String>) -> String {
        var candidate = 1
        while taken.contains(String(candidate)) { candidate += 1 }
        return String(candidate)
    }

    /// Numeric ids in numeric order, then the others by name: 1, 2, 10, db, web.
    public static func precedes(_ a: String, _ b: String) -> Bool {
        switch (Int(a), Int(b)) {
        case (let x?, let y?): x != y ? x < y : a < b
        case (.some, nil): true
        case (nil, .some): false
        case (nil, nil): a < b
        }
    }

    /// "10 s", "0.5 s".
    static func seconds(_ value: Double) -> String {
        value == value.rounded() ? "\(Int(value)) s" : "\(value) s"
    }
}
