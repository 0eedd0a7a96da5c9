import CLibbpf

#if canImport(Glibc)
    import Glibc
#endif

/// While an instance lives, the kernel counts the runs of every BPF
/// program and the time spent in them (`BPF_ENABLE_STATS`), readable in
/// ``ProgramInfo/runCount`` and ``ProgramInfo/runTimeNanoseconds``. The
/// counting is host-wide and costs every program two clock reads a run;
/// it stops when the last holder closes its descriptor (or exits).
public final class RunTimeStatistics: Sendable {
    private let descriptor: Int32

    /// - Throws: ``BPFError`` without CAP_SYS_ADMIN (the kernel asks for it)
    ///   or on a kernel without the statistics.
    public init() throws {
        let fd = bpf_enable_stats(BPF_STATS_RUN_TIME)
        guard fd >= 0 else {
            throw BPFError.fromErrno(fd == -1 ? errno : fd, operation: "enable BPF run-time statistics")
        }
        descriptor = fd
    }

    deinit { close(descriptor) }
}
