import Foundation

/// docs/diagnostics.md read as data: each `### \`id\`` heading, with its
/// one-line `Example:` if it has one. The documentation tests of sema and
/// of the compiler both check the code against it.
public enum DiagnosticsCatalogue {
    public struct Entry: Sendable {
        public var id: String
        public var example: String?
    }

    public static func entries() throws -> [Entry] {
        let url = RepositoryLayout.root.appendingPathComponent("docs/diagnostics.md")
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
}
