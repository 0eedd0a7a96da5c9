import Foundation
import VtapTestSupport

/// A library for LD_PRELOAD that steps the wall clock of the process it is
/// loaded into, and of no other: CLOCK_REALTIME (and its coarse variant,
/// gettimeofday and time) read `byMilliseconds` off after
/// `afterMilliseconds` of the process's monotonic time. Stepping the
/// machine's own clock would disturb every other test running beside it;
/// libfaketime was tried first and left vtap without its arguments.
struct WallClockStep {
    let library: URL
    let afterMilliseconds: Int
    let byMilliseconds: Int

    static let source = """
        #define _GNU_SOURCE
        #include <dlfcn.h>
        #include <stdlib.h>
        #include <sys/time.h>
        #include <time.h>

        static int (*real_clock_gettime)(clockid_t, struct timespec *);
        static long long start_ns, after_ns, by_ns;

        static long long monotonic_ns(void) {
            struct timespec t;
            real_clock_gettime(CLOCK_MONOTONIC, &t);
            return t.tv_sec * 1000000000LL + t.tv_nsec;
        }

        __attribute__((constructor)) static void step_setup(void) {
            real_clock_gettime = (int (*)(clockid_t, struct timespec *))dlsym(RTLD_NEXT, "clock_gettime");
            const char *after = getenv("VTAP_TEST_STEP_AFTER_MS"), *by = getenv("VTAP_TEST_STEP_BY_MS");
            after_ns = after ? atoll(after) * 1000000LL : 0;
            by_ns = by ? atoll(by) * 1000000LL : 0;
            start_ns = monotonic_ns();
        }

        static long long offset_ns(void) { return monotonic_ns() - start_ns >= after_ns ? by_ns : 0; }

        int clock_gettime(clockid_t id, struct timespec *t) {
            int status = real_clock_gettime(id, t);
            if (status == 0 && (id == CLOCK_REALTIME || id == CLOCK_REALTIME_COARSE)) {
                long long ns = t->tv_sec * 1000000000LL + t->tv_nsec + offset_ns();
                t->tv_sec = ns / 1000000000LL;
                t->tv_nsec = ns % 1000000000LL;
            }
            return status;
        }

        int gettimeofday(struct timeval *restrict tv, void *restrict tz) {
            (void)tz;
            struct timespec t;
            int status = clock_gettime(CLOCK_REALTIME, &t);
            if (status == 0 && tv) {
                tv->tv_sec = t.tv_sec;
                tv->tv_usec = t.tv_nsec / 1000;
            }
            return status;
        }

        time_t time(time_t *out) {
            struct timespec t;
            clock_gettime(CLOCK_REALTIME, &t);
            if (out)
                *out = t.tv_sec;
            return t.tv_sec;
        }
        """

    /// Builds the library into `directory` with the system's C compiler.
    static func build(in directory: TemporaryDirectory, afterMilliseconds: Int, byMilliseconds: Int) throws
        -> WallClockStep
    {
        let source = directory.file("wall-clock-step.c")
        let library = directory.file("wall-clock-step.so")
        try Self.source.write(to: source, atomically: true, encoding: .utf8)
        try CommandRunner.check(["gcc", "-shared", "-fPIC", "-O2", "-o", library.path, source.path, "-ldl"])
        return WallClockStep(library: library, afterMilliseconds: afterMilliseconds, byMilliseconds: byMilliseconds)
    }

    /// `command` run with the library preloaded.
    func wrapping(_ command: [String]) -> [String] {
        [
            "env", "LD_PRELOAD=\(library.path)", "VTAP_TEST_STEP_AFTER_MS=\(afterMilliseconds)",
            "VTAP_TEST_STEP_BY_MS=\(byMilliseconds)",
        ] + command
    }
}
