// SPDX-License-Identifier: (GPL-2.0-only OR MIT)
/*
 * vtap's measuring program. Parses each frame, finds the first rule it
 * matches (vtap_match_v4/v6, generated from the rules into vtap_match.bpf.c
 * and linked to this part), and counts it per rule and per protocol class:
 * bytes, payload, inter-arrival sums for jitter, sequence errors per flow.
 * This part depends on the rules only through the settings in vtap_rules.h,
 * so vtapc compiles it once per settings and reuses it. It never changes a
 * packet's fate.
 */
#include "vtap_bpf.h"
#include "vtap_maps.h"

#define VTAP_ETH_HLEN 14
#define VTAP_MAX_VLAN_TAGS 2
#define VTAP_MAX_IPV6_EXT 6
/* Port value of packets that carry none: outside every port range. */
#define VTAP_NO_PORT 0x10000u

enum { VTAP_LINK_ETHERNET = 0, VTAP_LINK_RAW_IP = 1 };
enum { VTAP_DIRECTION_IN = 0, VTAP_DIRECTION_OUT = 1, VTAP_DIRECTION_BOTH = 2 };
/* Values of VTAP_SEQUENCE_MODE: macros, not an enum, because `#if` compares
 * them, and the preprocessor reads an unknown name as 0. */
#define VTAP_SEQUENCE_NONE 0
#define VTAP_SEQUENCE_FIXED 1
#define VTAP_SEQUENCE_PATTERN 2

#include "vtap_match_key.h"

#include "vtap_rules.h"


/* Set by a loader before load; the verifier prunes what they switch off. */
const volatile __u32 vtap_cfg_replay = 0;  /* 1: BPF_PROG_TEST_RUN replay */
const volatile __u32 vtap_cfg_link = VTAP_LINK_ETHERNET;
const volatile __u32 vtap_cfg_direction = VTAP_DEFAULT_DIRECTION;
/* 1: return the verdict (rule index + 1, 0 for no rule, VTAP_VERDICT_MALFORMED
 * | reason) instead of 0, so BPF_PROG_TEST_RUN shows what happened. Never
 * set on a live socket: a non-zero return copies the packet to it. */
const volatile __u32 vtap_cfg_verdict = 0;
#define VTAP_VERDICT_MALFORMED 0x80000000u
/* 1: count each rule's flows in vtap_flow_view too (vtap run --flows). A
 * loader that leaves it 0 shrinks the map to one entry before load. */
const volatile __u32 vtap_cfg_flow_view = 0;
/* 1: the XDP program is the one loaded. Its context is an xdp_md, passed
 * where the others pass the skb: every frame read and skb field below
 * tests this first, so the verifier keeps only the branch of the loaded
 * program's type (a helper or field of the other type would be refused). */
const volatile __u32 vtap_cfg_xdp = 0;

/* Timestamp and wire length of the packet being replayed. */
struct vtap_replay_packet vtap_replay;

/* Per rule and protocol class: key rule * VTAP_CLASS_COUNT + class. The
 * finest grain, so every sum (per rule, per class, in all) is exact. */
struct {
	__uint(type, VTAP_MAP_PERCPU_ARRAY);
	__uint(max_entries, VTAP_RULE_COUNT * VTAP_CLASS_COUNT);
	__type(key, __u32);
	__type(value, struct vtap_counters);
} vtap_rule_stats SEC(".maps");

struct {
	__uint(type, VTAP_MAP_PERCPU_ARRAY);
	__uint(max_entries, VTAP_CLASS_COUNT);
	__type(key, __u32);
	__type(value, struct vtap_counters);
} vtap_protocol_stats SEC(".maps");

struct {
	__uint(type, VTAP_MAP_PERCPU_ARRAY);
	__uint(max_entries, VTAP_TOTAL_SLOTS);
	__type(key, __u32);
	__type(value, struct vtap_tally);
} vtap_totals SEC(".maps");

/* Last arrival per rule (slots 0..N-1) and per class (N..N+3); shared by
 * all CPUs, since an inter-arrival gap spans consecutive packets. */
struct {
	__uint(type, VTAP_MAP_ARRAY);
	__uint(max_entries, VTAP_RULE_COUNT + VTAP_CLASS_COUNT);
	__type(key, __u32);
	__type(value, __u64);
} vtap_arrivals SEC(".maps");

struct {
	__uint(type, VTAP_MAP_LRU_HASH);
	__uint(max_entries, VTAP_FLOW_TABLE_SIZE);
	__type(key, struct vtap_flow_key);
	__type(value, struct vtap_flow_state);
} vtap_flows SEC(".maps");

struct {
	__uint(type, VTAP_MAP_LRU_PERCPU_HASH);
	__uint(max_entries, VTAP_FLOW_TABLE_SIZE);
	__type(key, struct vtap_flow_view_key);
	__type(value, struct vtap_flow_counters);
} vtap_flow_view SEC(".maps");

/* Room for one search window of the PATTERN scan. */
#define VTAP_SCAN_STEP 256
#define VTAP_SCAN_WINDOW (VTAP_SCAN_STEP + 8)
struct vtap_scan_window {
	__u64 words[VTAP_SCAN_WINDOW / 8];
};

struct {
	__uint(type, VTAP_MAP_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct vtap_scan_window);
} vtap_scratch SEC(".maps");

/* Everything the accounting needs from one parsed frame. */
struct vtap_packet {
	__u64 now;
	__u32 wire_len;	   /* bytes on the wire, counted as throughput */
	__u32 data_len;	   /* frame length the IP lengths must fit in */
	__u32 cap_len;	   /* frame bytes that can be read */
	__u32 payload_off; /* from the frame start */
	__u32 payload_len;
	__u32 tcp_seq;
	__u16 icmp_id;
	__u8 family;
	__u8 tcp_flags;
	__u8 icmp_echo;
	__u8 has_l4; /* 0 for IP fragments other than the first */
#ifdef VTAP_QLOG
	__u32 tcp_ack;
	__u16 tcp_window;
	__u8 tcp_header_len; /* options included */
	__u8 outgoing;	     /* the segment's direction, from the hook */
#endif
};

enum { VTAP_PARSED = -1, VTAP_NOT_IP = -2 };

/*
 * Reads frame bytes by offset from the frame start. Live, an AF_PACKET
 * socket hands the filter the frame from its MAC header; under test_run the
 * data starts after the Ethernet header, which stays reachable relative to
 * the MAC header.
 */
static __always_inline long vtap_load(const struct __sk_buff *skb, __u32 off, void *to, __u32 len)
{
	if (vtap_cfg_xdp)
		return bpf_xdp_load_bytes(skb, off, to, len);
	if (vtap_cfg_replay) {
		if (off < VTAP_ETH_HLEN)
			return bpf_skb_load_bytes_relative(skb, off, to, len, VTAP_HDR_START_MAC);
		return bpf_skb_load_bytes(skb, off - VTAP_ETH_HLEN, to, len);
	}
	return bpf_skb_load_bytes(skb, off, to, len);
}

/* A header read that fails when the header is not all there. */
static __always_inline long vtap_load_header(const struct __sk_buff *skb, const struct vtap_packet *pkt, __u32 off,
					     void *to, __u32 len)
{
	if (off + len > pkt->cap_len)
		return -1;
	return vtap_load(skb, off, to, len);
}

static __always_inline void vtap_tally_add(__u32 slot, __u32 bytes)
{
	struct vtap_tally *t = bpf_map_lookup_elem(&vtap_totals, &slot);
	if (t) {
		t->packets++;
		t->bytes += bytes;
	}
}

/* The fixed IP headers, as the packet program and the ip-level event
 * programs read them. */
struct vtap_ipv4_header {
	__u8 ver_ihl;
	__u8 tos;
	__u16 tot_len;
	__u16 id;
	__u16 frag;
	__u8 ttl;
	__u8 protocol;
	__u16 check;
	__u32 saddr;
	__u32 daddr;
};

struct vtap_ipv6_header {
	__u32 ver_class_flow;
	__u16 payload_len;
	__u8 next;
	__u8 hop_limit;
	__u32 saddr[4];
	__u32 daddr[4];
};

/* `loaded`: the header, when the caller read it with the Ethernet header. */
static __always_inline int vtap_parse_ipv4(const struct __sk_buff *skb, __u32 off, struct vtap_packet *pkt,
					   struct vtap_match_key *key, __u32 *l4_off, __u32 *ip_payload,
					   const struct vtap_ipv4_header *loaded)
{
	struct vtap_ipv4_header ip;

	if (loaded)
		ip = *loaded;
	else if (vtap_load_header(skb, pkt, off, &ip, sizeof(ip)))
		return VTAP_MALFORMED_IP_HEADER;
	if ((ip.ver_ihl >> 4) != 4)
		return VTAP_MALFORMED_IP_HEADER;
	__u32 ihl = (ip.ver_ihl & 0x0f) * 4;
	__u32 total = vtap_ntohs(ip.tot_len);
	if (ihl < 20 || total < ihl || off + total > pkt->data_len)
		return VTAP_MALFORMED_IP_LENGTH;

	pkt->family = 4;
	pkt->has_l4 = (vtap_ntohs(ip.frag) & 0x1fff) == 0;
	key->proto = ip.protocol;
	key->src_lo = vtap_ntohl(ip.saddr);
	key->dst_lo = vtap_ntohl(ip.daddr);
	*l4_off = off + ihl;
	*ip_payload = total - ihl;
	return VTAP_PARSED;
}

static __always_inline int vtap_parse_ipv6(const struct __sk_buff *skb, __u32 off, struct vtap_packet *pkt,
					   struct vtap_match_key *key, __u32 *l4_off, __u32 *ip_payload)
{
	struct vtap_ipv6_header ip;

	if (vtap_load_header(skb, pkt, off, &ip, sizeof(ip)))
		return VTAP_MALFORMED_IP_HEADER;
	if ((vtap_ntohl(ip.ver_class_flow) >> 28) != 6)
		return VTAP_MALFORMED_IP_HEADER;
	__u32 remaining = vtap_ntohs(ip.payload_len);
	if (off + 40 + remaining > pkt->data_len)
		return VTAP_MALFORMED_IP_LENGTH;

	pkt->family = 6;
	pkt->has_l4 = 1;
	key->src_hi = ((__u64)vtap_ntohl(ip.saddr[0]) << 32) | vtap_ntohl(ip.saddr[1]);
	key->src_lo = ((__u64)vtap_ntohl(ip.saddr[2]) << 32) | vtap_ntohl(ip.saddr[3]);
	key->dst_hi = ((__u64)vtap_ntohl(ip.daddr[0]) << 32) | vtap_ntohl(ip.daddr[1]);
	key->dst_lo = ((__u64)vtap_ntohl(ip.daddr[2]) << 32) | vtap_ntohl(ip.daddr[3]);

	__u32 next = ip.next;
	__u32 cursor = off + 40;
#pragma nounroll
	for (int i = 0; i <= VTAP_MAX_IPV6_EXT; i++) {
		__u8 ext[4];
		__u32 len;
		if (next != 0 && next != 43 && next != 44 && next != 51 && next != 60)
			break;
		if (i == VTAP_MAX_IPV6_EXT)
			return VTAP_MALFORMED_IPV6_EXT;
		if (remaining < 8 || vtap_load_header(skb, pkt, cursor, ext, sizeof(ext)))
			return VTAP_MALFORMED_IPV6_EXT;
		if (next == 44) {
			len = 8;
			/* A non-first fragment: what follows is payload, not headers. */
			if (((ext[2] << 8) | ext[3]) & 0xfff8) {
				if (len > remaining)
					return VTAP_MALFORMED_IPV6_EXT;
				pkt->has_l4 = 0;
				remaining -= len;
				cursor += len;
				next = ext[0];
				break;
			}
		} else if (next == 51) {
			len = (ext[1] + 2) * 4;
		} else {
			len = (ext[1] + 1) * 8;
		}
		if (len > remaining)
			return VTAP_MALFORMED_IPV6_EXT;
		remaining -= len;
		cursor += len;
		next = ext[0];
	}
	key->proto = next;
	*l4_off = cursor;
	*ip_payload = remaining;
	return VTAP_PARSED;
}

static __always_inline int vtap_parse_l4(const struct __sk_buff *skb, __u32 l4_off, __u32 ip_payload,
					 struct vtap_packet *pkt, struct vtap_match_key *key)
{
	__u32 header = 0;

	key->sport = VTAP_NO_PORT;
	key->dport = VTAP_NO_PORT;
	if (!pkt->has_l4) {
		pkt->payload_off = l4_off;
		pkt->payload_len = ip_payload;
		return VTAP_PARSED;
	}

	switch (key->proto) {
	case 6: { /* TCP */
#ifdef VTAP_QLOG
		__u8 tcp[20];
#else
		__u8 tcp[16];
#endif
		if (ip_payload < 20 || vtap_load_header(skb, pkt, l4_off, tcp, sizeof(tcp)))
			return VTAP_MALFORMED_L4;
		header = (tcp[12] >> 4) * 4;
		if (header < 20 || header > ip_payload)
			return VTAP_MALFORMED_L4;
		key->sport = (tcp[0] << 8) | tcp[1];
		key->dport = (tcp[2] << 8) | tcp[3];
		pkt->tcp_seq = ((__u32)tcp[4] << 24) | ((__u32)tcp[5] << 16) | ((__u32)tcp[6] << 8) | tcp[7];
		pkt->tcp_flags = tcp[13];
#ifdef VTAP_QLOG
		pkt->tcp_ack = ((__u32)tcp[8] << 24) | ((__u32)tcp[9] << 16) | ((__u32)tcp[10] << 8) | tcp[11];
		pkt->tcp_window = (tcp[14] << 8) | tcp[15];
		pkt->tcp_header_len = header;
#endif
		break;
	}
	case 17:  /* UDP */
	case 136: /* UDP-Lite */
	case 132: { /* SCTP */
		__u8 ports[4];
		header = key->proto == 132 ? 12 : 8;
		if (ip_payload < header || vtap_load_header(skb, pkt, l4_off, ports, sizeof(ports)))
			return VTAP_MALFORMED_L4;
		key->sport = (ports[0] << 8) | ports[1];
		key->dport = (ports[2] << 8) | ports[3];
		break;
	}
	case 1:	   /* ICMP */
	case 58: { /* ICMPv6 */
		__u8 icmp[8];
		header = 8;
		if (ip_payload < header || vtap_load_header(skb, pkt, l4_off, icmp, sizeof(icmp)))
			return VTAP_MALFORMED_L4;
		if (key->proto == 1)
			pkt->icmp_echo = icmp[0] == 8 || icmp[0] == 0;
		else
			pkt->icmp_echo = icmp[0] == 128 || icmp[0] == 129;
		pkt->icmp_id = (icmp[4] << 8) | icmp[5];
		break;
	}
	default:
		break;
	}
	pkt->payload_off = l4_off + header;
	pkt->payload_len = ip_payload - header;
	return VTAP_PARSED;
}

/*
 * Returns VTAP_PARSED, VTAP_NOT_IP, or a VTAP_MALFORMED_* slot. Global, like
 * the other big steps: the verifier checks it once, instead of once for
 * every way the caller can reach it.
 */
__noinline int vtap_parse(void *ctx __arg_ctx, struct vtap_packet *pkt, struct vtap_match_key *key)
{
	struct __sk_buff *skb = ctx;
	__u32 off = 0;
	__u32 ethertype;
	__u32 l4_off = 0;
	__u32 ip_payload = 0;
	int ret;
	/*
	 * The Ethernet header and an untagged IPv4 header after it, read in one
	 * load instead of two: each bpf_skb_load_bytes is a helper call, and the
	 * parse took a third of the program's time (61 of 177 ns on the flood
	 * frame, beside a program that stops after it). Measured with
	 * BPF_PROG_TEST_RUN (as for vtap_sequence_of): the flood frame 184 ns
	 * a run before, 168 after; the seed capture 155 before, 142 after.
	 * `_align` puts `ip` on a 4-byte boundary, as the verifier
	 * wants of stack reads.
	 */
	struct {
		__u16 _align;
		__u8 eth[VTAP_ETH_HLEN];
		struct vtap_ipv4_header ip;
	} head;
	const struct vtap_ipv4_header *ipv4 = 0;

	if (!skb || !pkt || !key)
		return VTAP_MALFORMED_L2;
	if (vtap_cfg_link == VTAP_LINK_ETHERNET) {
		__u8 *eth = head.eth;
		__u32 both = VTAP_ETH_HLEN + sizeof(head.ip);
		if (pkt->cap_len >= both && !vtap_load(skb, 0, eth, both))
			ipv4 = &head.ip;
		else if (vtap_load_header(skb, pkt, 0, eth, VTAP_ETH_HLEN))
			return VTAP_MALFORMED_L2;
		ethertype = (eth[12] << 8) | eth[13];
		off = VTAP_ETH_HLEN;
		/* A tag the NIC or stack already removed still counts toward depth. */
		__u32 depth = vtap_cfg_replay || vtap_cfg_xdp ? 0 : (skb->vlan_present ? 1 : 0);
#pragma unroll
		for (int i = 0; i <= VTAP_MAX_VLAN_TAGS; i++) {
			__u8 tag[4];
			if (ethertype != 0x8100 && ethertype != 0x88a8)
				break;
			if (depth >= VTAP_MAX_VLAN_TAGS)
				return VTAP_MALFORMED_VLAN_DEPTH;
			if (vtap_load_header(skb, pkt, off, tag, sizeof(tag)))
				return VTAP_MALFORMED_L2;
			ethertype = (tag[2] << 8) | tag[3];
			off += 4;
			depth++;
			ipv4 = 0;
		}
	} else {
		__u8 version;
		if (vtap_load_header(skb, pkt, 0, &version, 1))
			return VTAP_MALFORMED_IP_HEADER;
		ethertype = (version >> 4) == 6 ? 0x86dd : 0x0800;
	}

	if (ethertype == 0x0800)
		ret = vtap_parse_ipv4(skb, off, pkt, key, &l4_off, &ip_payload, ipv4);
	else if (ethertype == 0x86dd)
		ret = vtap_parse_ipv6(skb, off, pkt, key, &l4_off, &ip_payload);
	else
		return VTAP_NOT_IP;
	if (ret != VTAP_PARSED)
		return ret;
	return vtap_parse_l4(skb, l4_off, ip_payload, pkt, key);
}

static __always_inline __u32 vtap_class_of(__u32 proto)
{
	switch (proto) {
	case 6:
		return VTAP_CLASS_TCP;
	case 17:
		return VTAP_CLASS_UDP;
	case 1:
	case 58:
		return VTAP_CLASS_ICMP;
	default:
		return VTAP_CLASS_OTHER;
	}
}

/* 0x80 in every byte of x that is zero, exactly (no false positives). */
static __always_inline __u64 vtap_zero_bytes(__u64 x)
{
	const __u64 low7 = 0x7f7f7f7f7f7f7f7fULL;
	return ~(((x & low7) + low7) | x | low7);
}

/*
 * Index of the lowest byte flagged by vtap_zero_bytes (0 when none is),
 * without a branch: m & -m keeps the lowest flag, bit 8i + 7; shifted down
 * it is 1 in byte i, and multiplying by it moves the constant's byte 7 - i,
 * whose value is i, to the top byte. With branches (a binary search) the
 * verifier followed each of the eight outcomes through the rest of the
 * search.
 */
static __always_inline __u32 vtap_first_flagged_byte(__u64 m)
{
	return (((m & -m) >> 7) * 0x0001020304050607ULL) >> 56;
}

#if VTAP_SEQUENCE_MODE == VTAP_SEQUENCE_PATTERN
/* Flags each of the eight positions of `cur` where PATTERN starts, with
 * `next` the word after it: all four pattern bytes tested at once. */
static __always_inline __u64 vtap_pattern_hits(__u64 cur, __u64 next)
{
	const __u64 ones = 0x0101010101010101ULL;
	const __u64 p0 = ones * ((VTAP_PATTERN_VALUE >> 24) & 0xff);
	const __u64 p1 = ones * ((VTAP_PATTERN_VALUE >> 16) & 0xff);
	const __u64 p2 = ones * ((VTAP_PATTERN_VALUE >> 8) & 0xff);
	const __u64 p3 = ones * (VTAP_PATTERN_VALUE & 0xff);
	return vtap_zero_bytes(cur ^ p0) & vtap_zero_bytes(((cur >> 8) | (next << 56)) ^ p1) &
	       vtap_zero_bytes(((cur >> 16) | (next << 48)) ^ p2) & vtap_zero_bytes(((cur >> 24) | (next << 40)) ^ p3);
}

struct vtap_scan {
	struct __sk_buff *skb;
	struct vtap_scan_window *window;
	__u32 payload_off;
	__u32 limit;
	int found;
};

/*
 * One step of the PATTERN search: copies the next window of payload, then
 * tests eight candidate positions per 64-bit word against all four pattern
 * bytes at once. A bpf_loop callback, so the verifier checks it as one body
 * rather than once per step. The words are unrolled: as a loop, with the
 * first flagged byte found by a binary search, the verifier followed every
 * word's every outcome (32,000 of the seed's 38,000 verified instructions,
 * most of vtapc's time); unrolled and branch-free it follows one path past
 * each word. A bpf_loop over the words instead cost 12 ns a call at run
 * time (test_run, 3,000 bytes searched: 1.8 -> 3.0 us).
 */
static long vtap_scan_step(__u32 index, void *data)
{
	struct vtap_scan *scan = data;
	struct vtap_scan_window *window = scan->window;
	__u32 start = index * VTAP_SCAN_STEP;

	if (!window || start + 4 > scan->limit)
		return 1;
	__u32 n = scan->limit - start;
	if (n > VTAP_SCAN_WINDOW)
		n = VTAP_SCAN_WINDOW;
	if (n < 4 || vtap_load(scan->skb, scan->payload_off + start, window->words, n))
		return 1;
	/* Bytes of the window past n are stale; a match reaching into them
	 * ends past `limit` and is rejected below. */
#pragma unroll
	for (__u32 w = 0; w < VTAP_SCAN_STEP / 8; w++) {
		if (w * 8 + 4 > n)
			return 1;
		__u64 hits = vtap_pattern_hits(window->words[w], window->words[w + 1]);
		if (hits) {
			__u32 pos = start + w * 8 + vtap_first_flagged_byte(hits);
			if (pos + 4 <= scan->limit)
				scan->found = pos;
			return 1;
		}
	}
	return 0;
}
#endif

/* Position of PATTERN (big-endian, any alignment) in the first `limit`
 * payload bytes, or -1. */
__noinline int vtap_find_pattern(void *ctx __arg_ctx, __u32 payload_off, __u32 limit)
{
#if VTAP_SEQUENCE_MODE == VTAP_SEQUENCE_PATTERN
	/* The caller has looked at the payload's head already (vtap_sequence_of). */
	__u32 zero = 0;
	struct vtap_scan scan = {
		.skb = ctx,
		.window = bpf_map_lookup_elem(&vtap_scratch, &zero),
		.payload_off = payload_off,
		.limit = limit,
		.found = -1,
	};
	if (!scan.window)
		return -1;
	bpf_loop((VTAP_PATTERN_SEARCH_BYTES + VTAP_SCAN_STEP - 1) / VTAP_SCAN_STEP, vtap_scan_step, &scan, 0);
	return scan.found;
#else
	return -1;
#endif
}

enum { VTAP_SEQ_UNTRACKED = 0, VTAP_SEQ_FOUND = 1, VTAP_SEQ_MISSING = 2 };

/* Finds this packet's sequence number and how far it moves the flow on. */
static __always_inline int vtap_sequence_of(struct __sk_buff *skb, const struct vtap_packet *pkt,
					    const struct vtap_match_key *key, __u32 *seq, __u32 *advance)
{
	if (key->proto == 6) {
		if (!pkt->has_l4)
			return VTAP_SEQ_UNTRACKED;
		__u32 syn = (pkt->tcp_flags & 0x02) ? 1 : 0;
		__u32 fin = (pkt->tcp_flags & 0x01) ? 1 : 0;
		/* Pure ACKs and keepalives neither advance nor get checked. */
		if (pkt->payload_len == 0 && !syn && !fin)
			return VTAP_SEQ_UNTRACKED;
		*seq = pkt->tcp_seq;
		*advance = pkt->payload_len + syn + fin;
		return VTAP_SEQ_FOUND;
	}
#if VTAP_SEQUENCE_MODE == VTAP_SEQUENCE_NONE
	return VTAP_SEQ_UNTRACKED;
#else
	if (!pkt->has_l4 || !(key->proto == 17 || ((key->proto == 1 || key->proto == 58) && pkt->icmp_echo)))
		return VTAP_SEQ_UNTRACKED;
	__u32 available = pkt->cap_len > pkt->payload_off ? pkt->cap_len - pkt->payload_off : 0;
	__u32 limit = pkt->payload_len < available ? pkt->payload_len : available;
	__s64 at;
#if VTAP_SEQUENCE_MODE == VTAP_SEQUENCE_FIXED
	at = VTAP_SEQUENCE_OFFSET;
#else
	/*
	 * Senders put the pattern near the start (the seed's at byte 4, its
	 * number 4 bytes on): one load of the payload's first bytes finds both
	 * the pattern and the number, so the packet pays neither the scratch
	 * window and bpf_loop nor a second load for the number. Measured with
	 * BPF_PROG_TEST_RUN on the live benchmark's 74-byte flood frame (UDP,
	 * the seed's PATTERN at payload byte 4), medians of 41 rounds run in
	 * turn with the old program: 206 ns a run before, 184 after; over the
	 * seed capture's 53 frames, 163 before, 155 after (test_run alone costs
	 * about 27). A hit counts only where all four of its bytes were loaded
	 * (`n`): the rest of `head` could match too (zeros, say).
	 */
	__u64 head[3] = {};
	__u32 n = limit < sizeof(head) ? limit : sizeof(head);
	int found = -1, in_head = 0;
	if (n >= 4 && !vtap_load(skb, pkt->payload_off, head, n)) {
		__u64 hits = vtap_pattern_hits(head[0], head[1]);
		__u32 pos = vtap_first_flagged_byte(hits);
		if (!hits) {
			hits = vtap_pattern_hits(head[1], head[2]);
			pos = 8 + vtap_first_flagged_byte(hits);
		}
		if (hits && pos + 4 <= n) {
			found = pos;
			in_head = 1;
		}
	}
	if (!in_head)
		found = vtap_find_pattern(skb, pkt->payload_off,
					  limit < VTAP_PATTERN_SEARCH_BYTES ? limit : VTAP_PATTERN_SEARCH_BYTES);
	if (found < 0)
		return VTAP_SEQ_MISSING;
	at = (__s64)found + VTAP_SEQUENCE_OFFSET;
	if (in_head && at >= 0 && at + 4 <= n) {
		const __u8 *bytes = (const __u8 *)head;
		__u32 i = (__u32)at;
		if (i > sizeof(head) - 4)
			return VTAP_SEQ_MISSING;
		*seq = ((__u32)bytes[i] << 24) | ((__u32)bytes[i + 1] << 16) | ((__u32)bytes[i + 2] << 8) | bytes[i + 3];
		*advance = 1;
		return VTAP_SEQ_FOUND;
	}
#endif
	__u32 raw;
	if (at < 0 || at + 4 > limit || vtap_load(skb, pkt->payload_off + (__u32)at, &raw, 4))
		return VTAP_SEQ_MISSING;
	*seq = vtap_ntohl(raw);
	*advance = 1;
	return VTAP_SEQ_FOUND;
#endif
}

/* The flow a packet belongs to, one direction: addresses, ports (the echo
 * identifier for ICMP) and protocol. */
static __always_inline void vtap_flow_key_of(const struct vtap_packet *pkt, const struct vtap_match_key *key,
					     struct vtap_flow_key *fk)
{
	fk->family = pkt->family;
	fk->proto = key->proto;
	if (pkt->family == 4) {
		fk->src[0] = (__u32)key->src_lo;
		fk->dst[0] = (__u32)key->dst_lo;
	} else {
		fk->src[0] = key->src_hi >> 32;
		fk->src[1] = (__u32)key->src_hi;
		fk->src[2] = key->src_lo >> 32;
		fk->src[3] = (__u32)key->src_lo;
		fk->dst[0] = key->dst_hi >> 32;
		fk->dst[1] = (__u32)key->dst_hi;
		fk->dst[2] = key->dst_lo >> 32;
		fk->dst[3] = (__u32)key->dst_lo;
	}
	if (key->proto == 1 || key->proto == 58) {
		fk->sport = pkt->icmp_id;
	} else {
		fk->sport = key->sport;
		fk->dport = key->dport;
	}
}

struct vtap_seq_result {
	int kind;
	__u32 seq;
	__s32 gap; /* d = seq - expected, serial arithmetic; 0 for a new flow */
};

static __always_inline void vtap_track_sequence(struct __sk_buff *skb, const struct vtap_packet *pkt,
						const struct vtap_match_key *key, struct vtap_seq_result *out)
{
	__u32 seq = 0, advance = 0;

	out->kind = vtap_sequence_of(skb, pkt, key, &seq, &advance);
	out->gap = 0;
	if (out->kind != VTAP_SEQ_FOUND)
		return;
	out->seq = seq;

	struct vtap_flow_key fk = {};
	vtap_flow_key_of(pkt, key, &fk);

	struct vtap_flow_state *state = bpf_map_lookup_elem(&vtap_flows, &fk);
	if (!state) {
		struct vtap_flow_state fresh = { .expected = seq + advance, .last = seq };
		/* NOEXIST: of two CPUs starting the same flow, one counts it. */
		if (bpf_map_update_elem(&vtap_flows, &fk, &fresh, VTAP_BPF_NOEXIST) == 0)
			vtap_tally_add(VTAP_TOTAL_FLOWS_STARTED, 0);
		return;
	}
	out->gap = (__s32)(seq - state->expected);
	state->expected = seq + advance;
	state->last = seq;
}

/* Out of line: called for the rule, the protocol class and the flow.
 * `last` is the scope's last arrival (NULL: no jitter sample). */
static __noinline void vtap_count(struct vtap_counters *c, __u64 *last, const struct vtap_packet *pkt,
				       const struct vtap_match_key *key, const struct vtap_seq_result *seq)
{
	c->packets++;
	c->bytes += pkt->wire_len;
	c->payload_bytes += pkt->payload_len;

	if (last) {
		__u64 prev = __sync_lock_test_and_set(last, pkt->now);
		__s64 gap = (__s64)(pkt->now - prev);
		/* prev == 0: first packet. A negative gap means another CPU
		 * stored a later arrival first: no sample for this pair. */
		if (prev != 0 && gap >= 0) {
			if ((__u64)gap > 2000000000ULL) {
				c->jitter_restarts++;
			} else {
				c->jitter_samples++;
				c->jitter_sum_ns += gap;
				c->jitter_sum_sq_ns2 += (__u64)gap * (__u64)gap;
			}
		}
	}

	if (seq->kind == VTAP_SEQ_MISSING) {
		c->seq_missing++;
	} else if (seq->kind == VTAP_SEQ_FOUND) {
		c->seq_count++;
		c->seq_last = seq->seq;
		c->seq_last_ns = pkt->now;
		if (seq->gap < 0) {
			c->seq_reverse++;
		} else if (seq->gap > 0) {
			if ((__u32)seq->gap <= VTAP_SEQUENCE_THRESHOLD)
				c->seq_small++;
			else
				c->seq_big++;
			if (key->proto != 6)
				c->seq_lost += (__u32)seq->gap;
		}
	}
}

/* Everything counted for a packet that matched `rule`. */
__noinline int vtap_account(void *ctx __arg_ctx, struct vtap_packet *pkt, struct vtap_match_key *key, __u32 rule)
{
	struct __sk_buff *skb = ctx;
	if (!skb || !pkt || !key || rule >= VTAP_RULE_COUNT)
		return 0;

	struct vtap_seq_result seq = {};
	vtap_track_sequence(skb, pkt, key, &seq);

	/* The rule's inter-arrival series spans its protocols (arrival slot
	 * `rule`); each gap lands with the class of the packet that closed it,
	 * so a rule's classes add up to the rule's series. */
	__u32 class = vtap_class_of(key->proto);
	__u32 slot = rule * VTAP_CLASS_COUNT + class;
	struct vtap_counters *c = bpf_map_lookup_elem(&vtap_rule_stats, &slot);
	if (c)
		vtap_count(c, bpf_map_lookup_elem(&vtap_arrivals, &rule), pkt, key, &seq);

	__u32 arrival = VTAP_RULE_COUNT + class;
	c = bpf_map_lookup_elem(&vtap_protocol_stats, &class);
	if (c)
		vtap_count(c, bpf_map_lookup_elem(&vtap_arrivals, &arrival), pkt, key, &seq);

	if (vtap_cfg_flow_view) {
		struct vtap_flow_view_key view = { .rule = rule };
		vtap_flow_key_of(pkt, key, &view.flow);
		struct vtap_flow_counters *flow = bpf_map_lookup_elem(&vtap_flow_view, &view);
		if (!flow) {
			struct vtap_flow_counters fresh = {};
			if (bpf_map_update_elem(&vtap_flow_view, &view, &fresh, VTAP_BPF_NOEXIST) == 0)
				vtap_tally_add(VTAP_TOTAL_FLOW_VIEW_STARTED, 0);
			flow = bpf_map_lookup_elem(&vtap_flow_view, &view);
		}
		if (flow)
			vtap_count(&flow->counters, &flow->last_arrival_ns, pkt, key, &seq);
	}
	return 0;
}

#ifdef VTAP_EVENTS
#include "vtap_ring.h"
#endif
#ifdef VTAP_QLOG
#include "vtap_qlog.h"
#endif

/* Where the packet program runs, which says how it learns a packet's
 * direction: an AF_PACKET socket sees both and reads skb->pkt_type; a TC
 * hook (TCX) is attached to one direction and knows it. */
enum { VTAP_HOOK_SOCKET = -1, VTAP_HOOK_INGRESS = 0, VTAP_HOOK_EGRESS = 1, VTAP_HOOK_XDP = 2 };
#define VTAP_TC_ACT_UNSPEC (-1)

/* Whether the packet is being sent. `hook` is a constant in each program,
 * so only the socket filter reads the skb for it. */
static __always_inline int vtap_outgoing(const struct __sk_buff *skb, int hook)
{
	return hook == VTAP_HOOK_SOCKET ? skb->pkt_type == VTAP_PACKET_OUTGOING : hook == VTAP_HOOK_EGRESS;
}

/*
 * The matching and accounting of one packet, shared by every hook. Returns
 * 0, or the verdict with vtap_cfg_verdict. At a socket filter and at TC
 * ingress and egress alike skb->data is the MAC header (the raw-IP links'
 * IP header) and skb->len counts from there, so offsets and lengths agree.
 */
static __always_inline int vtap_measure_packet(struct __sk_buff *skb, int hook)
{
	struct vtap_packet pkt = {};
	struct vtap_match_key key = {};

	if (vtap_cfg_replay) {
		pkt.now = vtap_replay.tstamp_ns;
		pkt.wire_len = vtap_replay.frame_len;
		pkt.data_len = vtap_replay.frame_len;
		pkt.cap_len = vtap_replay.cap_len;
	} else if (hook == VTAP_HOOK_XDP) {
		/* No skb yet: a VLAN tag is still in the frame, and it is all
		 * the frame there is (fragments of a multi-buffer frame too). */
		pkt.now = bpf_ktime_get_ns();
		pkt.data_len = (__u32)bpf_xdp_get_buff_len(skb);
		pkt.cap_len = pkt.data_len;
		pkt.wire_len = pkt.data_len;
	} else {
		pkt.now = bpf_ktime_get_ns();
		pkt.data_len = skb->len;
		pkt.cap_len = skb->len;
		/* A VLAN tag taken off by the stack was still on the wire. */
		pkt.wire_len = skb->len + (skb->vlan_present ? 4 : 0);
#ifdef VTAP_QLOG
		pkt.outgoing = vtap_outgoing(skb, hook);
#endif
	}

	if (vtap_cfg_direction != VTAP_DIRECTION_BOTH) {
		if (vtap_outgoing(skb, hook) != (vtap_cfg_direction == VTAP_DIRECTION_OUT)) {
			vtap_tally_add(VTAP_TOTAL_OTHER_DIRECTION, pkt.wire_len);
#ifdef VTAP_QLOG
			return vtap_qlog_other_direction(skb, &pkt, &key);
#else
			return 0;
#endif
		}
	}

	int parsed = vtap_parse(skb, &pkt, &key);
	if (parsed == VTAP_NOT_IP) {
		vtap_tally_add(VTAP_TOTAL_NON_IP, pkt.wire_len);
		vtap_tally_add(VTAP_TOTAL_UNMATCHED, pkt.wire_len);
		return 0;
	}
	if (parsed != VTAP_PARSED) {
		vtap_tally_add(VTAP_TOTAL_MALFORMED, pkt.wire_len);
		vtap_tally_add((__u32)parsed, pkt.wire_len);
		return vtap_cfg_verdict ? VTAP_VERDICT_MALFORMED | (__u32)parsed : 0;
	}
#ifdef VTAP_FLOOR
	/* vtap-bench's floor: everything above (replay inputs, direction,
	 * parsing every header) and nothing below (matching, accounting). */
	return 0;
#endif

	int rule = pkt.family == 4 ? vtap_match_v4(&key) : vtap_match_v6(&key);
	if (rule < 0 || rule >= VTAP_RULE_COUNT) {
		vtap_tally_add(VTAP_TOTAL_UNMATCHED, pkt.wire_len);
		return 0;
	}

	vtap_account(skb, &pkt, &key, (__u32)rule);
#ifdef VTAP_QLOG
	if (key.proto == 6 && pkt.has_l4)
		vtap_qlog_segment(skb, &pkt, &key, (__u32)rule);
#endif
	return vtap_cfg_verdict ? (__u32)rule + 1 : 0;
}

SEC("socket")
int vtap_measure(struct __sk_buff *skb)
{
	return vtap_measure_packet(skb, VTAP_HOOK_SOCKET);
}

/* The TC programs (attached through TCX links, vtap run --attach tc): the
 * same code; TC_ACT_UNSPEC lets the next program decide, so the packet's
 * fate never changes. The verdict is for BPF_PROG_TEST_RUN only. */
SEC("tc")
int vtap_measure_tc_ingress(struct __sk_buff *skb)
{
	int verdict = vtap_measure_packet(skb, VTAP_HOOK_INGRESS);
	return vtap_cfg_verdict ? verdict : VTAP_TC_ACT_UNSPEC;
}

SEC("tc")
int vtap_measure_tc_egress(struct __sk_buff *skb)
{
	int verdict = vtap_measure_packet(skb, VTAP_HOOK_EGRESS);
	return vtap_cfg_verdict ? verdict : VTAP_TC_ACT_UNSPEC;
}

/* The XDP program (vtap run --attach xdp): the same code on received frames
 * before the stack makes an skb of them, loaded with vtap_cfg_xdp set.
 * XDP_PASS hands every frame on unchanged. Loaded without the setting (by
 * a generic loader, say bpftool prog loadall), it passes every frame and
 * does nothing else, so the object's every program loads anywhere. */
SEC("xdp.frags") /* frames in several buffers too (jumbo MTUs): read whole */
int vtap_measure_xdp(struct xdp_md *ctx)
{
	if (!vtap_cfg_xdp)
		return VTAP_XDP_PASS;
	int verdict = vtap_measure_packet((struct __sk_buff *)ctx, VTAP_HOOK_XDP);
	return vtap_cfg_verdict ? verdict : VTAP_XDP_PASS;
}

char _license[] SEC("license") = "GPL";

#ifdef VTAP_EVENTS
/* The rules file's EVENTS: tracepoint programs beside the packet program. */
#include "vtap_events.h"
#endif

#ifdef VTAP_RULES_MAP
/* vtap-bench's map-driven matcher, the design vtap rejected. */
#include "vtap_rules_map.h"
#endif

#ifdef VTAP_LBVS
/* vtap-bench's Linear Bit-Vector Search, bpf-iptables' algorithm. */
#include "vtap_lbvs.h"
#endif
