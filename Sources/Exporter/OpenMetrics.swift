/// Rewrites the Prometheus text format 0.0.4 (what swift-prometheus writes)
/// as OpenMetrics 1.0.0. The two differ, for the families here, in three
/// ways:
///
/// * a counter family is named without `_total` in `# TYPE` and `# HELP`,
///   while its samples keep it (`# TYPE vtap_packets counter`,
///   `vtap_packets_total{…} 5`);
/// * `# HELP` text escapes `"` as well as `\` and line feeds;
/// * the exposition ends with `# EOF`.
///
/// Samples, label escaping (`\\`, `\"`, `\n`), gauges and histograms are
/// the same in both. Every counter here ends in `_total`, as both formats
/// want; a counter that did not would pass through unchanged.
enum OpenMetrics {
    static func convert(_ text: [UInt8]) -> [UInt8] {
        let lines = text.split(separator: newline, omittingEmptySubsequences: true)
        // A family's HELP line may come before its TYPE line: find the counters first.
        var counters: Set<ArraySlice<UInt8>> = []
        for line in lines {
            guard let (name, rest) = metadata(line, keyword: typeKeyword), rest.elementsEqual("counter".utf8),
                name.count > totalSuffix.count, name.reversed().starts(with: totalSuffix.reversed())
            else { continue }
            counters.insert(name)
        }

        var output: [UInt8] = []
        output.reserveCapacity(text.count + 16)
        for line in lines {
            if let (name, type) = metadata(line, keyword: typeKeyword) {
                output.append(contentsOf: typeKeyword)
                output.append(contentsOf: familyName(name, counters))
                output.append(space)
                output.append(contentsOf: type)
            } else if let (name, help) = metadata(line, keyword: helpKeyword) {
                output.append(contentsOf: helpKeyword)
                output.append(contentsOf: familyName(name, counters))
                output.append(space)
                // 0.0.4 escapes `\` and line feeds already; a raw `"` needs one here.
                for byte in help {
                    if byte == quote { output.append(backslash) }
                    output.append(byte)
                }
            } else {
                output.append(contentsOf: line)
            }
            output.append(newline)
        }
        output.append(contentsOf: "# EOF\n".utf8)
        return output
    }

    private static let newline = UInt8(ascii: "\n")
    private static let space = UInt8(ascii: " ")
    private static let quote = UInt8(ascii: "\"")
    private static let backslash = UInt8(ascii: "\\")
    private static let typeKeyword = Array("# TYPE ".utf8)
    private static let helpKeyword = Array("# HELP ".utf8)
    private static let totalSuffix = Array("_total".utf8)

    /// The name and the rest of a `# TYPE name rest` or `# HELP name rest` line.
    private static func metadata(
        _ line: ArraySlice<UInt8>, keyword: [UInt8]
    ) -> (name: ArraySlice<UInt8>, rest: ArraySlice<UInt8>)? {
        guard line.starts(with: keyword) else { return nil }
        let afterKeyword = line.dropFirst(keyword.count)
        guard let end = afterKeyword.firstIndex(of: space) else { return (afterKeyword, []) }
        return (afterKeyword[..<end], afterKeyword[(end + 1)...])
    }

    private static func familyName(_ name: ArraySlice<UInt8>, _ counters: Set<ArraySlice<UInt8>>) -> ArraySlice<UInt8> {
        counters.contains(name) ? name.dropLast(totalSuffix.count) : name
    }
}
