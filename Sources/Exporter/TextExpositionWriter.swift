/// Writes metric families straight into bytes, in the order given, in
/// either text format: the Prometheus text format 0.0.4 or OpenMetrics
/// 1.0.0. For the families here the two differ in three ways: a counter
/// family is named without `_total` in `# TYPE` and `# HELP` while its
/// samples keep it; `# HELP` text also escapes `"`; and the exposition ends
/// with `# EOF`. Samples, label escaping, gauges and histograms are the same.
///
/// Linear in the series, in the contract's order (stable output that a
/// person can diff), counters as exact integers. swift-prometheus's registry,
/// which vtap used before, copied a family's whole dictionary of series for
/// every series added, so a scrape cost O(n²) in the series of a family
/// (debug build: 1,000 active rules 1.1 s, 4,000 rules 24 s, 16,000 rules 524 s).
struct TextExpositionWriter {
    let format: ExpositionFormat
    private(set) var bytes: [UInt8] = []

    init(format: ExpositionFormat = .prometheusText) {
        self.format = format
    }

    /// A sample's value.
    enum Value {
        case integer(UInt64)
        case real(Double)
    }

    /// Writes a family: its HELP and TYPE lines, then the samples — or
    /// nothing at all when there are none.
    mutating func write(
        _ family: MetricFamily, _ samples: some Sequence<(labels: RenderedLabels, value: Value)>
    ) {
        var wroteHeader = false
        for sample in samples {
            if !wroteHeader {
                writeHeader(family)
                wroteHeader = true
            }
            self.sample(family.name, sample.labels, sample.value)
        }
    }

    /// A histogram: its cumulative buckets (`upperBound` in the family's
    /// unit), then the `+Inf` bucket, the sum and the count.
    mutating func writeHistogram(
        _ family: MetricFamily, buckets: [(upperBound: Double, count: UInt64)], sum: Double, count: UInt64
    ) {
        writeHeader(family)
        for bucket in buckets {
            sample(
                "\(family.name)_bucket", RenderedLabels(["le"], [Self.number(bucket.upperBound)]),
                .integer(bucket.count))
        }
        sample("\(family.name)_bucket", RenderedLabels(["le"], ["+Inf"]), .integer(count))
        sample("\(family.name)_sum", RenderedLabels([], []), .real(sum))
        sample("\(family.name)_count", RenderedLabels([], []), .integer(count))
    }

    /// Labelled histograms of one family: each series' cumulative buckets,
    /// `+Inf`, sum and count under its labels.
    mutating func writeHistograms(
        _ family: MetricFamily,
        _ series: [(labels: RenderedLabels, buckets: [(upperBound: Double, count: UInt64)], sum: Double, count: UInt64)]
    ) {
        guard !series.isEmpty else { return }
        writeHeader(family)
        for one in series {
            for bucket in one.buckets {
                sample(
                    "\(family.name)_bucket", one.labels.adding("le", Self.number(bucket.upperBound)),
                    .integer(bucket.count))
            }
            sample("\(family.name)_bucket", one.labels.adding("le", "+Inf"), .integer(one.count))
            sample("\(family.name)_sum", one.labels, .real(one.sum))
            sample("\(family.name)_count", one.labels, .integer(one.count))
        }
    }

    /// Ends the exposition (OpenMetrics: `# EOF`).
    mutating func finish() {
        if format == .openMetrics { bytes.append(contentsOf: "# EOF\n".utf8) }
    }

    private mutating func sample(_ name: String, _ labels: RenderedLabels, _ value: Value) {
        bytes.append(contentsOf: name.utf8)
        if !labels.bytes.isEmpty {
            bytes.append(UInt8(ascii: "{"))
            bytes.append(contentsOf: labels.bytes)
            bytes.append(UInt8(ascii: "}"))
        }
        bytes.append(UInt8(ascii: " "))
        switch value {
        case .integer(let value): bytes.append(contentsOf: String(value).utf8)
        case .real(let value): bytes.append(contentsOf: Self.number(value).utf8)
        }
        bytes.append(UInt8(ascii: "\n"))
    }

    private mutating func writeHeader(_ family: MetricFamily) {
        // OpenMetrics names a counter family without the suffix its samples carry.
        let name =
            format == .openMetrics && family.type == .counter && family.name.hasSuffix("_total")
            ? String(family.name.dropLast("_total".count)) : family.name
        bytes.append(contentsOf: "# HELP \(name) ".utf8)
        for byte in family.help.utf8 {
            switch byte {
            case UInt8(ascii: "\\"): bytes.append(contentsOf: #"\\"#.utf8)
            case UInt8(ascii: "\n"): bytes.append(contentsOf: #"\n"#.utf8)
            case UInt8(ascii: "\"") where format == .openMetrics: bytes.append(contentsOf: #"\""#.utf8)
            default: bytes.append(byte)
            }
        }
        bytes.append(contentsOf: "\n# TYPE \(name) \(family.type.rawValue)\n".utf8)
    }

    /// Go's ParseFloat reads Swift's shortest round-trip form ("0.001",
    /// "1e-05"); only the non-finite values are spelt differently.
    static func number(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value < 0 ? "-Inf" : "+Inf" }
        return String(value)
    }
}

/// `name="value",…` with the values escaped, ready to put between braces:
/// rendered once per series and shared by all its families.
struct RenderedLabels {
    private(set) var bytes: [UInt8] = []

    init(_ names: [String], _ values: [String]) {
        precondition(names.count == values.count, "a value for every label")
        for (name, value) in zip(names, values) { append(name, value) }
    }

    /// These labels and one more.
    func adding(_ name: String, _ value: String) -> RenderedLabels {
        var labels = self
        labels.append(name, value)
        return labels
    }

    private mutating func append(_ name: String, _ value: String) {
        if !bytes.isEmpty { bytes.append(UInt8(ascii: ",")) }
        bytes.append(contentsOf: name.utf8)
        bytes.append(contentsOf: #"=""#.utf8)
        // Both formats escape exactly these three in a label value.
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "\\"): bytes.append(contentsOf: #"\\"#.utf8)
            case UInt8(ascii: "\""): bytes.append(contentsOf: #"\""#.utf8)
            case UInt8(ascii: "\n"): bytes.append(contentsOf: #"\n"#.utf8)
            default: bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }
}
