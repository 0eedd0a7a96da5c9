#if canImport(Glibc)
    import Glibc
#endif

/// Opens once; threads wait for it with or without a deadline, and the
/// deadline is on the monotonic clock.
///
/// DispatchSemaphore and DispatchGroup waits with a timeout are not: on
/// Linux, libdispatch hands `sem_timedwait` an absolute CLOCK_REALTIME
/// deadline, so the wall clock stepped back an hour (NTP, `date -s`) made a
/// 0.2 s interval wait last an hour, and one stepped forward ended the
/// exporter's 30 s start-up wait at once with "did not start listening"
/// (the WallClock end-to-end test steps vtap's clock both ways). A condition
/// variable bound to CLOCK_MONOTONIC does not move with it.
public final class MonotonicLatch: @unchecked Sendable {
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    /// Guarded by `mutex`.
    private var opened = false

    public init() {
        pthread_mutex_init(mutex, nil)
        var attributes = pthread_condattr_t()
        pthread_condattr_init(&attributes)
        pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC)
        pthread_cond_init(condition, &attributes)
        pthread_condattr_destroy(&attributes)
    }

    deinit {
        pthread_cond_destroy(condition)
        pthread_mutex_destroy(mutex)
        condition.deallocate()
        mutex.deallocate()
    }

    /// Opens the latch and wakes every waiter; later calls do nothing.
    public func open() {
        pthread_mutex_lock(mutex)
        opened = true
        pthread_cond_broadcast(condition)
        pthread_mutex_unlock(mutex)
    }

    public var isOpen: Bool {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return opened
    }

    /// Waits until the latch opens.
    public func wait() {
        pthread_mutex_lock(mutex)
        while !opened { pthread_cond_wait(condition, mutex) }
        pthread_mutex_unlock(mutex)
    }

    /// Waits until the latch opens or CLOCK_MONOTONIC reaches `deadline`
    /// (nanoseconds); true when it opened.
    @discardableResult
    public func wait(untilMonotonic deadline: UInt64) -> Bool {
        var limit = timespec(
            tv_sec: Int(clamping: deadline / 1_000_000_000), tv_nsec: Int(deadline % 1_000_000_000))
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        while !opened {
            if pthread_cond_timedwait(condition, mutex, &limit) == ETIMEDOUT { break }
        }
        return opened
    }

    /// Waits at most `seconds` of monotonic time; true when it opened.
    @discardableResult
    public func wait(seconds: Double) -> Bool {
        let nanoseconds = seconds > 0 ? UInt64(clamping: Int64(min(seconds, 1e9) * 1e9)) : 0
        return wait(untilMonotonic: MonotonicClock.now &+ nanoseconds)
    }
}

/// The monotonic clock the kernel's bpf_ktime_get_ns() also reads: what
/// intervals, durations and deadlines are measured on, never the wall clock.
public enum MonotonicClock {
    public static var now: UInt64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
    }
}
