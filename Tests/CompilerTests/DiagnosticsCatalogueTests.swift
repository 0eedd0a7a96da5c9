import Testing
import VtapCompiler
import VtapDiagnostics
import VtapFrontend
import VtapSema
import VtapTestSupport

/// docs/diagnostics.md lists every id any part of vtapc reports, once, and
/// the compiler's one-line examples produce their ids.
@Suite struct DiagnosticsCatalogueTests {
    @Test func everyIdIsDocumentedOnce() throws {
        let documented = try DiagnosticsCatalogue.entries().map(\.id)
        let code = (FrontendDiagnostics.ids + SemaDiagnostics.ids + CompilerDiagnostics.ids).map(\.rawValue)
        #expect(documented.sorted() == code.sorted())
        #expect(Set(documented).count == documented.count)
    }

    @Test func compilerExamplesProduceTheirIds() throws {
        let compilerIds = Set(CompilerDiagnostics.ids.map(\.rawValue))
        for entry in try DiagnosticsCatalogue.entries() where compilerIds.contains(entry.id) {
            guard let example = entry.example else { continue }
            let compiled = try RulesCompiler.compile(
                SourceFile(path: "example.json", text: example), options: .init(verify: false))
            #expect(
                compiled.diagnostics.map(\.id.rawValue).contains(entry.id),
                "\(entry.id): \(compiled.diagnostics.map(\.message))")
        }
    }
}
