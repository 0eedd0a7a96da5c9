/// A verifier log and its summary: the line that says why the program was
/// rejected, the line before it, how much was left out, and the C source
/// lines (from BTF line info) nearest before the failure, so a caller can
/// point back into generated C.
///
/// Pure value type: built from log text, no kernel needed.
public struct VerifierLog: Sendable, Equatable, CustomStringConvertible {
    /// The log's lines, trailing whitespace removed.
    public let lines: [String]
    /// Whether the kernel cut the log short (the buffer was too small).
    public let truncated: Bool

    /// Index in ``lines`` of the error line, if any.
    public let errorLineIndex: Int?
    /// Index in ``lines`` of the instruction or state line shown before the error.
    public let previousLineIndex: Int?

    /// How many nearest source annotations ``sourceAnnotations`` keeps.
    public static let annotationLimit = 3

    public init(_ text: some StringProtocol, truncated: Bool = false) {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { line in
            var line = Substring(line)
            while let last = line.last, last == " " || last == "\t" || last == "\r" { line.removeLast() }
            return String(line)
        }
        self.lines = lines
        self.truncated = truncated
        let error = Self.findErrorLine(lines)
        errorLineIndex = error
        previousLineIndex = error.flatMap { Self.findPreviousLine(lines, before: $0) }
    }

    /// The log as text.
    public var text: String { lines.joined(separator: "\n") }

    /// The line that says why verification failed: the last meaningful line,
    /// skipping the statistics trailer and the state dumps some errors add.
    public var errorLine: String? { errorLineIndex.map { lines[$0] } }

    /// The line before ``errorLine`` (usually the failing instruction), not
    /// counting source annotations.
    public var previousLine: String? { previousLineIndex.map { lines[$0] } }

    /// Non-empty lines before the ones the summary shows.
    public var omittedLineCount: Int {
        guard let first = previousLineIndex ?? errorLineIndex else { return 0 }
        return lines[..<first].filter { !$0.isEmpty }.count
    }

    /// Up to ``annotationLimit`` distinct `; <C source>` annotations nearest
    /// before the error line, oldest first: the last one is the C line that
    /// failed.
    public var sourceAnnotations: [SourceAnnotation] {
        guard let end = errorLineIndex else { return [] }
        var found: [SourceAnnotation] = []
        var index = end
        while index > 0, found.count < Self.annotationLimit {
            index -= 1
            // Line 0 marks compiler-made code with no source line of its own.
            if let annotation = SourceAnnotation(logLine: lines[index]), annotation.line != 0,
                !found.contains(annotation)
            {
                found.append(annotation)
            }
        }
        return found.reversed()
    }

    /// The C source line the failure belongs to (nearest annotation).
    public var failingSource: SourceAnnotation? { sourceAnnotations.last }

    /// ``sourceAnnotations`` with the code filled in from `sources` (file
    /// name → C text) where the object's line info carried no text (clang
    /// embeds it only when it can read the file from disk).
    public func sourceAnnotations(filledFrom sources: [String: String]) -> [SourceAnnotation] {
        sourceAnnotations.map { $0.filled(from: sources) }
    }

    /// ``summary`` with source text filled in from `sources` (file name → C text).
    public func summary(filledFrom sources: [String: String]) -> String {
        summary(source: failingSource?.filled(from: sources))
    }

    /// The verifier's figures, if the log has its statistics line.
    public var stats: VerifierStats? { VerifierStats.parse(log: text) }

    /// One line: the error, where in the C source, what was left out.
    public var summary: String { summary(source: failingSource) }

    private func summary(source: SourceAnnotation?) -> String {
        guard let errorLine else { return truncated ? "(empty log, truncated)" : "(empty log)" }
        var text = errorLine
        if let source { text += " at \(source)" }
        var notes: [String] = []
        let omitted = omittedLineCount
        if omitted > 0 { notes.append("\(omitted) line\(omitted == 1 ? "" : "s") omitted") }
        if truncated { notes.append("log truncated") }
        if !notes.isEmpty { text += " (\(notes.joined(separator: ", ")))" }
        return oneLine(text)
    }

    /// The previous line and the error line, and the nearest source lines,
    /// as a few lines of text for a terminal.
    public var excerpt: String {
        var out: [String] = []
        if omittedLineCount > 0 { out.append("… \(omittedLineCount) lines omitted") }
        for annotation in sourceAnnotations { out.append("; \(annotation)") }
        if let previousLine { out.append(previousLine) }
        if let errorLine { out.append(errorLine) }
        if truncated { out.append("(log truncated)") }
        return out.joined(separator: "\n")
    }

    public var description: String { summary }

    // MARK: - Finding the lines

    /// Trailer lines that the kernel prints after the error.
    static func isTrailer(_ line: String) -> Bool {
        line.isEmpty
            || line.hasPrefix("verification time ")
            || line.hasPrefix("stack depth ")
            || VerifierStats.parse(statsLine: line) != nil
            || line.hasPrefix("-- END PROG LOAD LOG --")
            || line.hasPrefix("-- BEGIN PROG LOAD LOG --")
    }

    /// Lines some errors append after the real message (state dumps).
    static func isStateDump(_ line: String) -> Bool {
        line.hasPrefix("cur state:") || line.hasPrefix("old state:")
    }

    static func findErrorLine(_ lines: [String]) -> Int? {
        var index = lines.count
        while index > 0 {
            index -= 1
            let line = lines[index]
            if isTrailer(line) || isStateDump(line) { continue }
            return index
        }
        return nil
    }

    static func findPreviousLine(_ lines: [String], before error: Int) -> Int? {
        var index = error
        while index > 0 {
            index -= 1
            let line = lines[index]
            if line.isEmpty || SourceAnnotation(logLine: line) != nil { continue }
            return index
        }
        return nil
    }
}

/// A `; <C source> @ file.c:12` line the kernel prints from BTF line info.
public struct SourceAnnotation: Sendable, Equatable, CustomStringConvertible {
    /// The C source text of the line.
    public var code: String
    /// File name, when the kernel printed `@ file:line` (5.19+).
    public var file: String?
    /// 1-based line number in ``file``.
    public var line: Int?

    public init(code: String, file: String? = nil, line: Int? = nil) {
        self.code = code
        self.file = file
        self.line = line
    }

    /// Parses one log line; nil if it is not a source annotation.
    public init?(logLine: some StringProtocol) {
        guard logLine.hasPrefix(";") else { return nil }
        var body = Substring(logLine.dropFirst())
        if body.first == " " { body.removeFirst() }
        code = String(body)
        file = nil
        line = nil
        // "code @ file:line": split at the last " @ " whose tail is name:digits.
        guard let at = body.lastRange(of: " @ ") else { return }
        let location = body[at.upperBound...]
        guard let colon = location.lastIndex(of: ":"),
            let number = Int(location[location.index(after: colon)...]), colon > location.startIndex
        else { return }
        code = String(body[..<at.lowerBound])
        file = String(location[..<colon])
        line = number
    }

    /// `file:line \`code\``, leaving out what is unknown.
    public var description: String {
        let location = file.flatMap { file in line.map { "\(file):\($0)" } }
        switch (location, code.isEmpty) {
        case (let location?, false): return "\(location) `\(code)`"
        case (let location?, true): return location
        case (nil, _): return "`\(code)`"
        }
    }

    /// This annotation with ``code`` taken from line ``line`` of
    /// `sources[file]` when the log carried no text; else unchanged.
    public func filled(from sources: [String: String]) -> SourceAnnotation {
        guard code.isEmpty, let file, let line, line > 0 else { return self }
        // The kernel prints the file as the compiler named it; match on the
        // base name when the caller's keys are paths, or the other way round.
        let base = Self.baseName(file)
        guard let text = sources[file] ?? sources.first(where: { Self.baseName($0.key) == base })?.value else {
            return self
        }
        var current = 1
        for sourceLine in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if current == line {
                var copy = self
                copy.code = String(sourceLine.trimming(" \t\r"))
                return copy
            }
            current += 1
        }
        return self
    }

    private static func baseName(_ path: String) -> String {
        path.split(separator: "/").last.map(String.init) ?? path
    }
}

extension Substring {
    /// The range of the last occurrence of `needle`, without Foundation.
    func lastRange(of needle: String) -> Range<Index>? {
        let pattern = Array(needle)
        guard !pattern.isEmpty, count >= pattern.count else { return nil }
        var start = index(endIndex, offsetBy: -pattern.count)
        while true {
            let end = index(start, offsetBy: pattern.count)
            if self[start..<end].elementsEqual(pattern) { return start..<end }
            if start == startIndex { return nil }
            start = index(before: start)
        }
    }
}
