import VtapDiagnostics

// Every id the frontend reports. The catalogue with examples is
// docs/diagnostics.md; a test keeps the two in step.
extension DiagnosticID {
    // JSON syntax.
    public static let syntaxEmptyFile: DiagnosticID = "syntax-empty-file"
    public static let syntaxInvalidUTF8: DiagnosticID = "syntax-invalid-utf8"
    public static let syntaxUnexpectedCharacter: DiagnosticID = "syntax-unexpected-character"
    public static let syntaxUnexpectedToken: DiagnosticID = "syntax-unexpected-token"
    public static let syntaxMissingComma: DiagnosticID = "syntax-missing-comma"
    public static let syntaxUnexpectedEnd: DiagnosticID = "syntax-unexpected-end"
    public static let syntaxUnterminatedString: DiagnosticID = "syntax-unterminated-string"
    public static let syntaxUnterminatedComment: DiagnosticID = "syntax-unterminated-comment"
    public static let syntaxInvalidEscape: DiagnosticID = "syntax-invalid-escape"
    public static let syntaxControlCharacter: DiagnosticID = "syntax-control-character"
    public static let syntaxInvalidNumber: DiagnosticID = "syntax-invalid-number"
    public static let syntaxTrailingContent: DiagnosticID = "syntax-trailing-content"
    public static let syntaxNestingTooDeep: DiagnosticID = "syntax-nesting-too-deep"

    // Rule syntax inside rule strings and rule objects.
    public static let ruleEmpty: DiagnosticID = "rule-empty"
    public static let ruleFieldCount: DiagnosticID = "rule-field-count"
    public static let ruleEmptyList: DiagnosticID = "rule-empty-list"
    public static let ruleEmptyItem: DiagnosticID = "rule-empty-item"
    public static let ruleMissingComma: DiagnosticID = "rule-missing-comma"
    public static let ruleUnbalancedBracket: DiagnosticID = "rule-unbalanced-bracket"
    public static let ruleNegatedAny: DiagnosticID = "rule-negated-any"
    public static let ruleAnyInList: DiagnosticID = "rule-any-in-list"
    public static let ruleArrayItem: DiagnosticID = "rule-array-item"
    public static let ruleUnexpectedCharacter: DiagnosticID = "rule-unexpected-character"
    public static let ruleControlCharacter: DiagnosticID = "rule-control-character"

    /// A JSON value of the wrong type; shared with sema.
    public static let valueType: DiagnosticID = "value-type"
}

public enum FrontendDiagnostics {
    /// All ids above, for the documentation test.
    public static let ids: [DiagnosticID] = [
        .syntaxEmptyFile, .syntaxInvalidUTF8, .syntaxUnexpectedCharacter, .syntaxUnexpectedToken,
        .syntaxMissingComma, .syntaxUnexpectedEnd, .syntaxUnterminatedString, .syntaxUnterminatedComment,
        .syntaxInvalidEscape, .syntaxControlCharacter, .syntaxInvalidNumber, .syntaxTrailingContent,
        .syntaxNestingTooDeep,
        .ruleEmpty, .ruleFieldCount, .ruleEmptyList, .ruleEmptyItem, .ruleMissingComma,
        .ruleUnbalancedBracket, .ruleNegatedAny, .ruleAnyInList, .ruleArrayItem,
        .ruleUnexpectedCharacter, .ruleControlCharacter, .valueType,
    ]
}
