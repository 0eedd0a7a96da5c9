/// Renders diagnostics as `FILE:LINE:COL: severity: message [id]`, followed
/// by the source line and a caret under the offending text.
public struct DiagnosticRenderer: Sendable {
    public var useColor: Bool

    public init(useColor: Bool = false) {
        self.useColor = useColor
    }

    public func render(_ diagnostic: Diagnostic, in file: SourceFile) -> String {
        var out = header(diagnostic.severity, diagnostic.message, diagnostic.id, diagnostic.range, file)
        if let range = diagnostic.range {
            out += "\n" + snippet(range, in: file)
        }
        for note in diagnostic.notes {
            out += "\n" + header(.note, note.message, nil, note.range, file)
            if let range = note.range {
                out += "\n" + snippet(range, in: file)
            }
        }
        return out
    }

    /// Every diagnostic, or at most `limit` of them (errors before warnings,
    /// each in file order) followed by one line per id saying how many more
    /// there are (`nil` or 0: no limit).
    public func render(_ diagnostics: [Diagnostic], in file: SourceFile, limit: Int? = nil) -> String {
        var shown = Array(diagnostics.indices)
        if let limit, limit > 0, diagnostics.count > limit {
            let bySeverity = diagnostics.indices.sorted {
                diagnostics[$0].severity != diagnostics[$1].severity
                    ? diagnostics[$0].severity > diagnostics[$1].severity : $0 < $1
            }
            shown = Array(bySeverity.prefix(limit)).sorted()
        }
        var lines = shown.map { render(diagnostics[$0], in: file) }
        let shownSet = Set(shown)
        var hidden: [(id: DiagnosticID, severity: Severity, count: Int)] = []
        for (index, diagnostic) in diagnostics.enumerated() where !shownSet.contains(index) {
            if let at = hidden.firstIndex(where: { $0.id == diagnostic.id && $0.severity == diagnostic.severity }) {
                hidden[at].count += 1
            } else {
                hidden.append((diagnostic.id, diagnostic.severity, 1))
            }
        }
        for group in hidden {
            let noun = group.count == 1 ? group.severity.rawValue : "\(group.severity.rawValue)s"
            lines.append(
                "\(file.path): \(paint("note", .note)): \(group.count) more \(noun) [\(group.id.rawValue)] not shown "
                    + "(--max-diagnostics 0 shows all)")
        }
        return lines.joined(separator: "\n")
    }

    /// Source lines longer than this are shown as a window around the caret.
    public static let snippetWidth = 100
    /// Characters kept before the caret in such a window.
    static let snippetContext = 24

    /// The closing line, e.g. `2 errors, 1 warning in rules.json`.
    public static func summary(errors: Int, warnings: Int, path: String) -> String {
        func plural(_ n: Int, _ word: String) -> String { "\(n) \(word)\(n == 1 ? "" : "s")" }
        return "\(plural(errors, "error")), \(plural(warnings, "warning")) in \(path)"
    }

    private func header(
        _ severity: Severity, _ message: String, _ id: DiagnosticID?, _ range: SourceRange?,
        _ file: SourceFile
    ) -> String {
        let place: String
        if let range {
            let loc = file.location(of: range.start)
            place = "\(file.path):\(loc.line):\(loc.column)"
        } else {
            place = file.path
        }
        let label = paint(severity.rawValue, severity)
        let suffix = id.map { " [\($0.rawValue)]" } ?? ""
        return "\(place): \(label): \(TextSafety.visible(message))\(suffix)"
    }

    /// The source line and a caret under the range; a long line (a whole
    /// machine-generated file is often one) becomes a window around the
    /// caret with `…` where it was cut, as clang shows them.
    private func snippet(_ range: SourceRange, in file: SourceFile) -> String {
        let start = file.location(of: range.start)
        let line = Array(file.lineText(start.line).unicodeScalars)
        let endLoc = file.location(of: max(range.start, range.end - 1))
        let lastColumn = endLoc.line == start.line ? endLoc.column : line.count
        let caret = start.column - 1
        var width = max(1, min(lastColumn, max(line.count, start.column)) - start.column + 1)
        var from = 0
        var to = line.count
        if line.count > Self.snippetWidth {
            from = max(0, min(caret - Self.snippetContext, line.count - Self.snippetWidth))
            to = min(line.count, from + Self.snippetWidth)
            width = max(1, min(width, to - caret))
        }
        let cutLeft = from > 0 ? "…" : ""
        let cutRight = to < line.count ? "…" : ""
        var text = cutLeft
        // A control or bidi character would act on the terminal (or hide
        // text) instead of being shown: one replacement character each,
        // so the caret stays under its column.
        text.unicodeScalars.append(
            contentsOf: line[from..<to].map { $0 != "\t" && TextSafety.isDisallowed($0) ? "\u{FFFD}" : $0 })
        text += cutRight
        // Tabs in the prefix are kept so the caret stays aligned in a terminal.
        var pad = cutLeft.isEmpty ? "" : " "
        pad.unicodeScalars.append(contentsOf: line[from..<max(from, caret)].map { $0 == "\t" ? "\t" : " " })
        let marker = "^" + String(repeating: "~", count: width - 1)
        return "    \(text)\n    \(pad)\(paint(marker, .note))"
    }

    private func paint(_ text: String, _ severity: Severity) -> String {
        guard useColor else { return text }
        let code: String
        switch severity {
        case .error: code = "1;31"
        case .warning: code = "1;35"
        case .note: code = "1;32"
        }
        return "\u{1B}[\(code)m\(text)\u{1B}[0m"
    }
}
