import VtapDiagnostics

/// A node of the JSON syntax tree. Every node knows where it is in the file.
public struct JSONValue: Sendable {
    public enum Kind: Sendable {
        /// Members in source order, duplicates kept: sema reports them.
        case object([JSONMember])
        case array([JSONValue])
        case string(JSONString)
        case number(JSONNumber)
        case bool(Bool)
        case null
        /// Stands in for text that could not be parsed; a diagnostic has
        /// already been reported, so later checks stay silent about it.
        case invalid
    }

    public var kind: Kind
    public var range: SourceRange

    public init(_ kind: Kind, range: SourceRange) {
        self.kind = kind
        self.range = range
    }

    public var isInvalid: Bool { if case .invalid = kind { true } else { false } }

    public var string: JSONString? { if case .string(let s) = kind { s } else { nil } }

    /// "a string", "an object", …: for messages such as "expected X, found a string".
    public var typeDescription: String {
        switch kind {
        case .object: "an object"
        case .array: "an array"
        case .string: "a string"
        case .number: "a number"
        case .bool: "a boolean"
        case .null: "null"
        case .invalid: "an invalid value"
        }
    }
}

/// `"key": value` inside an object.
public struct JSONMember: Sendable {
    public var key: JSONString
    public var value: JSONValue

    public init(key: JSONString, value: JSONValue) {
        self.key = key
        self.value = value
    }

    public var name: String { key.value }
    public var keyRange: SourceRange { key.range }
    public var range: SourceRange { key.range.union(value.range) }
}

/// A number exactly as written; the rules language only needs integers,
/// but any valid JSON number is accepted by the parser.
public struct JSONNumber: Sendable, Hashable {
    /// The source text, e.g. `-12`, `2.5e3`.
    public var text: String
    /// No fraction and no exponent.
    public var isInteger: Bool

    public init(text: String, isInteger: Bool) {
        self.text = text
        self.isInteger = isInteger
    }

    /// The value when it is an integer that fits `Int`.
    public var integerValue: Int? { isInteger ? Int(text) : nil }
}
