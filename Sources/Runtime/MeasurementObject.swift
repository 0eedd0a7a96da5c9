import Foundation
import VtapBPF
import VtapDiagnostics
import VtapRuleModel
import VtapSystem

/// A vtapc object paired with its manifest, checked to belong together
/// before anything is loaded (like ebpf_exporter pairing config and object).
public struct MeasurementObject: Sendable {
    public var elf: [UInt8]
    public var manifest: Manifest
    /// Where it came from, for messages.
    public var origin: String

    public init(elf: [UInt8], manifest: Manifest, origin: String) throws {
        self.elf = elf
        self.manifest = manifest
        self.origin = origin
        try validate()
    }

    /// Reads `FILE.o` and `FILE.manifest.json`.
    public static func open(objectPath: String) throws -> MeasurementObject {
        let manifestPath = Manifest.path(forObject: objectPath)
        let elf: [UInt8]
        do {
            elf = try InputFile.read(objectPath, limit: Limits.maxInputFileBytes)
        } catch {
            throw RuntimeError.io("cannot read \(objectPath): \(error.reason)")
        }
        guard elf.starts(with: [0x7F, 0x45, 0x4C, 0x46]) else {
            throw RuntimeError.badInput("\(objectPath) is not an ELF object")
        }
        guard let manifestData = FileManager.default.contents(atPath: manifestPath) else {
            throw RuntimeError.badInput("\(objectPath) was not built by vtapc: \(manifestPath) is missing")
        }
        let manifest: Manifest
        do {
            manifest = try Manifest.decoded(from: manifestData)
        } catch {
            throw RuntimeError.badInput("\(manifestPath) is not a vtap manifest: \(Self.describe(error))")
        }
        return try MeasurementObject(elf: elf, manifest: manifest, origin: objectPath)
    }

    /// A rules file (`.json`) is compiled by vtapc (`compiler`, found when
    /// nil); anything else is read as an object.
    public static func load(_ path: String, compiler: String? = nil) throws -> MeasurementObject {
        guard path.hasSuffix(".json") else { return try open(objectPath: path) }
        return try CompilerProcess.locate(explicit: compiler, forRules: path).compile(rulesPath: path)
    }

    private func validate() throws {
        guard manifest.schemaVersion == Manifest.currentSchemaVersion else {
            throw RuntimeError.badInput(
                "\(origin): manifest schema \(manifest.schemaVersion) is not supported (this vtap reads \(Manifest.currentSchemaVersion))"
            )
        }
        let digest = ObjectDigest.sha256Hex(elf)
        guard digest == manifest.object.sha256 else {
            throw RuntimeError.badInput("\(origin): the object does not match its manifest (rebuild both with vtapc)")
        }
        for name in [ObjectContract.ruleStatsMap, ObjectContract.protocolStatsMap, ObjectContract.totalsMap] {
            guard manifest.map(named: name) != nil else {
                throw RuntimeError.badInput("\(origin): the manifest lists no map \(name)")
            }
        }
        for name in [ObjectContract.countersStruct, ObjectContract.tallyStruct] {
            guard manifest.structLayout(named: name) != nil else {
                throw RuntimeError.badInput("\(origin): the manifest lists no layout for struct \(name)")
            }
        }
        guard manifest.programs.contains(where: { $0.name == ObjectContract.programName }) else {
            throw RuntimeError.badInput("\(origin): no program \(ObjectContract.programName)")
        }
        try checkAgainstObject()
    }

    /// What the manifest says about the object, against the object's own
    /// BTF and map definitions. The digest ties the manifest to the
    /// object's bytes, not to what it says of them: a counter offset edited
    /// with the digest left alone was read at the wrong place and every
    /// `packets` came out 0.
    private func checkAgainstObject() throws {
        let object: BPFObject
        let btf: BTFTypes
        do {
            object = try BPFObject(elf: elf, name: "vtap")
            btf = try object.btf()
        } catch {
            throw RuntimeError.badInput("\(origin): cannot read the object's BTF: \(error)")
        }
        func mismatch(_ what: String) -> RuntimeError {
            RuntimeError.badInput(
                "\(origin): the manifest's \(what) does not match the object (rebuild both with vtapc)")
        }
        for described in manifest.structs {
            guard let layout = try? btf.structLayout(named: described.name) else {
                throw mismatch("struct \(described.name)")
            }
            let fields = described.fields.map { "\($0.name)@\($0.offset)+\($0.size)" }
            guard layout.size == described.size,
                layout.members.map({ "\($0.name)@\($0.offset)+\($0.size)" }) == fields
            else { throw mismatch("layout of struct \(described.name)") }
        }
        let maps = Dictionary(
            object.maps.filter { !$0.isInternal }.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        for described in manifest.maps {
            guard let map = maps[described.name], map.keySize == described.keySize,
                map.valueSize == described.valueSize, map.maxEntries == described.maxEntries
            else { throw mismatch("map \(described.name)") }
        }
        // The rule counters are sized for the object's rules: one slot per
        // rule and protocol class (an added rule would be reported as 0).
        let slots = max(1, manifest.rules.count) * ProtocolClass.allCases.count
        if let counters = manifest.map(named: ObjectContract.ruleStatsMap), counters.maxEntries != slots {
            throw mismatch(
                "rule list (\(manifest.rules.count) rules; the object counts \(counters.maxEntries / ProtocolClass.allCases.count))"
            )
        }
    }

    private static func describe(_ error: Error) -> String {
        switch error {
        case DecodingError.keyNotFound(let key, _): "missing key \(key.stringValue)"
        case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context),
            DecodingError.dataCorrupted(let context):
            context.debugDescription
        default: "\(error)"
        }
    }
}
