import Testing
import VtapDiagnostics
import VtapRuleModel
import VtapSema
import VtapTestSupport

@Suite struct KPIsSettingsTests {
    private func kpis(_ settings: String, sourceLocation: Testing.SourceLocation = #_sourceLocation)
        -> Settings.KPIs?
    {
        let result = check(file(rules: #""- - - - -""#, settings: settings))
        #expect(result.errors.isEmpty, "\(result.diagnostics.map(\.message))", sourceLocation: sourceLocation)
        return result.ruleset?.settings.kpis
    }

    @Test func anEmptySectionIsEveryKPIWithDefaults() {
        let parsed = kpis(#""KPIS": {}"#)
        #expect(parsed == Settings.KPIs())
        #expect(parsed?.chosen == Set(KPI.allCases))
        #expect(kpis("") == nil)
    }

    @Test func everyKeyIsRead() {
        let parsed = kpis(
            #""KPIS": {"IPFIX": "[2001:db8::9]:4739", "TRANSPORT": "TCP", "OBSERVATION_DOMAIN": 7, "#
                + #""EXPORT_INTERVAL": 5, "PROMETHEUS": "False", "KPI": ["RTT", "mptcp", "bytes", "rtt"]}"#)
        #expect(
            parsed
                == Settings.KPIs(
                    collector: "[2001:db8::9]:4739", transport: .tcp, observationDomain: 7, exportIntervalSeconds: 5,
                    prometheus: false, selected: [.bytes, .rtt, .mptcp]))
        #expect(parsed?.chosen == [.bytes, .rtt, .mptcp])
    }

    static let errorCases: [(settings: String, id: DiagnosticID)] = [
        (#""KPIS": ‸[]"#, .valueType),
        (#""KPIS": {"IPFIX": ‸"192.0.2.10"}"#, .collectorInvalid),
        (#""KPIS": {"IPFIX": ‸4739}"#, .valueType),
        (#""KPIS": {"TRANSPORT": ‸"sctp"}"#, .transportInvalid),
        (#""KPIS": {"EXPORT_INTERVAL": ‸0}"#, .valueOutOfRange),
        (#""KPIS": {"OBSERVATION_DOMAIN": ‸-1}"#, .valueOutOfRange),
        (#""KPIS": {"PROMETHEUS": ‸"perhaps"}"#, .boolInvalid),
        (#""KPIS": {"KPI": ‸"rtt"}"#, .valueType),
        (#""KPIS": {"KPI": [‸3]}"#, .valueType),
        (#""KPIS": {"KPI": ["rtt", ‸"latency"]}"#, .kpiUnknown),
        (#""KPIS": {"KPI": ‸[]}"#, .kpiUnknown),
    ]

    @Test(arguments: errorCases) func errorsPointAtTheValue(_ settings: String, _ id: DiagnosticID) {
        _ = expectOnly(id, in: #""- - - - -""#, settings: settings)
    }

    @Test func aKPINameIsSuggested() {
        let diagnostic = expectOnly(
            .kpiUnknown, in: #""- - - - -""#, settings: #""KPIS": {"KPI": [‸"retransmission"]}"#)
        #expect(diagnostic?.notes.first?.message == "did you mean \"retransmissions\"?")
    }
}
