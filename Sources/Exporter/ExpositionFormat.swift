/// The two text formats /metrics speaks, chosen by the request's Accept header.
public enum ExpositionFormat: Sendable, Equatable {
    /// The Prometheus text format 0.0.4.
    case prometheusText
    /// OpenMetrics 1.0.0, which Prometheus asks for first since 2.5.
    case openMetrics

    public var contentType: String {
        switch self {
        case .prometheusText: "text/plain; version=0.0.4; charset=utf-8"
        case .openMetrics: "application/openmetrics-text; version=1.0.0; charset=utf-8"
        }
    }

    /// The acceptable format with the highest quality, the earlier one on a
    /// tie; the text format when the header names neither (or is absent).
    ///
    /// Prometheus sends `application/openmetrics-text;version=1.0.0,
    /// application/openmetrics-text;version=0.0.1;q=0.75,
    /// text/plain;version=0.0.4;q=0.5,*/*;q=0.1`.
    public static func negotiate(accept: String?) -> ExpositionFormat {
        guard let accept else { return .prometheusText }
        var best: (format: ExpositionFormat, quality: Double)?
        for range in accept.split(separator: ",") {
            let parts = range.split(separator: ";").map { $0.trimmingSpaces.lowercased() }
            guard let mediaType = parts.first else { continue }
            var quality = 1.0
            var version: String?
            for parameter in parts.dropFirst() {
                let pair = parameter.split(separator: "=", maxSplits: 1).map { $0.trimmingSpaces }
                guard pair.count == 2 else { continue }
                switch pair[0] {
                case "q": quality = Double(pair[1]) ?? 0
                case "version": version = pair[1].trimming("\"")
                default: break
                }
            }
            let format: ExpositionFormat
            switch mediaType {
            // Both OpenMetrics versions parse the same for our families; 1.0.0 is what we write.
            case "application/openmetrics-text" where version == nil || version == "1.0.0" || version == "0.0.1":
                format = .openMetrics
            case "text/plain" where version == nil || version == "0.0.4", "text/*", "*/*":
                format = .prometheusText
            default:
                continue
            }
            guard quality > 0 else { continue }
            if best == nil || quality > best!.quality { best = (format, quality) }
        }
        return best?.format ?? .prometheusText
    }
}

extension StringProtocol {
    fileprivate var trimmingSpaces: String {
        String(drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
    }

    fileprivate func trimming(_ character: Character) -> String {
        String(drop { $0 == character }.reversed().drop { $0 == character }.reversed())
    }
}
