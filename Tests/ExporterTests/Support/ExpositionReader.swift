/// Reads the text format back into samples, for checking values: written
/// from the format's description, not from the exporter's writer.
struct ExpositionReader {
    struct Sample: Equatable, CustomStringConvertible {
        var name: String
        var labels: [String: String]
        var value: String

        var number: Double { Double(value) ?? .nan }
        var description: String { "\(name)\(labels.sorted { $0.key < $1.key }) \(value)" }
    }

    var samples: [Sample] = []
    /// Family name → type, from `# TYPE` lines.
    var types: [String: String] = [:]
    /// Family name → HELP text, unescaped.
    var help: [String: String] = [:]
    /// Family names in the order their TYPE lines came.
    var families: [String] = []

    init(_ bytes: [UInt8]) throws {
        for line in String(decoding: bytes, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false) {
            if line.isEmpty || line == "# EOF" { continue }
            if line.hasPrefix("# TYPE ") {
                let parts = line.dropFirst(7).split(separator: " ", maxSplits: 1).map(String.init)
                guard parts.count == 2 else { throw ReaderError(line: String(line)) }
                types[parts[0]] = parts[1]
                families.append(parts[0])
            } else if line.hasPrefix("# HELP ") {
                let parts = line.dropFirst(7).split(separator: " ", maxSplits: 1).map(String.init)
                help[parts[0]] = parts.count == 2 ? Self.unescape(parts[1]) : ""
            } else if line.hasPrefix("#") {
                continue
            } else {
                samples.append(try Self.sample(Substring(line)))
            }
        }
    }

    /// Samples of one name whose labels include `labels`.
    func samples(_ name: String, _ labels: [String: String] = [:]) -> [Sample] {
        samples.filter { sample in sample.name == name && labels.allSatisfy { sample.labels[$0.key] == $0.value } }
    }

    /// The one sample of a name and labels; nil when there is none or several.
    func value(_ name: String, _ labels: [String: String] = [:]) -> Double? {
        let found = samples(name, labels)
        return found.count == 1 ? found[0].number : nil
    }

    /// The sum over every sample of a name whose labels include `labels`.
    func sum(_ name: String, _ labels: [String: String] = [:]) -> Double {
        samples(name, labels).reduce(0) { $0 + $1.number }
    }

    private static func sample(_ line: Substring) throws -> Sample {
        var rest = line
        let name = String(rest.prefix { $0 != "{" && $0 != " " })
        rest = rest.dropFirst(name.count)
        var labels: [String: String] = [:]
        if rest.first == "{" {
            rest = rest.dropFirst()
            while rest.first != "}" {
                let labelName = String(rest.prefix { $0 != "=" })
                rest = rest.dropFirst(labelName.count)
                guard rest.hasPrefix("=\"") else { throw ReaderError(line: String(line)) }
                rest = rest.dropFirst(2)
                var value = ""
                while let character = rest.first, character != "\"" {
                    rest = rest.dropFirst()
                    if character == "\\" {
                        guard let escaped = rest.first else { throw ReaderError(line: String(line)) }
                        rest = rest.dropFirst()
                        switch escaped {
                        case "\\": value.append("\\")
                        case "\"": value.append("\"")
                        case "n": value.append("\n")
                        default: throw ReaderError(line: String(line))
                        }
                    } else {
                        value.append(character)
                    }
                }
                guard rest.first == "\"" else { throw ReaderError(line: String(line)) }
                rest = rest.dropFirst()
                labels[labelName] = value
                if rest.first == "," { rest = rest.dropFirst() }
                guard !rest.isEmpty else { throw ReaderError(line: String(line)) }
            }
            rest = rest.dropFirst()
        }
        guard rest.first == " " else { throw ReaderError(line: String(line)) }
        return Sample(name: name, labels: labels, value: String(rest.dropFirst()))
    }

    private static func unescape(_ text: String) -> String {
        var result = ""
        var escaping = false
        for character in text {
            if escaping {
                result.append(character == "n" ? "\n" : character)
                escaping = false
            } else if character == "\\" {
                escaping = true
            } else {
                result.append(character)
            }
        }
        return result
    }
}

struct ReaderError: Error, CustomStringConvertible {
    var line: String
    var description: String { "cannot read line: \(line)" }
}
