import Foundation
import Testing
import VtapDiagnostics
import VtapFrontend
import VtapSema
import VtapTestSupport

/// docs/diagnostics.md lists every id exactly once, and each one-line
/// example really produces its id.
@Suite struct DocumentationTests {
    static func entries() throws -> [DiagnosticsCatalogue.Entry] { try DiagnosticsCatalogue.entries() }

    /// The compiler's ids are checked with these in CompilerTests, which
    /// can see all three lists.
    static let compilerIds = ["rule-unreachable", "ruleset-capacity"]

    @Test func everyCheckIdIsDocumentedOnce() throws {
        let documented = try Self.entries().map(\.id).filter { !Self.compilerIds.contains($0) }
        let code = (FrontendDiagnostics.ids + SemaDiagnostics.ids).map(\.rawValue)
        #expect(documented.sorted() == code.sorted())
        #expect(Set(code).count == code.count)
    }

    @Test func everyExampleProducesItsId() throws {
        let entries = try Self.entries()
        #expect(
            entries.filter { $0.example == nil }.map(\.id) == [
                "syntax-invalid-utf8", "syntax-control-character", "syntax-nesting-too-deep", "ruleset-capacity",
            ])
        for entry in entries where !Self.compilerIds.contains(entry.id) {
            guard let example = entry.example else { continue }
            let result = checkRules(SourceFile(path: "example.json", text: example))
            #expect(
                result.diagnostics.map(\.id.rawValue).contains(entry.id),
                "\(entry.id): \(result.diagnostics.map(\.message))")
        }
    }
}
