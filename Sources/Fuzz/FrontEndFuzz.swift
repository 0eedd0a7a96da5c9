import VtapCodegen
import VtapDiagnostics
import VtapFrontend
import VtapRuleModel
import VtapSema

/// Any bytes as a rules file: the check ends, says why a file has no
/// ruleset, points inside the file, and prints no control character.
enum RulesFuzz {
    /// A rendered diagnostic's budget: a 10 MB token is echoed in a few
    /// hundred bytes (the bad-input tests), so 8 KiB means one is not cut.
    static let renderedLimit = 8192

    static func run(_ bytes: [UInt8]) throws {
        let target = FuzzTarget.rules
        let file = SourceFile(path: "fuzz.json", bytes: bytes)
        let check = checkRules(file)
        let hasErrors = check.diagnostics.contains { $0.severity == .error }
        try target.require((check.ruleset == nil) == hasErrors, "a ruleset exactly when there is no error")
        let renderer = DiagnosticRenderer()
        for diagnostic in check.diagnostics {
            for range in [diagnostic.range] + diagnostic.notes.map(\.range) {
                guard let range else { continue }
                try target.require(
                    0 <= range.start && range.start <= range.end && range.end <= bytes.count,
                    "\(diagnostic.id): range \(range.start)..<\(range.end) outside the file's \(bytes.count) bytes")
            }
            let text = renderer.render(diagnostic, in: file)
            try target.require(
                text.utf8.count <= renderedLimit, "\(diagnostic.id): \(text.utf8.count) bytes rendered")
            try target.require(
                !text.unicodeScalars.contains { $0 != "\n" && $0 != "\t" && TextSafety.isDisallowed($0) },
                "\(diagnostic.id): a control or invisible character printed")
        }
    }
}

/// A checked ruleset becomes C from its numbers alone: the rules' names,
/// their source text and the collector's address do not reach the C, and
/// the C is plain printable ASCII.
enum FrontEndFuzz {
    static func run(_ bytes: [UInt8]) throws {
        let target = FuzzTarget.frontEnd
        guard let ruleset = checkRules(SourceFile(path: "fuzz.json", bytes: bytes)).ruleset else { return }
        guard let source = try? ProgramSource.generate(ruleset) else { return }
        var anonymous = ruleset
        for index in anonymous.rules.indices {
            anonymous.rules[index].name = nil
            anonymous.rules[index].source = ""
        }
        anonymous.settings.kpis?.collector = nil
        let text = source.units.map(\.text).joined()
        try target.require(
            text.utf8.allSatisfy { $0 == 0x0A || $0 == 0x09 || (0x20...0x7E).contains($0) },
            "the C holds a byte outside printable ASCII")
        let again = try? ProgramSource.generate(anonymous)
        try target.require(
            again?.units.map(\.text).joined() == text, "the C depends on the rules' names or source text")
    }
}
