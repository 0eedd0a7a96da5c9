import CLibbpf
import VtapSystem

#if canImport(Glibc)
    import Glibc
#endif

/// Static linking of BPF objects with libbpf's linker (`bpf_linker__*`, what
/// `bpftool gen object` uses): extern functions resolved across the parts,
/// data sections merged, BTF deduplicated. Deterministic: the same parts in
/// the same order give the same bytes.
///
/// Debian's libbpf 1.1 links files only, by name. The parts and the result
/// are anonymous memory files (memfd) named through /proc/self/fd, so
/// nothing is written to disk and nothing is left behind, whatever happens.
public enum ObjectLinker {
    /// Links `parts` in order into one object. `name` says what is linked,
    /// in errors.
    public static func link(_ parts: [[UInt8]], name: String) throws(BPFError) -> [UInt8] {
        let what = "object '\(name)'"
        var inputs: [OwnedDescriptor] = []
        for part in parts { inputs.append(try memoryFile(holding: part, for: what)) }
        let output = try memoryFile(holding: [], for: what)
        // The descriptors must stay open until the linker has read them: a
        // number closed early could name another thread's file by then.
        let (status, code, messages) = withExtendedLifetime(inputs) {
            LibbpfLog.capturing { collector in
                let status = link(inputs.map(path(of:)), into: path(of: output))
                return (status, currentErrno(), collector.warnings)
            }
        }
        guard status == 0 else {
            // The linker says what it refused in its messages; the errno is
            // EINVAL for any mismatch.
            throw BPFError(
                .invalidObject, operation: "link", object: what, detail: messages.last.map(BPFObject.stripPrefix),
                errno: code,
                libbpfMessages: messages)
        }
        return try contents(of: output, for: what)
    }

    /// 0 or libbpf's negative errno.
    private static func link(_ inputs: [String], into output: String) -> Int32 {
        errno = 0
        guard let linker = bpf_linker__new(output, nil) else { return -currentErrno() }
        defer { bpf_linker__free(linker) }
        for input in inputs {
            let status = bpf_linker__add_file(linker, input, nil)
            if status != 0 { return status }
        }
        return bpf_linker__finalize(linker)
    }

    private static func path(of file: OwnedDescriptor) -> String { "/proc/self/fd/\(file.rawValue)" }

    private static func memoryFile(holding bytes: [UInt8], for what: String) throws(BPFError) -> OwnedDescriptor {
        let raw: Int32
        switch retryingOnInterrupt({ vtap_memfd_create("vtap-link") }) {
        case .success(let descriptor): raw = descriptor
        case .failure(let error): throw BPFError.fromErrno(error.code, operation: "link", object: what)
        }
        let file = OwnedDescriptor(raw)
        let written = bytes.withUnsafeBytes { buffer in
            Result { () throws(SystemError) in try Descriptor.writeAll(raw, buffer) }
        }
        if case .failure(let error) = written { throw BPFError.fromErrno(error.code, operation: "link", object: what) }
        return file
    }

    private static func contents(of file: OwnedDescriptor, for what: String) throws(BPFError) -> [UInt8] {
        do {
            return try InputFile.read(path(of: file), limit: .max)
        } catch {
            throw BPFError(.system(errno: EIO), operation: "link", object: what, detail: "reading the result: \(error)")
        }
    }
}
