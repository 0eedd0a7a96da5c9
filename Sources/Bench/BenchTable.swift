/// The report as Markdown tables: what `vtap-bench` prints, and what
/// docs/performance.md and the README quote.
public enum BenchTable {
    public static func render(_ report: BenchReport) -> String {
        var out =
            "vtap-bench: \(report.environment.kernel), \(report.environment.cpus) CPUs (\(report.environment.cpuModel)), "
        out += "\(report.mode.quick ? "quick mode" : "full mode"), \(report.environment.date)\n"
        if let packets = report.packetCost { out += "\n" + packetTable(packets, report.mode) }
        if let classBench = report.classBench { out += "\n" + classBenchTable(classBench) }
        if let pattern = report.patternCost { out += "\n" + patternTable(pattern) }
        if let events = report.eventsCost { out += "\n" + eventsTable(events) }
        if let compile = report.compileCost { out += "\n" + compileTable(compile) }
        for (title, rows, note) in [
            ("Packet program by attach mode", report.attachCost?.rows, report.attachCost?.note),
            ("Start-up", report.startup?.rows, report.startup?.note),
            ("Live overhead", report.liveOverhead?.rows, report.liveOverhead?.note),
            ("KPIS beside bpftrace", report.kpiCost?.rows, report.kpiCost?.note),
        ] {
            guard let rows else { continue }
            out += "\n### \(title)\n\n| | median | min | max |\n|---|---:|---:|---:|\n"
            for row in rows {
                let v = { (key: String) in row.values[key].map { number($0) + " " + row.unit } ?? "-" }
                out += "| \(row.name) | \(v("median")) | \(v("min")) | \(v("max")) |\n"
            }
            if let note { out += "\n\(note)\n" }
        }
        if !report.targets.isEmpty {
            out += "\n### Targets\n\n| Target | Measured | Holds |\n|---|---|---|\n"
            for target in report.targets {
                out +=
                    "| \(target.target) | \(target.measured) | \(target.holds.map { $0 ? "yes" : "**no**" } ?? "-") |\n"
            }
        }
        return out
    }

    static func packetTable(_ section: PacketCostSection, _ mode: BenchMode) -> String {
        var out = "### Per-packet cost (ns per packet, BPF_PROG_TEST_RUN, median of \(mode.runs) runs)\n\n"
        out +=
            "| Rules | vtap matcher | Packet | vtap | floor | naive chain | rules map | vtap ÷ 1 rule | vtap ÷ floor | chain ÷ vtap | map ÷ vtap |\n"
        out += "|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|\n"
        let one = section.rulesets.first { $0.rules == 1 }
        var failures: [String] = []
        for ruleset in section.rulesets {
            func program(_ name: String) -> ProgramCost? { ruleset.programs.first { $0.program == name } }
            let vtap = program("vtap")
            for (index, packet) in ruleset.packets.enumerated() {
                let kind = packet.kind
                func ns(_ name: String) -> Double? { program(name)?.nanoseconds[kind] }
                func cell(_ name: String) -> String {
                    guard let p = program(name) else { return "-" }
                    if p.failure != nil { return "n/a" }
                    return ns(name).map(number) ?? "-"
                }
                func ratio(_ a: Double?, _ b: Double?) -> String {
                    guard let a, let b, b > 0 else { return "-" }
                    return number(a / b) + "×"
                }
                let base = one?.programs.first { $0.program == "vtap" }?.nanoseconds[kind]
                let label = kind == "last" ? "last (rule \((packet.expectedRule ?? 0) + 1))" : kind
                out +=
                    "| \(index == 0 ? grouped(ruleset.rules) : "") | \(index == 0 ? shortStrategy(vtap?.strategy) : "") | \(label) "
                out += "| \(cell("vtap")) | \(cell("floor")) | \(cell("naive-chain")) | \(cell("rules-map")) "
                out += "| \(ratio(ns("vtap"), base)) | \(ratio(ns("vtap"), program("floor")?.nanoseconds["none"])) "
                out += "| \(ratio(ns("naive-chain"), ns("vtap"))) | \(ratio(ns("rules-map"), ns("vtap"))) |\n"
            }
            for p in ruleset.programs {
                if let failure = p.failure {
                    failures.append("\(grouped(ruleset.rules)) rules, \(p.program): \(failure)")
                }
                if p.failure == nil, p.repeatCount < mode.repeatCount {
                    failures.append(
                        "\(grouped(ruleset.rules)) rules, \(p.program): \(grouped(p.repeatCount)) repetitions per run (slow program; time box)"
                    )
                }
            }
        }
        out +=
            "\nThe floor column is the same program with matching and accounting removed (parsing only); the ratio to it uses the floor's no-match figure.\n"
        if !failures.isEmpty { out += "\n" + failures.map { "- " + $0 }.joined(separator: "\n") + "\n" }
        return out
    }

    static func classBenchTable(_ section: ClassBenchSection) -> String {
        var out = "### ClassBench: each set over its own trace (ns per header, BPF_PROG_TEST_RUN)\n\n"
        out += "| Set | Rules | vtapc | Peak RSS | Verifier insns | Bytes/rule | Partitions | vtap p50 / worst "
        out += "| 1 rule p50 / worst | vtap ÷ 1 rule | naive chain p50 / worst | LBVS p50 / worst | LBVS bytes/rule |\n"
        out += "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n"
        var notes: [String] = []
        for set in section.sets {
            func pair(_ label: String) -> String {
                guard let p = set.program(label) else { return "-" }
                if p.failure != nil { return "n/a" }
                return "\(p.p50.map(number) ?? "-") / \(p.worst.map(number) ?? "-")"
            }
            let vtap = set.program("vtap")
            let one = set.program("1 rule")
            let ratio: String
            if let v = vtap, let o = one, let vp = v.p50, let vw = v.worst, let op = o.p50, let ow = o.worst, op > 0,
                ow > 0
            {
                ratio = "\(number(vp / op))× / \(number(vw / ow))×"
            } else {
                ratio = "-"
            }
            let lbvsBytes =
                set.program("LBVS").flatMap { $0.failure == nil ? $0.matchBytes : nil }
                .map { number(Double($0) / Double(max(1, set.rules))) } ?? "-"
            let compile = set.compile
            out += "| \(set.name) | \(grouped(set.rules)) | \(compile.map { number($0.wallSeconds) + " s" } ?? "-") "
            out +=
                "| \(compile.map { "\($0.peakRSSBytes / 1_048_576) MB" } ?? "-") | \(compile?.verifiedInstructions.map(grouped) ?? "-") "
            out +=
                "| \(set.bytesPerRule.map(number) ?? "-") | \(set.partitions.map(String.init) ?? "-") | \(pair("vtap")) | \(pair("1 rule")) "
            out += "| \(ratio) | \(pair("naive chain")) | \(pair("LBVS")) | \(lbvsBytes) |\n"
            for p in set.programs {
                if let failure = p.failure { notes.append("\(set.name), \(p.program): \(failure)") }
            }
            if let failure = compile?.failure { notes.append("\(set.name), vtapc: \(failure)") }
        }
        out += "\n\(section.note)\n"
        if !notes.isEmpty { out += "\n" + notes.map { "- " + $0 }.joined(separator: "\n") + "\n" }
        return out
    }

    static func patternTable(_ section: PatternCostSection) -> String {
        var out = "### PATTERN search (ns per packet, one UDP rule, same frame length)\n\n"
        out += "| Case | Pattern at payload byte | Payload | ns | Sequence number read |\n|---|---:|---:|---:|---|\n"
        for c in section.cases {
            let name =
                [
                    "none": "no PATTERN setting (baseline)", "start": "pattern near the start",
                    "far": "pattern far into the payload",
                    "absent": "pattern absent (whole payload searched)",
                ][c.name] ?? c.name
            out +=
                "| \(name) | \(c.patternOffset.map { grouped($0) } ?? "-") | \(grouped(c.payloadBytes)) B | \(number(c.nanoseconds)) | \(c.sequenceFound ? "yes" : "no") |\n"
        }
        out += "\n\(section.note).\n"
        return out
    }

    static func eventsTable(_ section: EventsCostSection) -> String {
        var out = "### EVENTS and the packet program (ns per packet, \(grouped(section.rules)) rules)\n\n"
        out += "| Packet | without EVENTS | every level | ratio |\n|---|---:|---:|---:|\n"
        for packet in section.packets {
            let ratio = packet.withoutEvents > 0 ? number(packet.withEvents / packet.withoutEvents) + "×" : "-"
            out +=
                "| \(packet.kind) | \(number(packet.withoutEvents)) | \(number(packet.withEvents)) | \(ratio) |\n"
        }
        out +=
            "\nThe loaded packet programs' kernel tags (a hash of the instructions, map references blanked) are \(section.sameInstructions ? "the same" : "**different**").\n"
        return out
    }

    static func compileTable(_ section: CompileCostSection) -> String {
        var out = "### Compile cost (whole vtapc process: parse, check, C, clang, manifest, verifier, write)\n\n"
        out +=
            "| Rules | Matcher | Wall time | Peak RSS | Verifier: instructions processed | Object | Slowest phases |\n"
        out += "|---:|---|---:|---:|---:|---:|---|\n"
        for c in section.rulesets {
            let phases = c.phases.sorted { $0.value > $1.value }.prefix(2).map { "\($0.key) \(number($0.value)) s" }
                .joined(separator: ", ")
            out +=
                "| \(grouped(c.rules)) | \(shortStrategy(c.strategy)) | \(number(c.wallSeconds)) s | \(c.peakRSSBytes / 1_048_576) MB "
            out +=
                "| \(c.verifiedInstructions.map(grouped) ?? "-") | \(grouped(c.objectBytes / 1024)) KB | \(c.failure ?? phases) |\n"
        }
        return out
    }

    static func shortStrategy(_ strategy: String?) -> String {
        switch strategy {
        case "decision-dag-inline": "inline DAG"
        case "decision-dag-table": "table DAG"
        case let s?: s
        case nil: "-"
        }
    }

    static func number(_ value: Double) -> String {
        if value.isNaN { return "-" }
        if value >= 100 { return grouped(Int(value.rounded())) }
        if value >= 10 { return String(format1(value)) }
        return String((value * 100).rounded() / 100)
    }

    private static func format1(_ value: Double) -> String { String((value * 10).rounded() / 10) }

    static func grouped(_ value: Int) -> String {
        let digits = String(value)
        var out = ""
        for (i, c) in digits.reversed().enumerated() {
            if i > 0, i % 3 == 0 { out.append(",") }
            out.append(c)
        }
        return String(out.reversed())
    }
}
