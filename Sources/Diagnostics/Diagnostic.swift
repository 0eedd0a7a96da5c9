/// Stable identity of a kind of problem. The raw value is printed in
/// brackets after every message and never changes once released; the
/// catalogue lives in docs/diagnostics.md.
public struct DiagnosticID: RawRepresentable, Hashable, Sendable, Codable,
    ExpressibleByStringLiteral, CustomStringConvertible
{
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public init(stringLiteral value: String) { self.rawValue = value }
    public var description: String { rawValue }
}

public enum Severity: String, Sendable, Codable, Comparable {
    case note
    case warning
    case error

    private var rank: Int {
        switch self {
        case .note: 0
        case .warning: 1
        case .error: 2
        }
    }

    public static func < (lhs: Severity, rhs: Severity) -> Bool { lhs.rank < rhs.rank }
}

/// One problem found in a rules file: a value, not an exception, so every
/// problem of a file can be collected and shown at once.
public struct Diagnostic: Sendable, Hashable {
    public var severity: Severity
    public var id: DiagnosticID
    public var message: String
    /// Where the problem is; `nil` for problems about the file as a whole.
    public var range: SourceRange?
    /// Secondary remarks, e.g. the earlier rule that shadows this one.
    public var notes: [Note]

    public struct Note: Sendable, Hashable {
        public var message: String
        public var range: SourceRange?
        public init(_ message: String, at range: SourceRange? = nil) {
            self.message = message
            self.range = range
        }
    }

    public init(
        _ severity: Severity, _ id: DiagnosticID, _ message: String,
        at range: SourceRange? = nil, notes: [Note] = []
    ) {
        self.severity = severity
        self.id = id
        self.message = message
        self.range = range
        self.notes = notes
    }

    public static func error(
        _ id: DiagnosticID, _ message: String, at range: SourceRange? = nil, notes: [Note] = []
    ) -> Diagnostic {
        Diagnostic(.error, id, message, at: range, notes: notes)
    }

    public static func warning(
        _ id: DiagnosticID, _ message: String, at range: SourceRange? = nil, notes: [Note] = []
    ) -> Diagnostic {
        Diagnostic(.warning, id, message, at: range, notes: notes)
    }
}

/// Collects diagnostics in the order they are found.
public struct DiagnosticBag: Sendable {
    public private(set) var all: [Diagnostic] = []

    public init() {}

    public mutating func add(_ diagnostic: Diagnostic) { all.append(diagnostic) }

    public mutating func error(
        _ id: DiagnosticID, _ message: String, at range: SourceRange? = nil, notes: [Diagnostic.Note] = []
    ) {
        all.append(.error(id, message, at: range, notes: notes))
    }

    public mutating func warning(
        _ id: DiagnosticID, _ message: String, at range: SourceRange? = nil, notes: [Diagnostic.Note] = []
    ) {
        all.append(.warning(id, message, at: range, notes: notes))
    }

    public mutating func append(contentsOf other: [Diagnostic]) { all.append(contentsOf: other) }

    public var hasErrors: Bool { all.contains { $0.severity == .error } }
    public var errorCount: Int { all.count { $0.severity == .error } }
    public var warningCount: Int { all.count { $0.severity == .warning } }

    /// Diagnostics ordered by position, file-level ones first; stable for
    /// equal positions so output does not depend on which check ran first.
    public var sorted: [Diagnostic] {
        all.enumerated().sorted { a, b in
            let ka = a.element.range?.start ?? -1
            let kb = b.element.range?.start ?? -1
            return ka != kb ? ka < kb : a.offset < b.offset
        }.map(\.element)
    }
}
