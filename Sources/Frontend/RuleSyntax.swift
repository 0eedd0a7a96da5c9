import VtapDiagnostics

/// The five fields of a rule, in the order a rule string lists them.
public enum RuleFieldKind: Int, CaseIterable, Sendable {
    case sourceAddress, destinationAddress, sourcePort, destinationPort, `protocol`

    /// The placeholder in `SRC DST SPORT DPORT PROTO`.
    public var title: String {
        switch self {
        case .sourceAddress: "SRC"
        case .destinationAddress: "DST"
        case .sourcePort: "SPORT"
        case .destinationPort: "DPORT"
        case .protocol: "PROTO"
        }
    }

    /// The key in the object form of a rule.
    public var objectKey: String {
        switch self {
        case .sourceAddress: "src"
        case .destinationAddress: "dst"
        case .sourcePort: "sport"
        case .destinationPort: "dport"
        case .protocol: "proto"
        }
    }

    /// For messages: "source address", "destination port", ….
    public var description: String {
        switch self {
        case .sourceAddress: "source address"
        case .destinationAddress: "destination address"
        case .sourcePort: "source port"
        case .destinationPort: "destination port"
        case .protocol: "protocol"
        }
    }

    public static let grammar = allCases.map(\.title).joined(separator: " ")
}

/// One value in a field, e.g. `10.0.0.0/8` or `8000-8080`, not yet
/// interpreted: whether it is a valid address is sema's question.
public struct RuleItem: Sendable {
    public var text: String
    public var range: SourceRange
    /// Maps offsets inside `text` back to the file.
    private let origin: Origin

    enum Origin: Sendable {
        /// Part of a string literal, starting at this decoded UTF-8 offset.
        case string(JSONString, decodedStart: Int)
        /// Source text taken as is (a JSON number).
        case verbatim
    }

    init(text: String, range: SourceRange, origin: Origin) {
        self.text = text
        self.range = range
        self.origin = origin
    }

    /// The file range of UTF-8 offsets `offsets` within `text`, e.g. the
    /// prefix length after the '/' of an address.
    public func sourceRange(ofUTF8 offsets: Range<Int>) -> SourceRange {
        switch origin {
        case .string(let string, let decodedStart):
            string.sourceRange(
                ofUTF8: (decodedStart + offsets.lowerBound)..<(decodedStart + offsets.upperBound))
        case .verbatim:
            SourceRange(start: range.start + offsets.lowerBound, end: range.start + offsets.upperBound)
        }
    }
}

/// One field of a rule: `-`, `item`, `!item`, `[a, b]` or `![a, b]`.
public struct RuleFieldSyntax: Sendable {
    public enum Value: Sendable {
        case any
        case single(RuleItem)
        case list([RuleItem])
    }

    public var kind: RuleFieldKind
    public var value: Value
    public var isNegated: Bool
    /// The field as written, for messages.
    public var text: String
    public var range: SourceRange

    public init(kind: RuleFieldKind, value: Value, isNegated: Bool, text: String, range: SourceRange) {
        self.kind = kind
        self.value = value
        self.isNegated = isNegated
        self.text = text
        self.range = range
    }

    public var isAny: Bool { if case .any = value { true } else { false } }

    public var items: [RuleItem] {
        switch value {
        case .any: []
        case .single(let item): [item]
        case .list(let items): items
        }
    }

    /// A field the object form leaves out: any.
    public static func omitted(_ kind: RuleFieldKind, at offset: Int) -> RuleFieldSyntax {
        RuleFieldSyntax(
            kind: kind, value: .any, isNegated: false, text: "-", range: SourceRange(start: offset, end: offset))
    }
}

/// A rule with its five fields in `RuleFieldKind` order.
public struct RuleSyntax: Sendable {
    public var fields: [RuleFieldSyntax]
    public var range: SourceRange

    public init(fields: [RuleFieldSyntax], range: SourceRange) {
        precondition(fields.count == RuleFieldKind.allCases.count)
        self.fields = fields
        self.range = range
    }

    public subscript(kind: RuleFieldKind) -> RuleFieldSyntax { fields[kind.rawValue] }
}
