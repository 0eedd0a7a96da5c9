import VtapBPF
import VtapCodegen
import VtapDiagnostics
import VtapRuleModel

/// Describes a compiled object: its programs and maps from libbpf, value
/// layouts from its BTF, so the manifest cannot disagree with the object.
enum ManifestBuilder {
    static func manifest(
        for object: [UInt8], ruleset: Ruleset, file: SourceFile, source: ProgramSource, objectFileName: String
    ) throws -> Manifest {
        do {
            let opened = try BPFObject(elf: object, name: "vtap")
            let btf = try opened.btf()
            let structNames = [
                ObjectContract.countersStruct, ObjectContract.tallyStruct, ObjectContract.flowKeyStruct,
                "vtap_flow_state", ObjectContract.flowViewKeyStruct, ObjectContract.flowCountersStruct,
                "vtap_replay_packet",
            ]
            let events = ruleset.settings.events
            let eventStructs =
                (events?.levels.isEmpty == false ? [ObjectContract.eventStruct] : [])
                + (events?.qlog == true ? [ObjectContract.segmentStruct] : [])
                + (ruleset.settings.kpis != nil ? [ObjectContract.kpiStruct] : [])
            let structs = try (structNames + eventStructs).map { name in
                let layout = try btf.structLayout(named: name)
                return Manifest.Struct(
                    name: layout.name, size: layout.size,
                    fields: layout.members.map {
                        Manifest.Struct.Field(name: $0.name, offset: $0.offset, size: $0.size)
                    })
            }
            let maps = opened.maps.filter { !$0.isInternal }.map { map in
                let role = ObjectContract.mapRoles[map.name]
                return Manifest.Map(
                    name: map.name, type: map.type.description, keySize: map.keySize, valueSize: map.valueSize,
                    maxEntries: map.maxEntries, role: role?.role ?? "unknown", key: role?.key ?? "",
                    valueStruct: role?.value)
            }
            let globals = try opened.globalVariables().map {
                Manifest.Global(name: $0.name, section: $0.section, offset: $0.offset, size: $0.size)
            }
            let programs = opened.programs.map { program in
                let tracepoint = program.section.hasPrefix(ObjectContract.tracepointSectionPrefix)
                return Manifest.Program(
                    name: program.name, section: program.section, type: program.type.description,
                    attach: tracepoint
                        ? "raw_tracepoint:" + program.section.dropFirst(ObjectContract.tracepointSectionPrefix.count)
                        : ObjectContract.packetPrograms.first { $0.name == program.name }?.attach ?? "af_packet_socket",
                    role: tracepoint ? "events" : "measure")
            }
            return Manifest(
                generator: .init(name: "vtapc", version: RulesCompiler.version, clang: Clang.version),
                rulesFile: .init(path: file.path, sha256: ObjectDigest.sha256Hex(file.bytes)),
                object: .init(file: objectFileName, size: object.count, sha256: ObjectDigest.sha256Hex(object)),
                build: .init(
                    clangArguments: Clang.bpfArguments, strategy: source.strategy.rawValue,
                    decisionFunctions: source.functionCount,
                    plans: source.plans.map {
                        .init(
                            family: $0.family.rawValue, partition: $0.partition, rules: $0.homeRules,
                            splits: $0.splitCount, bounds: $0.boundCount)
                    },
                    classifier: source.comparison == nil ? classifierFigures(source, ruleset) : nil),
                programs: programs, maps: maps, structs: structs, globals: globals,
                slots: .init(
                    protocols: ProtocolClass.allCases.map(\.name), totals: ObjectContract.totals,
                    arrivals: "rule index for rules, then rule count + protocol class",
                    events: ruleset.settings.events == nil && ruleset.settings.kpis == nil
                        ? nil : EventStatSlot.allCases.map(\.name)),
                rules: ruleset.rules.map {
                    .init(
                        index: $0.index, number: $0.number, name: $0.name, label: $0.label, source: $0.source,
                        line: $0.location.line, column: $0.location.column)
                },
                settings: ruleset.settings, verifier: nil)
        } catch {
            throw CompileError.internalError("cannot describe the compiled object: \(error)")
        }
    }

    static func classifierFigures(_ source: ProgramSource, _ ruleset: Ruleset) -> Manifest.Build.Classifier {
        var partitions: [String: Int] = [:]
        var walk: [String: Int] = [:]
        for family in AddressFamily.allCases {
            (partitions[family.rawValue], walk[family.rawValue]) = source.walk(family)
        }
        return .init(
            tableBytes: source.tableBytes,
            bytesPerRule: Double(source.tableBytes) / Double(max(1, ruleset.rules.count)),
            partitions: partitions, walkBound: walk)
    }
}
