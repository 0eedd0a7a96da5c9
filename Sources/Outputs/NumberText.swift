import Foundation
import VtapMetrics

/// How numbers read in the console and the log files.
public enum NumberText {
    /// `decimals` digits after the point, rounded, never "-0.000";
    /// locale-independent.
    public static func fixed(_ value: Double, decimals: Int) -> String {
        guard value.isFinite else { return value.isNaN ? "nan" : (value < 0 ? "-inf" : "inf") }
        let text = String(format: "%.\(max(0, decimals))f", value)
        // Values that round to zero print without a sign.
        if text.hasPrefix("-"), text.dropFirst().allSatisfy({ $0 == "0" || $0 == "." }) {
            return String(text.dropFirst())
        }
        return text
    }

    static let prefixes = ["", "k", "M", "G", "T", "P", "E"]

    /// An SI-prefixed value with its unit, e.g. "12.3 Mbit/s", "1.5 MB/s",
    /// "512.0 B/s"; decimal prefixes (k = 1000). With an empty unit: "12.3 k".
    public static func si(_ value: Double, unit: String, decimals: Int = 1) -> String {
        guard value.isFinite else { return fixed(value, decimals: decimals) }
        var scaled = value.magnitude
        var prefix = 0
        while scaled >= 1000, prefix + 1 < prefixes.count {
            scaled /= 1000
            prefix += 1
        }
        var number = fixed(scaled, decimals: decimals)
        // 999.96 rounds up to "1000.0": that is "1.0" of the next prefix.
        if let rounded = Double(number), rounded >= 1000, prefix + 1 < prefixes.count {
            scaled /= 1000
            prefix += 1
            number = fixed(scaled, decimals: decimals)
        }
        let sign = value < 0 && number.contains(where: { $0 != "0" && $0 != "." }) ? "-" : ""
        let suffix = prefixes[prefix] + unit
        return suffix.isEmpty ? sign + number : sign + number + " " + suffix
    }

    /// A rate in the report's unit with an SI prefix, or "-" for none.
    public static func rate(_ value: Double?, unit: ThroughputUnit) -> String {
        value.map { si($0, unit: unit.rawValue) } ?? "-"
    }

    /// "mean ± sd" in milliseconds, or "-" without samples.
    public static func jitter(_ jitter: JitterStatistics?, decimals: Int = 3) -> String {
        guard let jitter else { return "-" }
        return fixed(jitter.meanMilliseconds, decimals: decimals) + " ± "
            + fixed(jitter.stddevMilliseconds, decimals: decimals)
    }

    /// Thousands separators, e.g. "1,234,567".
    public static func grouped(_ value: UInt64) -> String { VtapOutputs.grouped(value) }
}

extension ReportTime {
    /// The time of a `Date`, to the nanosecond it holds.
    public init(_ date: Date) {
        let seconds = date.timeIntervalSince1970
        let whole = seconds.rounded(.down)
        self.init(nanosecondsSinceEpoch: Int64(whole) * 1_000_000_000 + Int64(((seconds - whole) * 1e9).rounded()))
    }
}
