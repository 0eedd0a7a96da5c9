import VtapDiagnostics

/// Line and column of rule starts, which come in increasing order. Walking
/// forward from the previous one keeps a minified file — every rule on one
/// long line — linear instead of rescanning the line for each rule.
struct LocationCursor {
    private let file: SourceFile
    private var offset = 0
    private var location = SourceLocation(line: 1, column: 1)

    init(_ file: SourceFile) { self.file = file }

    mutating func location(of target: Int) -> SourceLocation {
        guard target >= offset, target <= file.bytes.count else { return file.location(of: target) }
        while offset < target {
            let byte = file.bytes[offset]
            if byte == UInt8(ascii: "\n") {
                location = SourceLocation(line: location.line + 1, column: 1)
            } else if byte & 0xC0 != 0x80 {
                // Columns count scalars: skip UTF-8 continuation bytes.
                location.column += 1
            }
            offset += 1
        }
        return location
    }
}
