/* SPDX-License-Identifier: (GPL-2.0-only OR MIT) */
/*
 * qlog's input: every TCP segment the packet program matched, with the
 * header fields a trace shows, written to the events' ring buffer. The
 * packet program sees each frame where tcpdump does (an AF_PACKET tap, or
 * the capture itself in replay), so a trace and a capture agree packet for
 * packet; user space groups segments into connections and writes the
 * files (docs/events.md).
 */
#define VTAP_TCP_OPTIONS_MAX 40

/* Where struct vtap_event has them: time, socket, kind. */
struct vtap_segment {
	__u64 time_ns;		/* the packet program's clock; the capture's in replay */
	__u64 socket;		/* 0: a frame names no socket */
	__u32 kind;		/* VTAP_EVENT_SEGMENT */
	__s32 rule;
	__u32 direction;	/* 0 received, 1 sent, 2 not known (replay) */
	__u32 ifindex;		/* 0 in replay */
	__u64 src_hi;		/* addresses as the match key holds them: */
	__u64 src_lo;		/* host order, IPv4 in *_lo */
	__u64 dst_hi;
	__u64 dst_lo;
	__u32 seq;
	__u32 ack;
	__u32 payload_len;
	__u16 src_port;
	__u16 dst_port;
	__u16 window;		/* as sent: not scaled */
	__u8 flags;
	__u8 header_len;	/* TCP header bytes, options included */
	__u8 family;		/* 4 or 6 */
	__u8 options_len;
	__u8 options[VTAP_TCP_OPTIONS_MAX];
	__u8 _pad[2];
};

/* Out of line, with the record as its argument: that puts struct
 * vtap_segment in the object's BTF, where the manifest reads its layout. */
static __noinline void vtap_qlog_submit(struct vtap_segment *s)
{
	if (!s || !vtap_event_allowed(s->time_ns))
		return;
	if (bpf_ringbuf_output(&vtap_events, s, sizeof(*s), vtap_ring_wakeup()))
		vtap_event_count(VTAP_EVENT_LOST);
	else
		vtap_event_count(VTAP_EVENT_WRITTEN);
}

/* Out of line: the record's stack frame is not the packet program's. */
static __noinline void vtap_qlog_segment(struct __sk_buff *skb, const struct vtap_packet *pkt,
					  const struct vtap_match_key *key, __u32 rule)
{
	struct vtap_segment s = {};

	if (!skb || !pkt || !key)
		return;
	s.time_ns = pkt->now;
	s.kind = VTAP_EVENT_SEGMENT;
	s.rule = (__s32)rule;
	if (vtap_cfg_replay) {
		s.direction = 2;
	} else {
		/* From the hook: at TC egress pkt_type is not OUTGOING. */
		s.direction = pkt->outgoing;
		/* Not under XDP, which vtap refuses with QLOG (received packets
		 * only): an skb field there would be refused by the verifier. */
		if (!vtap_cfg_xdp)
			s.ifindex = skb->ifindex;
	}
	s.src_hi = key->src_hi;
	s.src_lo = key->src_lo;
	s.dst_hi = key->dst_hi;
	s.dst_lo = key->dst_lo;
	s.src_port = (__u16)key->sport;
	s.dst_port = (__u16)key->dport;
	s.seq = pkt->tcp_seq;
	s.ack = pkt->tcp_ack;
	s.window = pkt->tcp_window;
	s.flags = pkt->tcp_flags;
	s.header_len = pkt->tcp_header_len;
	s.family = pkt->family;
	s.payload_len = pkt->payload_len;

	/* The options sit between the fixed 20 bytes and the payload. */
	__u32 options = pkt->tcp_header_len > 20 ? pkt->tcp_header_len - 20 : 0;
	__u32 at = pkt->payload_off - options;
	if (options > VTAP_TCP_OPTIONS_MAX)
		options = VTAP_TCP_OPTIONS_MAX;
	if (options > 0 && at + options <= pkt->cap_len && vtap_load(skb, at, s.options, options) == 0)
		s.options_len = options;

	vtap_qlog_submit(&s);
}

/* A frame in the direction DIRECTION does not count still belongs in its
 * connection's trace: parsed and matched, logged, not counted. */
static __always_inline int vtap_qlog_other_direction(struct __sk_buff *skb, struct vtap_packet *pkt,
						     struct vtap_match_key *key)
{
	if (vtap_parse(skb, pkt, key) != VTAP_PARSED || key->proto != 6 || !pkt->has_l4)
		return 0;
	int rule = pkt->family == 4 ? vtap_match_v4(key) : vtap_match_v6(key);
	if (rule >= 0 && rule < VTAP_RULE_COUNT)
		vtap_qlog_segment(skb, pkt, key, (__u32)rule);
	return 0;
}
