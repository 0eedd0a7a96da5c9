// libbpf from Debian's libbpf-dev; only the VtapBPF module imports this.
#include <bpf/libbpf.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <sys/socket.h>
#include <sys/ioctl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

// Swift cannot call variadic C functions or copy a va_list, so the two
// places that need them are small inline helpers here.

/// Formats a libbpf print callback's message into a malloc'd string
/// (caller frees); NULL if formatting failed.
static inline char *vtap_format_message(const char *format, va_list arguments) {
    va_list copy;
    va_copy(copy, arguments);
    int length = vsnprintf(NULL, 0, format, copy);
    va_end(copy);
    if (length < 0) return NULL;
    char *text = (char *)malloc((size_t)length + 1);
    if (text == NULL) return NULL;
    vsnprintf(text, (size_t)length + 1, format, arguments);
    return text;
}

/// `ioctl(fd, request, ifr)` for the interface requests (SIOCGIFFLAGS, SIOCGIFHWADDR).
static inline int vtap_ioctl_ifreq(int fd, unsigned long request, struct ifreq *ifr) {
    return ioctl(fd, request, ifr);
}

/// `memfd_create(name, MFD_CLOEXEC)`: glibc declares it only with _GNU_SOURCE,
/// which Swift's Glibc module does not set, so through syscall (variadic).
static inline int vtap_memfd_create(const char *name) {
    return (int)syscall(SYS_memfd_create, name, 1u /* MFD_CLOEXEC */);
}
