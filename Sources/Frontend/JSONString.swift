import VtapDiagnostics

/// A string literal: its decoded value and the way back from any UTF-8
/// offset in the value to the byte in the file that produced it. Escapes
/// make the two differ (`\u00e9` is six source bytes, two decoded bytes), and
/// rule diagnostics must still point at the exact spot.
public struct JSONString: Sendable {
    public let value: String
    /// The literal including its quotes.
    public let range: SourceRange
    /// Between the quotes (up to where the literal stopped, if unterminated).
    public let contentRange: SourceRange
    /// Empty when the value is the content verbatim (no escapes).
    private let pieces: [Piece]

    /// A run of decoded bytes starting at `decodedStart`. Verbatim runs map
    /// one to one; an escape maps all its decoded bytes to its source bytes.
    struct Piece: Sendable {
        var decodedStart: Int
        var sourceStart: Int
        /// `nil` for a verbatim run, else the escape's length in the source.
        var escapeLength: Int?
    }

    init(value: String, range: SourceRange, contentRange: SourceRange, pieces: [Piece]) {
        self.value = value
        self.range = range
        self.contentRange = contentRange
        self.pieces = pieces
    }

    /// The file offset of the byte that produced decoded UTF-8 offset
    /// `offset`; the end of the value maps to the end of the content.
    public func sourceOffset(ofUTF8 offset: Int) -> Int {
        guard offset < value.utf8.count, let piece = piece(containing: offset) else {
            return contentRange.end
        }
        if piece.escapeLength == nil { return piece.sourceStart + (offset - piece.decodedStart) }
        return piece.sourceStart
    }

    /// The file range of decoded UTF-8 offsets `offsets`, widened to whole
    /// escapes. An empty range maps to an empty range at its start.
    public func sourceRange(ofUTF8 offsets: Range<Int>) -> SourceRange {
        let start = sourceOffset(ofUTF8: offsets.lowerBound)
        guard offsets.upperBound > offsets.lowerBound, offsets.upperBound <= value.utf8.count,
            let last = piece(containing: offsets.upperBound - 1)
        else { return SourceRange(start: start, end: start) }
        let end: Int
        if let escapeLength = last.escapeLength {
            end = last.sourceStart + escapeLength
        } else {
            end = last.sourceStart + (offsets.upperBound - 1 - last.decodedStart) + 1
        }
        return SourceRange(start: start, end: end)
    }

    /// The last piece starting at or before `offset`.
    private func piece(containing offset: Int) -> Piece? {
        if pieces.isEmpty { return Piece(decodedStart: 0, sourceStart: contentRange.start, escapeLength: nil) }
        var lo = 0
        var hi = pieces.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if pieces[mid].decodedStart <= offset { lo = mid + 1 } else { hi = mid }
        }
        return lo == 0 ? nil : pieces[lo - 1]
    }
}
