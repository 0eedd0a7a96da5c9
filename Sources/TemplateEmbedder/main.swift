import Foundation

// Usage: vtap-embed-templates OUTPUT.swift TEMPLATE...
// Writes each template as a raw string literal keyed by its file name.
let arguments = CommandLine.arguments.dropFirst()
guard let outputPath = arguments.first else {
    // The throwing write: the trapping one would crash on a closed stderr.
    try? FileHandle.standardError.write(contentsOf: Data("usage: vtap-embed-templates OUTPUT TEMPLATE...\n".utf8))
    exit(64)
}

var swift = "// Generated from templates/ at build time. Do not edit.\n"
swift += "enum EmbeddedTemplates {\n    static let files: [String: String] = [\n"
for path in arguments.dropFirst() {
    let text = try String(contentsOfFile: path, encoding: .utf8)
    // A raw string whose delimiter is longer than any run of '#' in the text
    // cannot be terminated or interpolated by the text itself.
    var longestRun = 0
    var run = 0
    for character in text {
        run = character == "#" ? run + 1 : 0
        longestRun = max(longestRun, run)
    }
    let hashes = String(repeating: "#", count: longestRun + 1)
    let name = URL(fileURLWithPath: path).lastPathComponent
    swift += "        \"\(name)\": \(hashes)\"\"\"\n\(text)\n\"\"\"\(hashes),\n"
}
swift += "    ]\n}\n"
try swift.write(toFile: outputPath, atomically: true, encoding: .utf8)
