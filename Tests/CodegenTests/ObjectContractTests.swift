import Foundation
import Testing
import VtapRuleModel
import VtapTestSupport

/// The typed contract (`ObjectContract`, `TotalSlot`, `Settings.Direction`)
/// against the template that defines the other side of it: a slot, value or
/// name changed on one side only fails here, before any kernel test runs.
@Suite struct ObjectContractTests {
    static func template(_ name: String) throws -> String {
        try String(contentsOf: RepositoryLayout.file("templates/\(name)"), encoding: .utf8)
    }

    /// `NAME = value` pairs of a C enum whose header line contains `opening`.
    static func enumerators(in text: String, opening: String) throws -> [String: Int] {
        let start = try #require(text.range(of: opening), "no \(opening)")
        let end = try #require(text.range(of: "}", range: start.upperBound..<text.endIndex))
        var values: [String: Int] = [:]
        for item in text[start.upperBound..<end.lowerBound].split(whereSeparator: { $0 == "," || $0 == "\n" }) {
            let code = item.split(separator: "/*")[0]
            let parts = code.split(separator: "=").map { $0.trimmingCharacters(in: .whitespaces) }
            if parts.count == 2, let value = Int(parts[1]) { values[parts[0]] = value }
        }
        return values
    }

    @Test func totalSlotsAreTheTemplates() throws {
        let slots = try Self.enumerators(in: Self.template("vtap_maps.h"), opening: "enum vtap_total_slot {")
        #expect(slots["VTAP_TOTAL_SLOTS"] == TotalSlot.allCases.count, "\(slots)")
        let named = slots.filter { $0.key != "VTAP_TOTAL_SLOTS" }
        #expect(named.count == TotalSlot.allCases.count)
        for (constant, value) in named {
            let slot = try #require(TotalSlot(rawValue: value), "\(constant) = \(value) has no TotalSlot")
            let name = constant.lowercased().replacingOccurrences(of: "vtap_total_", with: "")
                .replacingOccurrences(of: "vtap_", with: "")
            #expect(slot.name == name, "\(constant) = \(value) is \(slot) named \(slot.name)")
        }
        #expect(ObjectContract.totals == TotalSlot.allCases.map(\.name))
    }

    @Test func eventKindsAndStatSlotsAreTheTemplates() throws {
        let text = try Self.template("vtap_ring.h")
        let kinds = try Self.enumerators(in: text, opening: "enum vtap_event_kind {")
        #expect(kinds.count == EventKind.allCases.count, "\(kinds)")
        for (constant, value) in kinds {
            let kind = try #require(EventKind(rawValue: UInt32(value)), "\(constant) = \(value) has no EventKind")
            #expect("VTAP_EVENT_" + kind.name.uppercased() == constant)
        }
        let slots = try Self.enumerators(in: text, opening: "enum vtap_event_stat {")
        #expect(slots["VTAP_EVENT_STAT_COUNT"] == EventStatSlot.allCases.count, "\(slots)")
        for slot in EventStatSlot.allCases {
            #expect(slots["VTAP_EVENT_" + slot.name.uppercased()] == slot.rawValue, "\(slot)")
        }
        #expect(try Self.template("vtap_events.h").contains("SEC(\"\(ObjectContract.tracepointSectionPrefix)"))
    }

    @Test func latencyStagesAreTheTemplates() throws {
        let text = try Self.template("vtap_latency.h")
        let stages = try Self.enumerators(in: text, opening: "enum vtap_latency_stage {")
        #expect(stages["VTAP_LATENCY_STAGE_COUNT"] == LatencyStage.allCases.count, "\(stages)")
        for stage in LatencyStage.allCases {
            #expect(stages["VTAP_LATENCY_" + stage.name.uppercased()] == stage.rawValue, "\(stage)")
        }
        #expect(text.contains("#define VTAP_LATENCY_BUCKETS \(LatencyStage.buckets)\n"))
    }

    @Test func directionValuesAreTheTemplates() throws {
        let values = try Self.enumerators(in: Self.template("vtap_filter.bpf.c"), opening: "enum { VTAP_DIRECTION_IN")
        // The opening swallowed the first name; its value follows.
        let program = try Self.template("vtap_filter.bpf.c")
        #expect(program.contains("VTAP_DIRECTION_IN = \(Settings.Direction.ingress.contractValue),"))
        #expect(values["VTAP_DIRECTION_OUT"] == Int(Settings.Direction.egress.contractValue), "\(values)")
        #expect(values["VTAP_DIRECTION_BOTH"] == Int(Settings.Direction.both.contractValue), "\(values)")
        #expect(Set(Settings.Direction.allCases.map(\.contractValue)).count == Settings.Direction.allCases.count)
    }

    /// KPIS' template numbers TCP states as the kernel does (TCPState) and
    /// its record ends as KPIEnd does.
    @Test func kpiStatesAndEndsAreTheTemplates() throws {
        let text = try Self.template("vtap_kpi.h")
        let states = try Self.enumerators(in: text, opening: "enum vtap_tcp_state {")
        #expect(states["VTAP_TCP_ESTABLISHED"].map(Int32.init) == TCPState.established.rawValue)
        #expect(states["VTAP_TCP_CLOSE"].map(Int32.init) == TCPState.close.rawValue)
        #expect(states["VTAP_TCP_LISTEN"].map(Int32.init) == TCPState.listen.rawValue)
        let ends = try Self.enumerators(in: text, opening: "enum vtap_kpi_end {")
        #expect(ends.count == KPIEnd.allCases.count, "\(ends)")
        for end in KPIEnd.allCases {
            let name = "VTAP_KPI_" + (end == .notEstablished ? "NOT_ESTABLISHED" : end.name.uppercased())
            #expect(ends[name].map(UInt16.init) == end.rawValue, "\(name)")
        }
        #expect(text.contains("struct \(ObjectContract.kpiStruct) {"))
    }

    @Test func programMapAndGlobalNamesAreTheTemplates() throws {
        let program = try Self.template("vtap_filter.bpf.c")
        #expect(program.contains("SEC(\"socket\")\nint \(ObjectContract.programName)(struct __sk_buff *skb)"))
        let ring = try Self.template("vtap_ring.h")
        let latency = try Self.template("vtap_latency.h")
        let events = try Self.template("vtap_events.h")
        let kpis = try Self.template("vtap_kpi.h")
        let tableWalk = try Self.template("vtap_table_walk.h")
        for map in ObjectContract.mapRoles.keys {
            #expect(
                [program, ring, latency, events, kpis, tableWalk].contains {
                    $0.contains("} \(map) SEC(\".maps\");")
                },
                "no map \(map) in the templates")
        }
        #expect(ring.contains("struct \(ObjectContract.eventStruct) {"))
        #expect(try Self.template("vtap_qlog.h").contains("struct \(ObjectContract.segmentStruct) {"))
        for global in [
            ObjectContract.replayConfig, ObjectContract.linkConfig, ObjectContract.directionConfig,
            ObjectContract.verdictConfig,
        ] {
            #expect(program.contains("const volatile __u32 \(global) ="), "no configuration global \(global)")
        }
        #expect(program.contains(" \(ObjectContract.replayGlobal);"))
        let maps = try Self.template("vtap_maps.h")
        for name in [ObjectContract.countersStruct, ObjectContract.tallyStruct] {
            #expect(maps.contains("struct \(name) {"), "no struct \(name)")
        }
    }
}
