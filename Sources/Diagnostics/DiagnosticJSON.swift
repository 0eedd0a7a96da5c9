/// Machine-readable form of a diagnostic, for `vtapc check --format json`.
public struct DiagnosticRecord: Codable, Sendable, Equatable {
    public var file: String
    public var line: Int?
    public var column: Int?
    public var endLine: Int?
    public var endColumn: Int?
    public var severity: Severity
    public var id: String
    public var message: String
    public var notes: [NoteRecord]

    public struct NoteRecord: Codable, Sendable, Equatable {
        public var line: Int?
        public var column: Int?
        public var message: String
    }

    enum CodingKeys: String, CodingKey {
        case file, line, column, severity, id, message, notes
        case endLine = "end_line"
        case endColumn = "end_column"
    }

    public init(_ diagnostic: Diagnostic, in file: SourceFile) {
        self.file = file.path
        if let range = diagnostic.range {
            let start = file.location(of: range.start)
            let end = file.location(of: range.end)
            line = start.line
            column = start.column
            endLine = end.line
            endColumn = end.column
        }
        severity = diagnostic.severity
        id = diagnostic.id.rawValue
        message = diagnostic.message
        notes = diagnostic.notes.map { note in
            let loc = note.range.map { file.location(of: $0.start) }
            return NoteRecord(line: loc?.line, column: loc?.column, message: note.message)
        }
    }
}
