import Foundation
import Testing
import VtapCompiler
import VtapDiagnostics
import VtapRuleModel

@Suite struct ManifestTests {
    /// A manifest reads back as written, so a runtime sees what vtapc saw.
    @Test func manifestRoundTrips() throws {
        let file = SourceFile(
            path: "seed.json",
            text: """
                {"RULES": ["1.1.1.1 2.2.2.2 11 22 TCP", {"name": "voice", "rule": "3.3.3.3 - - - [TCP,UDP]"}],
                 "DISPLAY": {"Throughput": "True", "Goodput": "False", "Jitter": "True", "SEQ_ERRORS": "False"},
                 "PATTERN": "0xE7A5C318", "OFFSET": 4, "DIRECTION": "both"}
                """)
        let compiled = try RulesCompiler.compile(file, options: .init(verify: false))
        let data = try OutputFiles.encodeManifest(compiled.manifest)
        let decoded = try Manifest.decoded(from: data)
        #expect(decoded == compiled.manifest)
        #expect(decoded.settings.display.goodput == false)
        #expect(decoded.settings.display.sequenceErrors == false)
        #expect(decoded.settings.direction == .both)
        #expect(decoded.settings.sequence == .pattern(0xE7A5_C318, offset: 4))
        #expect(decoded.rules.map(\.label) == ["1", "voice"])
        let text = String(decoding: data, as: UTF8.self)
        #expect(text.contains("\"sequence_errors\" : false"))
        #expect(text.contains("\"value_struct\" : \"vtap_counters\""))
    }

    /// The manifest describes the map values from the object's own BTF.
    @Test func layoutsComeFromTheObject() throws {
        let compiled = try RulesCompiler.compile(
            SourceFile(path: "r.json", text: #"{"RULES": ["- - - - -"]}"#), options: .init(verify: false))
        let counters = try #require(compiled.manifest.structLayout(named: "vtap_counters"))
        #expect(counters.field("packets")?.offset == 0)
        #expect(counters.field("bytes")?.offset == 8)
        #expect(counters.field("seq_last")?.size == 4)
        #expect(counters.size == 120)
        let rules = try #require(compiled.manifest.map(named: "vtap_rule_stats"))
        #expect(rules.type == "percpu_array")
        #expect(rules.maxEntries == 4)  // one rule, four protocol classes
        #expect(rules.valueSize == counters.size)
        #expect(
            compiled.manifest.programs.map(\.name) == [
                "vtap_measure", "vtap_measure_tc_ingress", "vtap_measure_tc_egress", "vtap_measure_xdp",
            ])
        #expect(compiled.manifest.programs.map(\.attach) == ["af_packet_socket", "tcx_ingress", "tcx_egress", "xdp"])
    }
}
