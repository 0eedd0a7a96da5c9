/// A plain text table: a header row and right-aligned numeric columns, the
/// way `ss` or `bpftool` print, so it reads on a terminal and pipes to awk.
public struct TextTable {
    public enum Alignment { case left, right }

    public var columns: [(title: String, alignment: Alignment)]
    public var rows: [[String]] = []

    public init(_ columns: [(String, Alignment)]) {
        self.columns = columns.map { (title: $0.0, alignment: $0.1) }
    }

    public mutating func add(_ row: [String]) { rows.append(row) }

    public func render(indent: String = "") -> String {
        var widths = columns.map { $0.title.count }
        for row in rows {
            for (i, cell) in row.enumerated() where i < widths.count { widths[i] = max(widths[i], cell.count) }
        }
        func line(_ cells: [String]) -> String {
            var out = indent
            for (i, cell) in cells.enumerated() where i < columns.count {
                let pad = String(repeating: " ", count: widths[i] - cell.count)
                out += columns[i].alignment == .left ? cell + pad : pad + cell
                if i + 1 < cells.count { out += "  " }
            }
            while out.last == " " { out.removeLast() }
            return out
        }
        return ([line(columns.map(\.title))] + rows.map(line)).joined(separator: "\n")
    }
}

/// Thousands separators for counts a person reads.
public func grouped(_ value: UInt64) -> String {
    let digits = String(value)
    var out = ""
    for (i, character) in digits.enumerated() {
        if i > 0, (digits.count - i) % 3 == 0 { out += "," }
        out.append(character)
    }
    return out
}
