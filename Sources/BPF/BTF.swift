import CLibbpf

/// The BTF type information of an opened object: struct layouts and the
/// variables of data sections, as the compiler laid them out. Needs no
/// kernel (works before load). Keeps its object alive.
///
/// Thread-safety: read-only after open; safe from any thread.
public struct BTFTypes: @unchecked Sendable {
    public let object: BPFObject
    let btf: OpaquePointer

    /// The layout of `struct <name>`.
    ///
    /// Members of anonymous nested structs and unions are listed in place,
    /// with offsets from the start of the outer struct.
    ///
    /// - Throws: `.notFound` if there is no such struct; `.unsupported` if
    ///   it has a bitfield (offsets would not be whole bytes).
    public func structLayout(named name: String) throws -> StructLayout {
        let id = btf__find_by_name_kind(btf, name, BTFKind.structure)
        guard id > 0, let type = btf__type_by_id(btf, UInt32(id)) else {
            throw BPFError(.notFound, operation: "find struct", object: "'\(name)' in object '\(object.name)'")
        }
        let members = try members(of: type, structName: name, baseOffset: 0)
        return StructLayout(name: name, size: Int(type.pointee.size), members: members)
    }

    private func members(of type: UnsafePointer<btf_type>, structName: String, baseOffset: Int) throws
        -> [StructLayout.Member]
    {
        var result: [StructLayout.Member] = []
        let count = Int(btf_vlen(type))
        guard let first = btf_members(type) else { return [] }
        for index in 0..<count {
            let member = first[index]
            let memberName = name(at: member.name_off)
            let bitOffset = btf_member_bit_offset(type, UInt32(index))
            if btf_member_bitfield_size(type, UInt32(index)) != 0 || bitOffset % 8 != 0 {
                throw BPFError(
                    .unsupported, operation: "read struct layout", object: "struct '\(structName)'",
                    detail: "member '\(memberName)' is a bitfield; vtap reads whole bytes only")
            }
            let offset = baseOffset + Int(bitOffset / 8)
            let resolvedID = btf__resolve_type(btf, member.type)
            if memberName.isEmpty, resolvedID > 0, let resolved = btf__type_by_id(btf, UInt32(resolvedID)),
                btf_is_composite(resolved)
            {
                result += try members(of: resolved, structName: structName, baseOffset: offset)
                continue
            }
            let size = btf__resolve_size(btf, member.type)
            guard size >= 0 else {
                throw BPFError(
                    .unsupported, operation: "read struct layout", object: "struct '\(structName)'",
                    detail: "cannot size member '\(memberName)'", errno: Int32(truncatingIfNeeded: -size))
            }
            result.append(
                StructLayout.Member(name: memberName, offset: offset, size: Int(size), typeName: typeName(member.type)))
        }
        return result
    }

    /// The names of the object's data sections (".rodata", ".data", ".bss", ...).
    public var dataSectionNames: [String] {
        (1..<max(btf__type_cnt(btf), 1)).compactMap { id in
            guard let type = btf__type_by_id(btf, id), btf_is_datasec(type) else { return nil }
            return name(at: type.pointee.name_off)
        }
    }

    /// The variables of the DATASEC called `section`, in offset order.
    public func dataSection(named section: String) throws -> [DataSectionVariable] {
        let id = btf__find_by_name_kind(btf, section, BTFKind.dataSection)
        guard id > 0 else {
            throw BPFError(
                .notFound, operation: "find data section", object: "'\(section)' in object '\(object.name)'",
                detail: "sections: \(dataSectionNames.joined(separator: ", "))")
        }
        return variables(ofDataSection: UInt32(id))
    }

    func variables(ofDataSection id: UInt32) -> [DataSectionVariable] {
        guard let type = btf__type_by_id(btf, id), btf_is_datasec(type), let infos = btf_var_secinfos(type) else {
            return []
        }
        let section = name(at: type.pointee.name_off)
        return (0..<Int(btf_vlen(type))).compactMap { index in
            let info = infos[index]
            guard let variable = btf__type_by_id(btf, info.type) else { return nil }
            return DataSectionVariable(
                name: name(at: variable.pointee.name_off), section: section, offset: Int(info.offset),
                size: Int(info.size))
        }.sorted { $0.offset < $1.offset }
    }

    func name(at offset: UInt32) -> String {
        btf__name_by_offset(btf, offset).map { String(cString: $0) } ?? ""
    }

    /// A short C-like name for type `id`, for display.
    func typeName(_ id: UInt32, depth: Int = 0) -> String {
        guard depth < 16, id != 0, let type = btf__type_by_id(btf, id) else { return id == 0 ? "void" : "?" }
        let own = name(at: type.pointee.name_off)
        let shown = own.isEmpty ? "<anon>" : own
        if btf_is_ptr(type) { return typeName(type.pointee.type, depth: depth + 1) + " *" }
        if btf_is_array(type) {
            guard let array = btf_array(type) else { return "?[]" }
            return typeName(array.pointee.type, depth: depth + 1) + "[\(array.pointee.nelems)]"
        }
        if btf_is_mod(type) { return typeName(type.pointee.type, depth: depth + 1) }
        if btf_is_struct(type) { return "struct \(shown)" }
        if btf_is_union(type) { return "union \(shown)" }
        if btf_is_any_enum(type) { return "enum \(shown)" }
        return own.isEmpty ? "?" : own
    }
}

/// The running kernel's own types (/sys/kernel/btf/vmlinux), for the
/// values a tracepoint passes as a kernel enum.
public enum KernelTypes {
    /// The cases of `enum <name>` as the running kernel numbers them: value
    /// to name. Read once per call (about 5 MB of BTF; ~20 ms here).
    ///
    /// - Throws: `.notFound` when the kernel has no BTF or no such enum.
    public static func enumCases(named name: String) throws -> [UInt32: String] {
        guard let btf = btf__load_vmlinux_btf() else {
            throw BPFError(.notFound, operation: "load kernel BTF", object: "/sys/kernel/btf/vmlinux")
        }
        defer { btf__free(btf) }
        let id = btf__find_by_name_kind(btf, name, BTFKind.enumeration)
        guard id > 0, let type = btf__type_by_id(btf, UInt32(id)), let first = btf_enum(type) else {
            throw BPFError(.notFound, operation: "find enum", object: "'\(name)' in the kernel's BTF")
        }
        var cases: [UInt32: String] = [:]
        for index in 0..<Int(btf_vlen(type)) {
            let entry = first[index]
            cases[UInt32(bitPattern: entry.val)] = btf__name_by_offset(btf, entry.name_off).map { String(cString: $0) }
        }
        return cases
    }
}

/// Byte layout of a C struct, from BTF.
public struct StructLayout: Sendable, Equatable {
    public struct Member: Sendable, Equatable {
        public var name: String
        /// Bytes from the start of the struct.
        public var offset: Int
        public var size: Int
        /// The member's C type, for display (e.g. "__u64", "unsigned char[3]").
        public var typeName: String

        public init(name: String, offset: Int, size: Int, typeName: String = "") {
            self.name = name
            self.offset = offset
            self.size = size
            self.typeName = typeName
        }
    }

    public var name: String
    /// `sizeof(struct name)`, padding included.
    public var size: Int
    public var members: [Member]

    /// The member called `name`, if any.
    public func member(named name: String) -> Member? { members.first { $0.name == name } }
}

/// A global variable's place in its data section (and internal map value).
public struct DataSectionVariable: Sendable, Equatable {
    public var name: String
    /// ".rodata", ".data", ".bss", or a custom ".data.*"/".rodata.*" section.
    public var section: String
    public var offset: Int
    public var size: Int
}

extension BPFObject {
    /// The object's BTF. - Throws: `.notFound` if it was compiled without `-g`.
    public func btf() throws -> BTFTypes {
        guard let btf = bpf_object__btf(handle) else {
            throw BPFError(
                .notFound, operation: "read BTF", object: "object '\(name)'", detail: "compiled without BTF (-g)")
        }
        return BTFTypes(object: self, btf: btf)
    }

    /// The layout of `struct <name>` from the object's BTF.
    public func structLayout(named name: String) throws -> StructLayout {
        try btf().structLayout(named: name)
    }

    /// Every global variable of the object's data-section maps.
    public func globalVariables() throws -> [DataSectionVariable] {
        let types = try btf()
        return maps.filter(\.isInternal).flatMap { map in
            types.variables(ofDataSection: bpf_map__btf_value_type_id(map.handle))
        }
    }

    /// Sets the bytes of global variable `name`. Before load this sets the
    /// initial contents of its `.rodata`/`.data`/`.bss` map (so `const
    /// volatile` settings are seen by the verifier); after load it writes
    /// the live `.data`/`.bss` map (`.rodata` is frozen then).
    ///
    /// - Throws: `.notFound` for an unknown variable; `.invalidArgument` if
    ///   `bytes` is not the variable's size, or for `.rodata` after load.
    public func setGlobal(_ name: String, bytes: [UInt8]) throws {
        let (map, variable) = try globalVariable(named: name)
        let objectName = "global '\(name)' of object '\(self.name)'"
        guard bytes.count == variable.size else {
            throw BPFError(
                .invalidArgument, operation: "set", object: objectName,
                detail: "got \(bytes.count) bytes, the variable has \(variable.size)")
        }
        try whileUnloaded(
            unloaded: {
                var size = 0
                guard let current = bpf_map__initial_value(map.handle, &size), variable.offset + variable.size <= size
                else {
                    throw BPFError(
                        .invalidArgument, operation: "set", object: objectName, detail: "section has no data")
                }
                var contents = Array(UnsafeRawBufferPointer(start: current, count: size))
                contents.replaceSubrange(variable.offset..<variable.offset + variable.size, with: bytes)
                let result = contents.withUnsafeBytes { bpf_map__set_initial_value(map.handle, $0.baseAddress, size) }
                if result < 0 { throw BPFError.fromErrno(-result, operation: "set", object: objectName) }
            },
            loaded: {
                guard variable.section.hasPrefix(".data") || variable.section.hasPrefix(".bss") else {
                    throw BPFError(
                        .invalidArgument, operation: "set", object: objectName,
                        detail: "\(variable.section) is read-only once loaded; set it before load")
                }
                let key = HostBytes.encode(UInt32(0))
                guard var contents = try map.lookup(key: key) else {
                    throw BPFError(.notFound, operation: "set", object: objectName, detail: "map has no element 0")
                }
                contents.replaceSubrange(variable.offset..<variable.offset + variable.size, with: bytes)
                try map.update(key: key, value: contents)
            })
    }

    /// Sets an integer global variable (host byte order); its C size must
    /// match `T`'s, e.g. `UInt32` for `__u32`.
    public func setGlobal<T: FixedWidthInteger>(_ name: String, to value: T) throws {
        try setGlobal(name, bytes: HostBytes.encode(value))
    }

    /// The current bytes of global variable `name`: the initial contents
    /// before load, the live map contents after.
    public func global(_ name: String) throws -> [UInt8] {
        let (map, variable) = try globalVariable(named: name)
        let range = variable.offset..<variable.offset + variable.size
        let contents: [UInt8]
        if isLoaded {
            guard let live = try map.lookup(key: HostBytes.encode(UInt32(0))) else { return [] }
            contents = live
        } else {
            var size = 0
            guard let current = bpf_map__initial_value(map.handle, &size) else { return [] }
            contents = Array(UnsafeRawBufferPointer(start: current, count: size))
        }
        guard range.upperBound <= contents.count else { return [] }
        return Array(contents[range])
    }

    private func globalVariable(named name: String) throws -> (BPFMap, DataSectionVariable) {
        let types = try btf()
        for map in maps where map.isInternal {
            let variables = types.variables(ofDataSection: bpf_map__btf_value_type_id(map.handle))
            if let variable = variables.first(where: { $0.name == name }) { return (map, variable) }
        }
        throw BPFError(
            .notFound, operation: "find global", object: "'\(name)' in object '\(self.name)'",
            detail: "globals: \(((try? globalVariables()) ?? []).map(\.name).joined(separator: ", "))")
    }
}

/// The BTF kinds looked up by name (values from the BTF format; the C
/// names are both an enum and a macro, which Swift finds ambiguous).
private enum BTFKind {
    static let structure: UInt32 = 4
    static let enumeration: UInt32 = 6
    static let dataSection: UInt32 = 15
}
