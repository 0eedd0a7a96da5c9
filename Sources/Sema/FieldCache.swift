import VtapDiagnostics
import VtapFrontend
import VtapRuleModel

/// Large rule files repeat the same field text over and over (`TCP`,
/// `[TCP, UDP]`, `80`, a server's address). A field is checked once per
/// text; only results that produced no diagnostic are kept, so a cache
/// hit is exactly what checking again would give. Texts that repeat show
/// up early, so the cache stops growing at `capacity` entries per kind
/// rather than paying for every unique host address.
struct FieldCache {
    static let capacity = 4096

    private var addresses: [String: AddressMatch] = [:]
    private var ports: [String: PortMatch] = [:]
    private var protocols: [String: ProtocolMatch] = [:]

    mutating func address(_ field: RuleFieldSyntax, diagnostics: inout DiagnosticBag) -> AddressMatch? {
        Self.cached(field, in: &addresses, diagnostics: &diagnostics, check: checkAddressField)
    }

    mutating func port(_ field: RuleFieldSyntax, diagnostics: inout DiagnosticBag) -> PortMatch? {
        Self.cached(field, in: &ports, diagnostics: &diagnostics, check: checkPortField)
    }

    mutating func `protocol`(_ field: RuleFieldSyntax, diagnostics: inout DiagnosticBag) -> ProtocolMatch? {
        Self.cached(field, in: &protocols, diagnostics: &diagnostics, check: checkProtocolField)
    }

    /// Static, so that no copy of `self` keeps the dictionary shared
    /// while it is modified (which would copy it on every insert).
    private static func cached<Match>(
        _ field: RuleFieldSyntax, in cache: inout [String: Match], diagnostics: inout DiagnosticBag,
        check: (RuleFieldSyntax, inout DiagnosticBag) -> Match?
    ) -> Match? {
        if let match = cache[field.text] { return match }
        let before = diagnostics.all.count
        let match = check(field, &diagnostics)
        if let match, diagnostics.all.count == before, cache.count < capacity { cache[field.text] = match }
        return match
    }
}
