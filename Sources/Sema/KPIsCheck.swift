import VtapDiagnostics
import VtapFrontend
import VtapRuleModel

/// The keys of the KPIS object, in the order docs/rules.md lists them.
enum KPIsKey {
    static let ipfix = "IPFIX"
    static let transport = "TRANSPORT"
    static let observationDomain = "OBSERVATION_DOMAIN"
    static let exportInterval = "EXPORT_INTERVAL"
    static let prometheus = "PROMETHEUS"
    static let kpi = "KPI"
    static let all = [ipfix, transport, observationDomain, exportInterval, prometheus, kpi]
}

/// The KPIS object: every key checked, defaults for the rest. An empty
/// object turns the KPIs on with no collector (the console, the events
/// file, Prometheus, or `vtap run --ipfix`).
func checkKPIs(_ member: JSONMember, diagnostics: inout DiagnosticBag) -> Settings.KPIs? {
    guard let members = readObject(member, diagnostics: &diagnostics) else { return nil }
    let keys = checkedKeys(members, known: KPIsKey.all, in: "KPIS", diagnostics: &diagnostics)
    var kpis = Settings.KPIs()
    if let ipfix = keys[KPIsKey.ipfix] {
        if case .string(let text) = ipfix.value.kind {
            if CollectorAddress(text.value) != nil {
                kpis.collector = text.value
            } else {
                diagnostics.error(
                    .collectorInvalid,
                    "IPFIX must be HOST:PORT (an IPv4 address or name, or [IPv6]:PORT; port 1 to 65535), "
                        + "found \"\(text.value)\"", at: ipfix.value.range)
            }
        } else if !ipfix.value.isInvalid {
            diagnostics.error(
                .valueType, "IPFIX must be a string \"HOST:PORT\", found \(ipfix.value.typeDescription)",
                at: ipfix.value.range)
        }
    }
    if let transport = keys[KPIsKey.transport] {
        let names = Settings.KPIs.Transport.allCases.map(\.rawValue)
        if case .string(let text) = transport.value.kind {
            if let value = Settings.KPIs.Transport(rawValue: text.value.lowercased()) {
                kpis.transport = value
            } else {
                diagnostics.error(
                    .transportInvalid,
                    "TRANSPORT must be \(names.joined(separator: " or ")), found \"\(text.value)\"",
                    at: transport.value.range)
            }
        } else if !transport.value.isInvalid {
            diagnostics.error(
                .valueType,
                "TRANSPORT must be a string (\(names.joined(separator: " or "))), "
                    + "found \(transport.value.typeDescription)", at: transport.value.range)
        }
    }
    if let domain = keys[KPIsKey.observationDomain],
        let value = readInteger(domain, in: 0...Int(UInt32.max), diagnostics: &diagnostics)
    {
        kpis.observationDomain = UInt32(value)
    }
    if let interval = keys[KPIsKey.exportInterval],
        let value = readInteger(interval, in: Limits.kpiExportSeconds, diagnostics: &diagnostics)
    {
        kpis.exportIntervalSeconds = value
    }
    if let prometheus = keys[KPIsKey.prometheus], let value = readBool(prometheus, diagnostics: &diagnostics) {
        kpis.prometheus = value
    }
    if let kpi = keys[KPIsKey.kpi] {
        let selected: [KPI] = readNames(kpi, noun: "KPI", unknown: .kpiUnknown, diagnostics: &diagnostics)
        if case .array(let elements) = kpi.value.kind, elements.isEmpty {
            diagnostics.error(
                .kpiUnknown,
                "KPI must name at least one KPI (\(KPI.allCases.map(\.rawValue).joined(separator: ", "))); "
                    + "leave it out for every KPI", at: kpi.value.range)
        }
        kpis.selected = selected
    }
    return kpis
}
