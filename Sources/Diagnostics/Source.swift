/// A rules file held in memory, with the line table that maps byte offsets to
/// 1-based lines and columns.
public struct SourceFile: Sendable {
    public let path: String
    public let text: String
    /// UTF-8 bytes of `text`; offsets everywhere are indices into this.
    public let bytes: [UInt8]
    private let lineStarts: [Int]
    /// For valid UTF-8: scalars before every `checkpointStride`-th byte, so
    /// a column costs at most that many bytes to count, not the whole line
    /// (machine-generated files are often one line of megabytes, with
    /// thousands of diagnostics on it). Empty for invalid UTF-8, which
    /// takes the slow path that decodes as `text` does.
    private let scalarCheckpoints: [Int]
    private static let checkpointStride = 256

    public init(path: String, text: String) {
        self.init(path: path, text: text, bytes: Array(text.utf8))
    }

    /// For input read from disk: keeps the bytes exactly as given, even when
    /// they are not valid UTF-8, so the frontend can point at the bad bytes.
    /// `text` then holds a lossy decoding.
    public init(path: String, bytes: [UInt8]) {
        self.init(path: path, text: String(decoding: bytes, as: UTF8.self), bytes: bytes)
    }

    private init(path: String, text: String, bytes: [UInt8]) {
        self.path = path
        self.text = text
        self.bytes = bytes
        var starts = [0]
        for (i, b) in bytes.enumerated() where b == UInt8(ascii: "\n") {
            starts.append(i + 1)
        }
        self.lineStarts = starts
        var checkpoints: [Int] = []
        if text.utf8.elementsEqual(bytes) {
            checkpoints.reserveCapacity(bytes.count / Self.checkpointStride + 1)
            var scalars = 0
            for (i, b) in bytes.enumerated() {
                if i % Self.checkpointStride == 0 { checkpoints.append(scalars) }
                if b & 0xC0 != 0x80 { scalars += 1 }
            }
            checkpoints.append(scalars)
        }
        self.scalarCheckpoints = checkpoints
    }

    /// Unicode scalars in `bytes[..<offset]`, for valid UTF-8.
    private func scalarsBefore(_ offset: Int) -> Int {
        let block = offset / Self.checkpointStride
        var count = scalarCheckpoints[min(block, scalarCheckpoints.count - 1)]
        for b in bytes[(block * Self.checkpointStride)..<offset] where b & 0xC0 != 0x80 { count += 1 }
        return count
    }

    /// Line and column of a byte offset. Columns count Unicode scalars, so a
    /// caret lines up under the character a user sees.
    public func location(of offset: Int) -> SourceLocation {
        let clamped = max(0, min(offset, bytes.count))
        var lo = 0
        var hi = lineStarts.count - 1
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            if lineStarts[mid] <= clamped { lo = mid } else { hi = mid - 1 }
        }
        let lineStart = lineStarts[lo]
        if !scalarCheckpoints.isEmpty {
            return SourceLocation(line: lo + 1, column: scalarsBefore(clamped) - scalarsBefore(lineStart) + 1)
        }
        let prefix = bytes[lineStart..<clamped]
        let column = String(decoding: prefix, as: UTF8.self).unicodeScalars.count + 1
        return SourceLocation(line: lo + 1, column: column)
    }

    /// The text of a 1-based line, without its line terminator.
    public func lineText(_ line: Int) -> String {
        guard line >= 1, line <= lineStarts.count else { return "" }
        let start = lineStarts[line - 1]
        var end = line < lineStarts.count ? lineStarts[line] - 1 : bytes.count
        if end > start, bytes[end - 1] == UInt8(ascii: "\r") { end -= 1 }
        return String(decoding: bytes[start..<max(start, end)], as: UTF8.self)
    }

    public var lineCount: Int { lineStarts.count }
}

public struct SourceLocation: Hashable, Sendable, Codable, CustomStringConvertible {
    public var line: Int
    public var column: Int

    public init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }

    public var description: String { "\(line):\(column)" }
}

/// A half-open byte range `[start, end)` in a `SourceFile`.
public struct SourceRange: Hashable, Sendable {
    public var start: Int
    public var end: Int

    public init(start: Int, end: Int) {
        self.start = start
        self.end = max(start, end)
    }

    public init(at offset: Int) {
        self.init(start: offset, end: offset + 1)
    }

    public func union(_ other: SourceRange) -> SourceRange {
        SourceRange(start: min(start, other.start), end: max(end, other.end))
    }
}
