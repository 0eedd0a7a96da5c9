import Foundation
import Testing
import VtapDiagnostics
import VtapFrontend
import VtapSema

/// docs/diagnostics.md lists every id exactly once, and each one-line
/// example really produces its id.
@Suite struct DocumentationTests {
    struct Entry {
        var id: String
        var example: String?
    }

    static func entries() throws -> [Entry] {
        let url = SeedCompatibilityTests.rulesDirectory.deletingLastPathComponent()
            .appendingPathComponent("docs/diagnostics.md")
        let lines = try String(contentsOf: url, encoding: .utf8).split(
            separator: "\n", omittingEmptySubsequences: false)
        var entries: [Entry] = []
        for line in lines {
            if line.hasPrefix("### `"), let end = line.dropFirst(5).firstIndex(of: "`") {
                entries.append(Entry(id: String(line.dropFirst(5)[..<end])))
            } else if line.hasPrefix("Example: `"), line.hasSuffix("`"), !entries.isEmpty {
                entries[entries.count - 1].example = String(line.dropFirst("Example: `".count).dropLast())
            }
        }
        return entries
    }

    @Test func everyIdIsDocumentedOnce() throws {
        let documented = try Self.entries().map(\.id)
        let code = (FrontendDiagnostics.ids + SemaDiagnostics.ids).map(\.rawValue)
        #expect(documented.sorted() == code.sorted())
        #expect(Set(code).count == code.count)
    }

    @Test func everyExampleProducesItsId() throws {
        let entries = try Self.entries()
        #expect(
            entries.filter { $0.example == nil }.map(\.id) == [
                "syntax-invalid-utf8", "syntax-control-character", "syntax-nesting-too-deep",
            ])
        for entry in entries {
            guard let example = entry.example else { continue }
            let result = checkRules(SourceFile(path: "example.json", text: example))
            #expect(
                result.diagnostics.map(\.id.rawValue).contains(entry.id),
                "\(entry.id): \(result.diagnostics.map(\.message))")
        }
    }
}
