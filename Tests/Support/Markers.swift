import VtapDiagnostics

/// Test input with the expected spots marked inline. `‸` (U+2038, "caret
/// insertion point") is stripped before parsing; each one records the byte
/// offset of the character that followed it, so a test says *where* a
/// diagnostic belongs without hard-coding line and column numbers:
///
///     let input = Marked(#"{"RULES": [‸"1.2.3 - - - -"]}"#)
///     #expect(diagnostic.range?.start == input.offset)
public struct Marked: Sendable {
    public static let marker: Unicode.Scalar = "‸"

    /// The input with every marker removed.
    public let text: String
    /// Byte offsets into `text`, in order of appearance.
    public let offsets: [Int]
    public let file: SourceFile

    public init(_ marked: String, path: String = "test.json") {
        // Scalars, not characters: a marker before a combining mark would
        // otherwise merge with it into one character and stay in the text.
        var clean = String.UnicodeScalarView()
        var offsets: [Int] = []
        var byteCount = 0
        for scalar in marked.unicodeScalars {
            if scalar == Self.marker {
                offsets.append(byteCount)
            } else {
                clean.append(scalar)
                byteCount += UTF8.width(scalar)
            }
        }
        self.text = String(clean)
        self.offsets = offsets
        self.file = SourceFile(path: path, text: text)
    }

    /// The only marker's offset; traps when there is not exactly one, which
    /// is a mistake in the test itself.
    public var offset: Int {
        precondition(offsets.count == 1, "expected exactly one \(Self.marker) marker, found \(offsets.count)")
        return offsets[0]
    }

    /// The range between the first and the second marker.
    public var range: SourceRange {
        precondition(offsets.count == 2, "expected two \(Self.marker) markers, found \(offsets.count)")
        return SourceRange(start: offsets[0], end: offsets[1])
    }

    /// 1-based line and column of the only marker.
    public var location: SourceLocation { file.location(of: offset) }

    public func location(_ index: Int) -> SourceLocation { file.location(of: offsets[index]) }
}
