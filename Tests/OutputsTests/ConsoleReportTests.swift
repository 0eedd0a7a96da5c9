import Testing
import VtapMetrics
import VtapOutputs
import VtapRuleModel

@Suite struct ConsoleReportTests {
    static func header(_ text: String) -> String {
        String(text.split(separator: "\n")[2])
    }

    /// One report through a console that has shown nothing yet.
    static func render(_ report: IntervalReport, foldIdleRulesAbove: Int = 20) -> String {
        var console = ConsoleReport(foldIdleRulesAbove: foldIdleRulesAbove)
        return console.render(report)
    }

    @Test func everyGroupShowsByDefault() {
        let text = Self.render(Fixtures.interval(names: [nil, "dns"], packets: [3000, 0]))
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines[0] == "interval of 1.000 s ending 2021-06-30T12:34:56.789Z on eth0, eth1")
        #expect(
            lines[1] == "PKTS, BYTES and the SEQ columns are totals since the start; "
                + "PPS, THROUGHPUT, GOODPUT and JITTER are this interval's")
        let header = lines[2].split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ")
        #expect(header == "SCOPE PKTS BYTES PPS THROUGHPUT GOODPUT JITTER ms SEQ ERR REV SMALL BIG LOST LAST MATCHES")
        let udp = lines.first { $0.hasPrefix("udp ") } ?? ""
        #expect(udp.contains("3,000"))
        #expect(udp.contains("375,000"), "the bytes column: \(udp)")
        #expect(udp.contains("1.0 k"))
        #expect(udp.contains("1.0 Mbit/s"))
        #expect(udp.contains("800.0 kbit/s"))
        #expect(udp.contains("1.000 ± 0.000"))
        let rule = lines.first { $0.hasPrefix("#1 ") } ?? ""
        #expect(rule.hasSuffix("10.0.0.1 - - - UDP"))
        let idle = lines.first { $0.hasPrefix("#2 dns") } ?? ""
        #expect(idle.contains(" - "), "no jitter and no last number show as -")
        #expect(lines.last == "unmatched: 11 packets, 800 bytes; malformed: 1 packet, 24 bytes")
        // The classes, a blank line, then the rules.
        #expect(
            lines[3].hasPrefix("tcp") && lines[6].hasPrefix("other") && lines[7].isEmpty && lines[8].hasPrefix("#1"))
    }

    @Test(arguments: [
        (Settings.Display(throughput: false), ["PPS", "THROUGHPUT"]),
        (Settings.Display(goodput: false), ["GOODPUT"]),
        (Settings.Display(jitter: false), ["JITTER"]),
        (Settings.Display(sequenceErrors: false), ["SEQ", "REV", "SMALL", "BIG", "LOST", "LAST"]),
    ])
    func displayTurnsColumnGroupsOff(display: Settings.Display, gone: [String]) {
        let all = Self.header(Self.render(Fixtures.interval(names: [nil], packets: [3000])))
        let text = Self.render(Fixtures.interval(names: [nil], packets: [3000], display: display))
        let header = Self.header(text)
        let words = Set(header.split(separator: " ").map(String.init))
        for column in gone {
            #expect(!words.contains(column), "\(column) in \(header)")
            #expect(all.contains(column))
        }
        #expect(words.contains("PKTS") && words.contains("SCOPE") && words.contains("MATCHES"))
        // The rows lose the same cells: every row as many columns as the header.
        let udp = text.split(separator: "\n").first { $0.hasPrefix("udp") }!
        if !display.throughput { #expect(!udp.contains("Mbit/s") || display.goodput) }
        if !display.jitter { #expect(!udp.contains("±")) }
        if !display.goodput { #expect(!udp.contains("kbit/s")) }
    }

    @Test func nothingButPacketsWhenDisplayIsEmpty() {
        let display = Settings.Display(throughput: false, goodput: false, jitter: false, sequenceErrors: false)
        let text = Self.render(Fixtures.interval(names: [nil], packets: [3000], display: display))
        #expect(Self.header(text).split(separator: " ") == ["SCOPE", "PKTS", "BYTES", "MATCHES"])
        #expect(text.split(separator: "\n")[1] == "PKTS and BYTES are totals since the start")
    }

    @Test func idleRulesFoldWhenThereAreMany() {
        let packets: [UInt64] = (0..<25).map { [3, 10, 17].contains($0) ? 2000 : 0 }
        let text = Self.render(Fixtures.interval(names: Array(repeating: nil, count: 25), packets: packets))
        let ruleLines = text.split(separator: "\n").filter { $0.hasPrefix("#") }
        #expect(ruleLines.map { String($0.prefix(3)) } == ["#4 ", "#11", "#18"])
        #expect(text.contains("\n(22 rules without traffic)\n"))

        // Twenty rules are few enough to show each.
        let few = Self.render(
            Fixtures.interval(
                names: Array(repeating: nil, count: 20), packets: Array(repeating: 0, count: 20)))
        #expect(few.split(separator: "\n").filter { $0.hasPrefix("#") }.count == 20)
        #expect(!few.contains("without traffic"))
        // The threshold is a setting.
        let folded = Self.render(
            Fixtures.interval(names: [nil, nil], packets: [0, 1000]), foldIdleRulesAbove: 0)
        #expect(folded.contains("(1 rule without traffic)"))
    }

    @Test func summaryIsTitled() {
        let summary = ReportBuilder.summary(
            totals: Fixtures.totals([6000]), seconds: 60, context: Fixtures.context(names: ["web"], interfaces: []))
        let text = Self.render(summary)
        #expect(text.hasPrefix("summary of 60.000 s ending 2021-06-30T12:34:56.789Z\n"))
        #expect(text.contains("#1 web"))
    }

    /// A column as wide as its widest value so far: a count that grows
    /// and shrinks back (a new run's smaller numbers, a rule going idle)
    /// does not pull the columns after it left.
    @Test func columnsKeepTheirWidthAcrossIntervals() {
        var console = ConsoleReport()
        let wide = console.render(Fixtures.interval(names: [nil], packets: [3_000_000_000]))
        let narrow = console.render(Fixtures.interval(names: [nil], packets: [3]))
        func headerLine(_ text: String) -> String { Self.header(text) }
        #expect(headerLine(wide) == headerLine(narrow))
        let fresh = Self.render(Fixtures.interval(names: [nil], packets: [3]))
        #expect(headerLine(fresh).count < headerLine(narrow).count, "a new console starts narrow")
        // Every row's MATCHES text starts where the header's does.
        for text in [wide, narrow] {
            let header = Self.header(text)
            let column = header.distance(from: header.startIndex, to: header.range(of: "MATCHES")!.lowerBound)
            let rule = text.split(separator: "\n").first { $0.hasPrefix("#1") }.map(String.init) ?? ""
            #expect(rule.dropFirst(column).hasPrefix("10.0.0.1"), "\(rule)")
        }
    }

    @Test func summaryRatesAreTheWholeRuns() {
        let summary = ReportBuilder.summary(
            totals: Fixtures.totals([6000]), seconds: 60, context: Fixtures.context(names: ["web"], interfaces: []))
        #expect(Self.render(summary).split(separator: "\n")[1].hasSuffix("are the whole run's"))
    }

    @Test func bytesUnit() {
        let text = Self.render(Fixtures.interval(names: [nil], packets: [3000], unit: .bytesPerSecond))
        #expect(text.contains("125.0 kB/s"))
        #expect(text.contains("100.0 kB/s"))
    }
}

@Suite struct NumberTextTests {
    @Test func siPrefixes() {
        #expect(NumberText.si(0, unit: "B/s") == "0.0 B/s")
        #expect(NumberText.si(512, unit: "B/s") == "512.0 B/s")
        #expect(NumberText.si(999.94, unit: "B/s") == "999.9 B/s")
        #expect(NumberText.si(999.96, unit: "B/s") == "1.0 kB/s", "rounding up moves to the next prefix")
        #expect(NumberText.si(1_500_000, unit: "B/s") == "1.5 MB/s")
        #expect(NumberText.si(12_345_678, unit: "bit/s") == "12.3 Mbit/s")
        #expect(NumberText.si(9.87e12, unit: "bit/s") == "9.9 Tbit/s")
        #expect(NumberText.si(1234, unit: "") == "1.2 k")
        #expect(NumberText.si(12, unit: "") == "12.0")
        #expect(NumberText.si(2e21, unit: "B/s") == "2000.0 EB/s", "past the last prefix the number grows")
        #expect(NumberText.si(-1500, unit: "B/s") == "-1.5 kB/s")
        #expect(NumberText.si(1500, unit: "B/s", decimals: 2) == "1.50 kB/s")
    }

    @Test func fixedDecimals() {
        #expect(NumberText.fixed(1.23456, decimals: 3) == "1.235")
        #expect(NumberText.fixed(-0.0001, decimals: 3) == "0.000")
        #expect(NumberText.fixed(-0.5, decimals: 3) == "-0.500")
        #expect(NumberText.fixed(1e15, decimals: 3) == "1000000000000000.000")
        #expect(NumberText.fixed(7, decimals: 0) == "7")
        #expect(NumberText.grouped(1_234_567) == "1,234,567")
        #expect(NumberText.rate(nil, unit: .bytesPerSecond) == "-")
        #expect(NumberText.jitter(nil) == "-")
    }
}
