import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// What the verifier's verdict on a given object depends on besides its
/// bytes: the kernel (release and build), the machine, the JIT settings
/// that change what a loaded program becomes, and the caller's
/// capabilities (without CAP_BPF and CAP_PERFMON the verifier is
/// stricter). Two dry-runs of the same bytes with the same identity reach
/// the same verdict, so vtapc may keep one (see `ProgramCache`).
public enum KernelIdentity {
    /// One line per fact, read now.
    public static var current: String {
        var name = utsname()
        uname(&name)
        func text<T>(_ field: T) -> String {
            withUnsafeBytes(of: field) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        }
        var facts = [
            "release \(text(name.release))", "version \(text(name.version))", "machine \(text(name.machine))",
        ]
        for setting in ["net/core/bpf_jit_enable", "net/core/bpf_jit_harden", "kernel/unprivileged_bpf_disabled"] {
            facts.append("\(setting) \(firstLine(of: "/proc/sys/\(setting)") ?? "-")")
        }
        let capabilities = (firstLine(of: "/proc/self/status", prefix: "CapEff:") ?? "-")
        facts.append("capabilities \(capabilities)")
        return facts.joined(separator: "\n")
    }

    /// Files of /proc say they are empty (size 0): read as text, not by size.
    private static func firstLine(of path: String, prefix: String = "") -> String? {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        let lines = text.split(separator: "\n")
        return lines.first { $0.hasPrefix(prefix) }.map {
            $0.dropFirst(prefix.count).trimmingCharacters(in: .whitespaces)
        }
    }
}
