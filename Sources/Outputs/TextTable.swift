/// A plain text table: a header row and right-aligned numeric columns, the
/// way `ss` or `bpftool` print, so it reads on a terminal and pipes to awk.
public struct TextTable {
    public enum Alignment { case left, right }

    public var columns: [(title: String, alignment: Alignment)]
    public var rows: [[String]] = []

    public init(_ columns: [(String, Alignment)]) {
        self.columns = columns.map { (title: $0.0, alignment: $0.1) }
    }

    /// Widths the columns keep even when their cells are narrower (the
    /// console's memory of earlier intervals), in column order.
    public var minimumWidths: [Int] = []

    public mutating func add(_ row: [String]) { rows.append(row) }

    /// Each column's width: its title, its widest cell, or its minimum.
    public var widths: [Int] {
        var widths = columns.enumerated().map {
            max($0.element.title.count, minimumWidths.indices.contains($0.offset) ? minimumWidths[$0.offset] : 0)
        }
        for row in rows {
            for (i, cell) in row.enumerated() where i < widths.count { widths[i] = max(widths[i], cell.count) }
        }
        return widths
    }

    public func render(indent: String = "") -> String {
        let widths = self.widths
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
