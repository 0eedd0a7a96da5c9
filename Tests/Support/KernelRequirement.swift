import Foundation
import Testing

/// Whether this machine can load BPF programs: root, BTF and a BPF file system.
public enum KernelSupport {
    public static let isCI = ProcessInfo.processInfo.environment["CI"] == "true"

    public static let available: Bool = {
        geteuid() == 0
            && FileManager.default.fileExists(atPath: "/sys/kernel/btf/vmlinux")
            && FileManager.default.fileExists(atPath: "/sys/fs/bpf")
    }()
}

extension Trait where Self == ConditionTrait {
    /// For tests that load, attach or run BPF programs. Skipped on a machine
    /// without BPF, except under CI=true: there the test runs and fails.
    public static var kernel: Self {
        .enabled(
            if: KernelSupport.available || KernelSupport.isCI,
            "needs root and a kernel with BPF and BTF (runs, and fails, when CI=true)")
    }
}
