/* SPDX-License-Identifier: (GPL-2.0-only OR MIT) */
/*
 * Map values shared with user space. vtapc reads their layout back from the
 * object's BTF into the manifest, so a runtime decodes fields by name.
 */
#ifndef VTAP_MAPS_H
#define VTAP_MAPS_H

/* Per rule and per protocol class, per CPU. All fields only grow; readers
 * take differences between reads (the sums of squares wrap modulo 2^64). */
struct vtap_counters {
	__u64 packets;
	__u64 bytes;		 /* whole frames, Ethernet header included */
	__u64 payload_bytes;	 /* L4 payload, from the IP lengths */
	__u64 jitter_samples;	 /* inter-arrival gaps in the sums below */
	__u64 jitter_sum_ns;
	__u64 jitter_sum_sq_ns2; /* wraps: read at least every few seconds */
	__u64 jitter_restarts;	 /* gaps over 2 s: the series restarts */
	__u64 seq_count;	 /* packets whose sequence number was checked */
	__u64 seq_reverse;	 /* d < 0: behind the expected number */
	__u64 seq_small;	 /* 0 < d <= threshold */
	__u64 seq_big;		 /* d > threshold */
	__u64 seq_lost;		 /* sum of forward gaps d (UDP and ICMP) */
	__u64 seq_missing;	 /* tracked packets with no sequence number found */
	__u64 seq_last_ns;	 /* arrival of seq_last: the newest CPU's wins */
	__u32 seq_last;
	__u32 _pad;
};

/* Packets and bytes that matched no rule, or could not be parsed. */
struct vtap_tally {
	__u64 packets;
	__u64 bytes;
};

/* Slots of vtap_totals. */
enum vtap_total_slot {
	VTAP_TOTAL_UNMATCHED = 0,	/* parsed, no rule matched (non-IP included) */
	VTAP_TOTAL_NON_IP = 1,		/* of those, not IPv4 or IPv6 */
	VTAP_TOTAL_MALFORMED = 2,	/* any of the reasons below */
	VTAP_TOTAL_OTHER_DIRECTION = 3, /* seen, but not in the counted direction */
	VTAP_MALFORMED_L2 = 4,		/* Ethernet header or VLAN tag cut off */
	VTAP_MALFORMED_VLAN_DEPTH = 5,	/* more than VTAP_MAX_VLAN_TAGS tags */
	VTAP_MALFORMED_IP_HEADER = 6,	/* IP header cut off, or wrong version */
	VTAP_MALFORMED_IP_LENGTH = 7,	/* IHL or IP lengths inconsistent with the frame */
	VTAP_MALFORMED_IPV6_EXT = 8,	/* extension header cut off, or chain too long */
	VTAP_MALFORMED_L4 = 9,		/* transport header cut off or inconsistent */
	/* Entries the LRU flow tables gained (packets; bytes stay 0): what a
	 * table holds subtracted from it is what it evicted, which the kernel
	 * does silently. */
	VTAP_TOTAL_FLOWS_STARTED = 10,	   /* vtap_flows, sequence state */
	VTAP_TOTAL_FLOW_VIEW_STARTED = 11, /* vtap_flow_view, vtap run --flows */
	VTAP_TOTAL_SLOTS = 12,
};

/* Slots of vtap_protocol_stats, and of the protocol part of vtap_arrivals. */
enum vtap_protocol_class {
	VTAP_CLASS_TCP = 0,
	VTAP_CLASS_UDP = 1,
	VTAP_CLASS_ICMP = 2, /* ICMP and ICMPv6 */
	VTAP_CLASS_OTHER = 3,
	VTAP_CLASS_COUNT = 4,
};

/* Sequence state of one flow and direction. */
struct vtap_flow_key {
	__u32 src[4]; /* host-order words, most significant first; IPv4 in src[0] */
	__u32 dst[4];
	__u16 sport;  /* ICMP echo: the identifier */
	__u16 dport;
	__u8 proto;
	__u8 family;
	__u16 _pad;
};

struct vtap_flow_state {
	__u32 expected; /* next in-order sequence number */
	__u32 last;
};

/* One flow of one rule in the per-flow view (vtap run --flows). */
struct vtap_flow_view_key {
	struct vtap_flow_key flow;
	__u32 rule;
};

/* Per CPU: a flow stays on one CPU where RSS or RPS spreads by flow, so its
 * inter-arrival gaps are taken where its packets arrive. */
struct vtap_flow_counters {
	struct vtap_counters counters;
	__u64 last_arrival_ns;
};

/* Written by a replaying runtime before each BPF_PROG_TEST_RUN. */
struct vtap_replay_packet {
	__u64 tstamp_ns;
	__u32 frame_len; /* original length on the wire */
	__u32 cap_len;	 /* bytes captured; the frame given to test_run may be padded */
};

#endif
