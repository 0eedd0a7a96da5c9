/* SPDX-License-Identifier: (GPL-2.0-only OR MIT) */
/*
 * The one interface between the packet program (vtap_filter.bpf.c, the
 * part that is the same for every ruleset with the same settings) and the
 * decision code generated from the rules (vtap_match.bpf.c). vtapc compiles
 * the two apart and links them with libbpf's BPF linker, so the first can
 * be compiled once and reused (Sources/Compiler/FixedPartCache.swift).
 */
#ifndef VTAP_MATCH_KEY_H
#define VTAP_MATCH_KEY_H

/*
 * What the decision code looks at, one 64-bit field each, in the order of
 * VTAP_FIELD_*, so a decision table can name a field by index. IPv4
 * addresses sit in *_lo.
 */
struct vtap_match_key {
	__u64 proto;
	__u64 src_hi;
	__u64 src_lo;
	__u64 dst_hi;
	__u64 dst_lo;
	__u64 sport; /* host order, or VTAP_NO_PORT */
	__u64 dport;
};
#define VTAP_FIELD_COUNT 7

/* The lowest matching rule's index, or -1. Global functions: the verifier
 * checks each once, and the linker resolves the calls across the parts. */
__noinline int vtap_match_v4(const struct vtap_match_key *key);
__noinline int vtap_match_v6(const struct vtap_match_key *key);

#endif
