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

    public func render(_ diagnostics: [Diagnostic], in file: SourceFile) -> String {
        diagnostics.map { render($0, in: file) }.joined(separator: "\n")
    }

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
        return "\(place): \(label): \(message)\(suffix)"
    }

    private func snippet(_ range: SourceRange, in file: SourceFile) -> String {
        let start = file.location(of: range.start)
        let line = file.lineText(start.line)
        let endLoc = file.location(of: max(range.start, range.end - 1))
        let lineLength = line.unicodeScalars.count
        let lastColumn = endLoc.line == start.line ? endLoc.column : lineLength
        let width = max(1, min(lastColumn, max(lineLength, start.column)) - start.column + 1)
        // Tabs in the prefix are kept so the caret stays aligned in a terminal.
        let pad = String(
            line.unicodeScalars.prefix(start.column - 1).map { $0 == "\t" ? "\t" : " " })
        let marker = "^" + String(repeating: "~", count: width - 1)
        return "    \(line)\n    \(pad)\(paint(marker, .note))"
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
