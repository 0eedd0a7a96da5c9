/* SPDX-License-Identifier: (GPL-2.0-only OR MIT) */
/*
 * The few BPF declarations vtap's program needs, written for vtap so that
 * compiling needs neither kernel headers nor libbpf headers on the host.
 * Values are the kernel's stable UAPI numbers.
 */
#ifndef VTAP_BPF_H
#define VTAP_BPF_H

typedef unsigned char __u8;
typedef unsigned short __u16;
typedef unsigned int __u32;
typedef unsigned long long __u64;
typedef signed char __s8;
typedef short __s16;
typedef int __s32;
typedef long long __s64;

#define SEC(name) __attribute__((section(name), used))
#define __always_inline inline __attribute__((always_inline))
#define __noinline __attribute__((noinline))

/* A global function's argument that is the program's context, whatever
 * the program's type (Linux 6.7): the packet functions take the socket's
 * and TC's skb and XDP's xdp_md alike. */
#define __arg_ctx __attribute__((btf_decl_tag("arg:ctx")))

/* BTF-defined map attributes, read by libbpf from the map's type. */
#define __uint(name, val) int (*name)[val]
#define __type(name, val) __typeof__(val) *name

enum vtap_bpf_map_type {
	VTAP_MAP_HASH = 1,
	VTAP_MAP_ARRAY = 2,
	VTAP_MAP_PERCPU_ARRAY = 6,
	VTAP_MAP_LRU_HASH = 9,
	VTAP_MAP_LRU_PERCPU_HASH = 10,
	VTAP_MAP_RINGBUF = 27,
};

enum { VTAP_BPF_ANY = 0, VTAP_BPF_NOEXIST = 1 };
enum { VTAP_MAP_NO_PREALLOC = 1 };
enum { VTAP_HDR_START_MAC = 0 };
enum { VTAP_PACKET_OUTGOING = 4 };

/* The prefix of the socket-filter context that vtap reads. */
struct __sk_buff {
	__u32 len;
	__u32 pkt_type;
	__u32 mark;
	__u32 queue_mapping;
	__u32 protocol;
	__u32 vlan_present;
	__u32 vlan_tci;
	__u32 vlan_proto;
	__u32 priority;
	__u32 ingress_ifindex;
	__u32 ifindex;
};

/* The prefix of the XDP context that vtap reads. */
struct xdp_md {
	__u32 data;
	__u32 data_end;
	__u32 data_meta;
	__u32 ingress_ifindex;
};
enum { VTAP_XDP_PASS = 2 };

/* Helpers by their stable ids; not every program uses every one. */
#define VTAP_HELPER static __attribute__((unused))
VTAP_HELPER void *(*bpf_map_lookup_elem)(void *map, const void *key) = (void *)1;
VTAP_HELPER long (*bpf_map_update_elem)(void *map, const void *key, const void *value, __u64 flags) = (void *)2;
VTAP_HELPER long (*bpf_map_delete_elem)(void *map, const void *key) = (void *)3;
VTAP_HELPER __u64 (*bpf_ktime_get_ns)(void) = (void *)5;
VTAP_HELPER long (*bpf_skb_load_bytes)(const void *skb, __u32 offset, void *to, __u32 len) = (void *)26;
VTAP_HELPER long (*bpf_skb_load_bytes_relative)(const void *skb, __u32 offset, void *to, __u32 len,
					    __u32 start_header) = (void *)68;
VTAP_HELPER long (*bpf_loop)(__u32 nr_loops, void *callback_fn, void *callback_ctx, __u64 flags) = (void *)181;
/* The XDP program's frame reads (Linux 5.18): they also reach a
 * multi-buffer frame's fragments. */
VTAP_HELPER __u64 (*bpf_xdp_get_buff_len)(const void *xdp_md) = (void *)188;
VTAP_HELPER long (*bpf_xdp_load_bytes)(const void *xdp_md, __u32 offset, void *to, __u32 len) = (void *)189;
/* Used by the event programs (tracepoints) only. */
VTAP_HELPER __u32 (*bpf_get_smp_processor_id)(void) = (void *)8;
VTAP_HELPER __u64 (*bpf_get_current_pid_tgid)(void) = (void *)14;
VTAP_HELPER long (*bpf_get_current_comm)(void *buf, __u32 size) = (void *)16;
VTAP_HELPER long (*bpf_probe_read_kernel)(void *dst, __u32 size, const void *unsafe_ptr) = (void *)113;
VTAP_HELPER long (*bpf_ringbuf_output)(void *ringbuf, void *data, __u64 size, __u64 flags) = (void *)130;
VTAP_HELPER void *(*bpf_ringbuf_reserve)(void *ringbuf, __u64 size, __u64 flags) = (void *)131;
VTAP_HELPER void (*bpf_ringbuf_submit)(void *data, __u64 flags) = (void *)132;
VTAP_HELPER __u64 (*bpf_ringbuf_query)(void *ringbuf, __u64 flags) = (void *)134;
enum { VTAP_RB_NO_WAKEUP = 1, VTAP_RB_FORCE_WAKEUP = 2 };
enum { VTAP_RB_AVAIL_DATA = 0 };

/* Makes the compiler use `x` as it is here: it cannot compute an address
 * from a copy taken before a bounds check, which the verifier would refuse. */
#define vtap_barrier(x) asm volatile("" : "+r"(x))

/* Network order to host order; the program is built for little-endian BPF. */
#define vtap_ntohs(x) __builtin_bswap16(x)
#define vtap_ntohl(x) __builtin_bswap32(x)

#endif
