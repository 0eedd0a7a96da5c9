import Testing
import VtapBPF
import VtapTestSupport

#if canImport(Glibc)
    import Glibc
#endif

/// Objects, maps, BTF, globals and test_run against the real kernel.
@Suite struct BPFObjectTests {
    static let counterKeyIdle: UInt32 = 0
    static let counterKeyReplay: UInt32 = 1

    func openCounter(name: String = "vtap_counter") throws -> BPFObject {
        try BPFObject(elf: BPFTestPrograms.compile(BPFTestPrograms.counter), name: name)
    }

    // MARK: - Before load (no kernel beyond parsing)

    @Test func listsProgramsAndMapsWithTheirDefinitions() throws {
        let object = try openCounter()
        #expect(object.programs.map(\.name) == ["vtap_count", "vtap_port_count"])
        let program = try object.program(named: "vtap_count")
        #expect(program.section == "socket")
        #expect(program.type == .socketFilter)
        #expect(program.elfInstructionCount > 10)
        #expect(program.fileDescriptor == nil)

        let counts = try object.map(named: "vtap_counts")
        #expect(counts.type == .perCPUArray)
        #expect(counts.keySize == 4)
        #expect(counts.valueSize == 24)
        #expect(counts.maxEntries == 4)
        #expect(!counts.isInternal)
        let ethertypes = try object.map(named: "vtap_ethertypes")
        #expect(ethertypes.type == .hash)
        #expect(ethertypes.keySize == 2)
        #expect(ethertypes.valueSize == 8)
        #expect(ethertypes.maxEntries == 64)
        let internalMaps = object.maps.filter(\.isInternal).map(\.name)
        #expect(internalMaps.contains { $0.hasSuffix(".rodata") })
        #expect(internalMaps.contains { $0.hasSuffix(".bss") })
    }

    @Test func unknownNamesAreNotFound() throws {
        let object = try openCounter()
        let error = try #require(throws: BPFError.self) { try object.program(named: "nope") }
        #expect(error.kind == .notFound)
        #expect(error.description.contains("'nope'"))
        #expect(error.description.contains("vtap_count"), "lists what exists")
        #expect(throws: BPFError.self) { try object.map(named: "nope") }
    }

    @Test func garbageIsAnInvalidObject() throws {
        let error = try #require(throws: BPFError.self) {
            try BPFObject(elf: Array("not an ELF file at all".utf8), name: "junk")
        }
        #expect(error.kind == .invalidObject)
        #expect(error.description.hasPrefix("open object 'junk': not a valid BPF object"))
        #expect(!error.description.contains("\n"))
        let empty = try #require(throws: BPFError.self) { try BPFObject(elf: [], name: "empty") }
        #expect(empty.kind == .invalidObject)
    }

    @Test func structLayoutMatchesTheCDeclaration() throws {
        let object = try openCounter()
        let layout = try object.structLayout(named: "vtap_counter")
        #expect(layout.size == 24)
        #expect(
            layout.members == [
                .init(name: "packets", offset: 0, size: 8, typeName: "__u64"),
                .init(name: "bytes", offset: 8, size: 8, typeName: "__u64"),
                .init(name: "last_len", offset: 16, size: 4, typeName: "__u32"),
                .init(name: "flags", offset: 20, size: 3, typeName: "__u8[3]"),
            ])
        // Anonymous union members are listed in place; named nested structs are one member.
        let tagged = try object.structLayout(named: "vtap_tagged")
        #expect(tagged.size == 12)
        #expect(tagged.members.map(\.name) == ["kind", "v4", "port", "pair"])
        #expect(tagged.members.map(\.offset) == [0, 4, 4, 8])
        #expect(tagged.members.map(\.size) == [2, 4, 2, 2])
        #expect(tagged.member(named: "pair")?.typeName == "struct <anon>")
    }

    @Test func structLayoutErrors() throws {
        let object = try openCounter()
        #expect(throws: BPFError.self) { try object.structLayout(named: "no_such_struct") }
        let bits = try BPFObject(elf: BPFTestPrograms.compile(BPFTestPrograms.bitfield), name: "bits")
        let error = try #require(throws: BPFError.self) { try bits.structLayout(named: "vtap_bits") }
        #expect(error.kind == .unsupported)
        #expect(error.description.contains("member 'low' is a bitfield"))
    }

    @Test func dataSectionVariablesHaveOffsetsAndSizes() throws {
        let object = try openCounter()
        let btf = try object.btf()
        #expect(Set(btf.dataSectionNames).isSuperset(of: [".rodata", ".bss"]))
        let rodata = try btf.dataSection(named: ".rodata")
        #expect(
            rodata.map { "\($0.name)@\($0.offset)+\($0.size)" }
                == ["vtap_cfg_replay@0+4", "vtap_cfg_snap@4+4", "vtap_cfg_port@8+2"])
        let globals = try object.globalVariables().map(\.name)
        #expect(Set(globals) == ["vtap_cfg_replay", "vtap_cfg_snap", "vtap_cfg_port", "vtap_seen", "vtap_last_tag"])
        #expect(throws: BPFError.self) { try btf.dataSection(named: ".nope") }
    }

    @Test func setGlobalChecksNameAndSize() throws {
        let object = try openCounter()
        #expect(try object.global("vtap_cfg_snap") == HostBytes.encode(UInt32(0xffff)))
        try object.setGlobal("vtap_cfg_snap", to: UInt32(60))
        #expect(try object.global("vtap_cfg_snap") == HostBytes.encode(UInt32(60)))
        #expect(try object.global("vtap_cfg_replay") == [0, 0, 0, 0], "neighbours untouched")
        let missing = try #require(throws: BPFError.self) { try object.setGlobal("vtap_nope", to: UInt32(1)) }
        #expect(missing.kind == .notFound)
        let wrongSize = try #require(throws: BPFError.self) { try object.setGlobal("vtap_cfg_snap", to: UInt64(1)) }
        #expect(wrongSize.kind == .invalidArgument)
        #expect(wrongSize.description.contains("the variable has 4"))
    }

    // MARK: - Loaded

    @Test(.kernel) func testRunCountsPerCPUAcrossCPUs() throws {
        let object = try openCounter()
        try object.load()
        #expect(object.isLoaded)
        let program = try object.program(named: "vtap_count")
        #expect(program.fileDescriptor != nil)
        let counts = try object.map(named: "vtap_counts")
        let cpus = try BPFMap.possibleCPUCount()
        let online = (0..<cpus).filter { cpuIsOnline($0) }
        try #require(!online.isEmpty)

        // Run (cpu index + 2) times pinned to each online CPU: each CPU's
        // slot must hold exactly its own runs.
        let frame = BPFTestPrograms.frame(etherType: 0x0800, payloadLength: 46)
        for cpu in online {
            try onCPU(cpu) {
                for _ in 0..<(cpu + 2) {
                    let result = try program.testRun(packet: frame)
                    #expect(result.returnValue == 0xffff)
                    // Socket filters do not see layer 2: the kernel zeroes it in the output.
                    #expect(result.packetOut == [UInt8](repeating: 0, count: 14) + frame[14...])
                }
            }
        }
        let key = HostBytes.encode(Self.counterKeyIdle)
        let values = try #require(try counts.lookupPerCPU(key: key))
        #expect(values.cpuCount == cpus)
        for cpu in 0..<cpus {
            let expected = online.contains(cpu) ? UInt64(cpu + 2) : 0
            #expect(HostBytes.load(UInt64.self, from: values[cpu], at: 0) == expected, "packets on CPU \(cpu)")
            #expect(HostBytes.load(UInt64.self, from: values[cpu], at: 8) == expected * 46, "bytes on CPU \(cpu)")
        }
        let runs = online.map { UInt64($0 + 2) }.reduce(0, +)
        #expect(values.sum(UInt64.self, at: 0) == runs)
        // skb->len under test_run excludes the Ethernet header.
        #expect(values.sum(UInt64.self, at: 8) == runs * 46)
        #expect(try object.global("vtap_seen") == HostBytes.encode(runs), ".bss read back live")
        let other = try #require(try counts.lookupPerCPU(key: HostBytes.encode(Self.counterKeyReplay)))
        #expect(other.sum(UInt64.self, at: 0) == 0)
    }

    @Test(.kernel) func globalSetBeforeLoadChangesBehaviour() throws {
        let object = try openCounter()
        try object.setGlobal("vtap_cfg_replay", to: UInt32(1))
        try object.setGlobal("vtap_cfg_snap", to: UInt32(0))
        try object.load()
        let program = try object.program(named: "vtap_count")
        let result = try program.testRun(packet: BPFTestPrograms.frame(etherType: 0x86DD, payloadLength: 60), repeat: 3)
        #expect(result.returnValue == 0)
        #expect(result.repetitions == 3)
        let counts = try object.map(named: "vtap_counts")
        let replay = try #require(try counts.lookupPerCPU(key: HostBytes.encode(Self.counterKeyReplay)))
        #expect(replay.sum(UInt64.self, at: 0) == 3)
        let idle = try #require(try counts.lookupPerCPU(key: HostBytes.encode(Self.counterKeyIdle)))
        #expect(idle.sum(UInt64.self, at: 0) == 0)

        // After load: .rodata is frozen, .bss is writable live.
        let frozen = try #require(throws: BPFError.self) { try object.setGlobal("vtap_cfg_snap", to: UInt32(5)) }
        #expect(frozen.kind == .invalidArgument)
        try object.setGlobal("vtap_seen", to: UInt64(100))
        _ = try program.testRun(packet: BPFTestPrograms.frame(etherType: 0x86DD, payloadLength: 60))
        #expect(try object.global("vtap_seen") == HostBytes.encode(UInt64(101)))
    }

    @Test(.kernel) func hashMapKeysAndEntries() throws {
        let object = try openCounter()
        try object.load()
        let program = try object.program(named: "vtap_count")
        for (type, runs) in [(UInt16(0x0800), 2), (0x86DD, 1), (0x0806, 3)] {
            for _ in 0..<runs {
                _ = try program.testRun(packet: BPFTestPrograms.frame(etherType: type, payloadLength: 40))
            }
        }
        let ethertypes = try object.map(named: "vtap_ethertypes")
        let keys = try ethertypes.keys().compactMap { HostBytes.load(UInt16.self, from: $0) }
        #expect(Set(keys) == [0x0800, 0x86DD, 0x0806])
        let entries = try ethertypes.entries()
        var seen: [UInt16: UInt64] = [:]
        for entry in entries {
            if let key = HostBytes.load(UInt16.self, from: entry.key) {
                seen[key] = HostBytes.load(UInt64.self, from: entry.value)
            }
        }
        #expect(seen == [0x0800: 2, 0x86DD: 1, 0x0806: 3])

        // Byte-level update, lookup and delete.
        let key = HostBytes.encode(UInt16(0x88CC))
        #expect(try ethertypes.lookup(key: key) == nil)
        try ethertypes.update(key: key, value: HostBytes.encode(UInt64(7)))
        #expect(try ethertypes.lookup(key: key) == HostBytes.encode(UInt64(7)))
        #expect(throws: BPFError.self) {
            try ethertypes.update(key: key, value: HostBytes.encode(UInt64(8)), mode: .createOnly)
        }
        #expect(try ethertypes.delete(key: key))
        #expect(try !ethertypes.delete(key: key))
        let badKey = try #require(throws: BPFError.self) { try ethertypes.lookup(key: [1, 2, 3]) }
        #expect(badKey.kind == .invalidArgument)
        let perCPU = try #require(throws: BPFError.self) {
            try object.map(named: "vtap_counts").lookup(key: [0, 0, 0, 0])
        }
        #expect(perCPU.description.contains("per-CPU"))
    }

    @Test(.kernel) func snapshotReadsALargePerCPUArrayQuickly() throws {
        let object = try openCounter()
        let big = try object.map(named: "vtap_big")
        let entries = 100_000
        try big.setMaxEntries(entries)
        try object.load()
        let cpus = try BPFMap.possibleCPUCount()
        // Mark a few entries with values that differ per CPU.
        let marked = [0, 1, 4095, 8192, 65_537, entries - 1]
        for index in marked {
            let values = (0..<cpus).map { cpu -> [UInt8] in
                var value = [UInt8](repeating: 0, count: 24)
                HostBytes.store(UInt64(index) * 10 + UInt64(cpu), into: &value, at: 0)
                HostBytes.store(UInt32(index), into: &value, at: 16)
                return value
            }
            try big.updatePerCPU(key: HostBytes.encode(UInt32(index)), values: values)
        }
        let clock = ContinuousClock()
        var snapshot: MapSnapshot?
        let elapsed = try clock.measure { snapshot = try big.snapshot() }
        let read = try #require(snapshot)
        #expect(read.batched, "6.18 supports batch lookup of per-CPU arrays")
        #expect(read.entryCount == entries)
        #expect(read.cpuCount == cpus)
        #expect(elapsed < .seconds(1), "took \(elapsed)")
        for index in marked {
            for cpu in 0..<cpus {
                #expect(read.load(UInt64.self, at: index, cpu: cpu) == UInt64(index) * 10 + UInt64(cpu))
            }
            #expect(read.load(UInt32.self, at: index, offset: 16) == UInt32(index))
            let expectedSum = (0..<cpus).map { UInt64(index) * 10 + UInt64($0) }.reduce(0, +)
            #expect(read.sum(UInt64.self, at: index) == expectedSum)
        }
        #expect(read.sum(UInt64.self, at: 2) == 0)
        #expect(read.load(UInt64.self, at: 0, offset: 20) == nil, "a field past the value's end")
    }

    @Test(.kernel) func testRunRejectsShortPacketsAndUnloadedPrograms() throws {
        let object = try openCounter()
        let program = try object.program(named: "vtap_count")
        let unloaded = try #require(throws: BPFError.self) {
            try program.testRun(packet: BPFTestPrograms.frame(etherType: 0x0800, payloadLength: 20))
        }
        #expect(unloaded.kind == .invalidArgument)
        #expect(unloaded.description.contains("not loaded"))
        try object.load()
        let short = try #require(throws: BPFError.self) {
            try program.testRun(packet: [UInt8](repeating: 0, count: 13))
        }
        #expect(short.kind == .invalidArgument)
        #expect(short.description.contains("14 bytes"))
        // A non-IP frame may be just an Ethernet header; IP needs its whole header.
        #expect(
            try program.testRun(packet: BPFTestPrograms.frame(etherType: 0x88CC, payloadLength: 0)).returnValue
                == 0xffff)
        #expect(
            try program.testRun(packet: BPFTestPrograms.frame(etherType: 0x0800, payloadLength: 20)).returnValue
                == 0xffff)
        let truncatedIPv4 = try #require(throws: BPFError.self) {
            try program.testRun(packet: BPFTestPrograms.frame(etherType: 0x0800, payloadLength: 19))
        }
        #expect(truncatedIPv4.kind == .invalidArgument)
        #expect(truncatedIPv4.description.contains("needs a 20-byte IPv4 header"))
        let truncatedIPv6 = try #require(throws: BPFError.self) {
            try program.testRun(packet: BPFTestPrograms.frame(etherType: 0x86DD, payloadLength: 39))
        }
        #expect(truncatedIPv6.description.contains("needs a 40-byte IPv6 header"))
        let twice = try #require(throws: BPFError.self) { try object.load() }
        #expect(twice.description.contains("already loaded"))
    }

    @Test(.kernel) func testRunPassesContextThrough() throws {
        let object = try openCounter()
        try object.load()
        let program = try object.program(named: "vtap_count")
        let context = SkBuffContext(
            mark: 0x1234, priority: 3, controlBuffer: [1, 2, 3, 4, 5], timestampNanoseconds: 1_700_000_000_123_456_789)
        let result = try program.testRun(
            packet: BPFTestPrograms.frame(etherType: 0x0800, payloadLength: 40), context: context, repeat: 5)
        let out = try #require(result.contextOut)
        #expect(out.mark == 0x1234)
        #expect(out.controlBuffer == [1, 2, 3, 4, 5])
        #expect(out.timestampNanoseconds == 1_700_000_000_123_456_789)
        #expect(result.averageDurationNanoseconds < 1_000_000)
    }

    @Test(.kernel) func loadedProgramsAreListedAndNothingStaysLoaded() throws {
        var ids: [UInt32] = []
        do {
            let object = try openCounter(name: "vtap_leak")
            try object.load()
            for program in object.programs {
                let info = try program.info()
                #expect(info.type == .socketFilter)
                #expect(info.translatedInstructionCount > 0)
                #expect(info.name == String(program.name.prefix(15)))
                #expect(info.tag.count == 16)
                ids.append(info.id)
            }
            let listed = try LoadedPrograms.ids()
            #expect(Set(ids).isSubset(of: listed), "our programs are listed while loaded")
        }
        // The object is gone: its programs must be unloaded.
        let after = try LoadedPrograms.ids()
        #expect(Set(ids).isDisjoint(with: after), "leaked program ids \(Set(ids).intersection(after))")
    }

    /// The running kernel's BTF names the reasons the tests rely on; its
    /// numbering is the kernel's own (it changes between versions).
    @Test(.kernel) func theKernelsDropReasonsComeFromItsBTF() throws {
        let cases = try KernelTypes.enumCases(named: "skb_drop_reason")
        #expect(cases[0] == "SKB_NOT_DROPPED_YET")
        let named = Set(cases.values)
        #expect(named.isSuperset(of: ["SKB_DROP_REASON_NO_SOCKET", "SKB_DROP_REASON_TCP_CSUM"]))
        #expect(cases.count > 50, "\(cases.count) reasons")
        #expect(throws: BPFError.self) { try KernelTypes.enumCases(named: "vtap_no_such_enum") }
    }
}

/// Whether `cpu` is online (`/sys/devices/system/cpu/online` lists it).
func cpuIsOnline(_ cpu: Int) -> Bool {
    guard let file = fopen("/sys/devices/system/cpu/online", "r") else { return cpu == 0 }
    defer { fclose(file) }
    var buffer = [CChar](repeating: 0, count: 256)
    guard fgets(&buffer, Int32(buffer.count), file) != nil else { return cpu == 0 }
    let text = String(decoding: buffer.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    for part in text.split(whereSeparator: { $0 == "," || $0 == "\n" }) {
        let bounds = part.split(separator: "-").compactMap { Int($0) }
        if bounds.count == 1, bounds[0] == cpu { return true }
        if bounds.count == 2, (bounds[0]...bounds[1]).contains(cpu) { return true }
    }
    return false
}

/// Runs `body` with the calling thread pinned to `cpu`, then restores its
/// affinity. Glibc's affinity calls need _GNU_SOURCE, which Swift's Glibc
/// module does not define, so they are looked up at run time.
func onCPU<R>(_ cpu: Int, _ body: () throws -> R) throws -> R {
    typealias Affinity = @convention(c) (Int32, Int, UnsafeMutableRawPointer) -> Int32
    typealias CurrentCPU = @convention(c) () -> Int32
    guard let process = dlopen(nil, RTLD_NOW), let getSymbol = dlsym(process, "sched_getaffinity"),
        let setSymbol = dlsym(process, "sched_setaffinity"), let cpuSymbol = dlsym(process, "sched_getcpu")
    else { throw PinningFailed(cpu: cpu) }
    let getAffinity = unsafeBitCast(getSymbol, to: Affinity.self)
    let setAffinity = unsafeBitCast(setSymbol, to: Affinity.self)
    let currentCPU = unsafeBitCast(cpuSymbol, to: CurrentCPU.self)
    let size = 128  // sizeof(cpu_set_t)
    var original = [UInt8](repeating: 0, count: size)
    guard original.withUnsafeMutableBytes({ getAffinity(0, size, $0.baseAddress!) }) == 0 else {
        throw PinningFailed(cpu: cpu)
    }
    var only = [UInt8](repeating: 0, count: size)
    only[cpu / 8] |= UInt8(1 << (cpu % 8))
    guard only.withUnsafeMutableBytes({ setAffinity(0, size, $0.baseAddress!) }) == 0 else {
        throw PinningFailed(cpu: cpu)
    }
    defer { _ = original.withUnsafeMutableBytes { setAffinity(0, size, $0.baseAddress!) } }
    #expect(currentCPU() == Int32(cpu), "pinned to CPU \(cpu)")
    return try body()
}

struct PinningFailed: Error { var cpu: Int }
