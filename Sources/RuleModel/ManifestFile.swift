import Foundation

/// Where a manifest lives beside its object and how it is spelled on disk:
/// vtapc writes it and every runtime reads it with these, so the two keep
/// the same keys.
extension Manifest {
    /// `filter.o` -> `filter.manifest.json`.
    public static func path(forObject path: String) -> String {
        let url = URL(fileURLWithPath: path)
        let base = url.pathExtension == "o" ? url.deletingPathExtension() : url
        return base.path + ".manifest.json"
    }

    /// Pretty, sorted JSON with snake-case keys and a final newline.
    public func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(self) + Data("\n".utf8)
    }

    public static func decoded(from data: Data) throws -> Manifest {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try decoder.decode(Manifest.self, from: data)
    }
}
