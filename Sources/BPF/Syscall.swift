import VtapSystem

#if canImport(Glibc)
    import Glibc
#endif

/// An owned file descriptor, closed exactly once when the owner goes away.
final class OwnedDescriptor: @unchecked Sendable {
    let rawValue: Int32

    init(_ rawValue: Int32) { self.rawValue = rawValue }

    deinit {
        // Linux releases the descriptor even when close reports EINTR, so
        // never retry (a retry could close a descriptor another thread got).
        _ = Glibc.close(rawValue)
    }
}

/// Runs a call that reports failure as -1 with `errno` (or as a negative
/// errno, libbpf's convention), retrying on EINTR. Returns the
/// non-negative result or the positive errno.
@inline(__always)
func retryingOnInterrupt(_ call: () -> Int32) -> Result<Int32, SystemError> {
    while true {
        errno = 0
        let result = call()
        if result >= 0 { return .success(result) }
        // Syscalls return -1 and set errno; libbpf returns -errno and also
        // sets errno (so -1 there is EPERM, which errno then says too).
        let code = result == -1 ? errno : -result
        if code == EINTR { continue }
        return .failure(SystemError(code == 0 ? EIO : code))
    }
}

/// The calling thread's errno, or EIO if a call failed without setting it.
@inline(__always)
func currentErrno() -> Int32 { SystemError.current.code }
