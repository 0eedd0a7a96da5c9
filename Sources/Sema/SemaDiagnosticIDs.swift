import VtapDiagnostics
import VtapFrontend

// Every id sema reports (it also uses the frontend's `value-type`). The
// catalogue with examples is docs/diagnostics.md; a test keeps them in step.
extension DiagnosticID {
    // File structure and settings.
    public static let rulesMissing: DiagnosticID = "rules-missing"
    public static let rulesEmpty: DiagnosticID = "rules-empty"
    public static let keyDuplicate: DiagnosticID = "key-duplicate"
    public static let unknownKey: DiagnosticID = "unknown-key"
    public static let boolInvalid: DiagnosticID = "bool-invalid"
    public static let directionInvalid: DiagnosticID = "direction-invalid"
    public static let valueOutOfRange: DiagnosticID = "value-out-of-range"
    public static let patternInvalid: DiagnosticID = "pattern-invalid"
    public static let patternWithoutOffset: DiagnosticID = "pattern-without-offset"
    public static let offsetUnreachable: DiagnosticID = "offset-unreachable"
    public static let thresholdTCPOnly: DiagnosticID = "threshold-tcp-only"
    public static let eventLevelInvalid: DiagnosticID = "event-level-invalid"
    public static let eventsEmpty: DiagnosticID = "events-empty"
    public static let collectorInvalid: DiagnosticID = "collector-invalid"
    public static let transportInvalid: DiagnosticID = "transport-invalid"
    public static let kpiUnknown: DiagnosticID = "kpi-unknown"

    // Rule objects.
    public static let ruleConflictingFields: DiagnosticID = "rule-conflicting-fields"
    public static let ruleNameInvalid: DiagnosticID = "rule-name-invalid"
    public static let ruleNameDuplicate: DiagnosticID = "rule-name-duplicate"

    // Fields.
    public static let addressInvalid: DiagnosticID = "address-invalid"
    public static let prefixInvalid: DiagnosticID = "prefix-invalid"
    public static let addressHostBits: DiagnosticID = "address-host-bits"
    public static let portInvalid: DiagnosticID = "port-invalid"
    public static let portOutOfRange: DiagnosticID = "port-out-of-range"
    public static let portRangeInverted: DiagnosticID = "port-range-inverted"
    public static let protocolUnknown: DiagnosticID = "protocol-unknown"
    public static let protocolOutOfRange: DiagnosticID = "protocol-out-of-range"
    public static let fieldEmpty: DiagnosticID = "field-empty"

    // Whole rules.
    public static let portsWithoutProtocolPorts: DiagnosticID = "ports-without-protocol-ports"
    public static let addressFamilyMismatch: DiagnosticID = "address-family-mismatch"
    public static let ruleDuplicate: DiagnosticID = "rule-duplicate"
    public static let ruleShadowed: DiagnosticID = "rule-shadowed"
}

public enum SemaDiagnostics {
    /// All ids above, for the documentation test.
    public static let ids: [DiagnosticID] = [
        .rulesMissing, .rulesEmpty, .keyDuplicate, .unknownKey, .boolInvalid, .directionInvalid,
        .valueOutOfRange, .patternInvalid, .patternWithoutOffset, .offsetUnreachable, .thresholdTCPOnly,
        .eventLevelInvalid, .eventsEmpty, .collectorInvalid, .transportInvalid, .kpiUnknown,
        .ruleConflictingFields, .ruleNameInvalid, .ruleNameDuplicate,
        .addressInvalid, .prefixInvalid, .addressHostBits, .portInvalid, .portOutOfRange,
        .portRangeInverted, .protocolUnknown, .protocolOutOfRange, .fieldEmpty,
        .portsWithoutProtocolPorts, .addressFamilyMismatch, .ruleDuplicate, .ruleShadowed,
    ]
}
