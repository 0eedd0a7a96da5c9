/* SPDX-License-Identifier: (GPL-2.0-only OR MIT) */
/*
 * The events' ring buffer and what every record writer shares: the record
 * kinds, the loss and cap counters, and the per-second cap. Included before
 * the packet program, which writes qlog's TCP segments here (VTAP_QLOG);
 * the tracepoint programs of vtap_events.h write the rest. One ring for
 * both keeps every record of a run in one order (docs/events.md).
 */
enum vtap_event_kind {
	VTAP_EVENT_SEND = 1,		/* socket: bytes handed to a socket (value) */
	VTAP_EVENT_RECEIVE = 2,		/* socket: bytes taken from a socket (value) */
	VTAP_EVENT_STATE = 3,		/* connection: TCP state detail -> value */
	VTAP_EVENT_RETRANSMIT = 4,	/* protocol: a TCP segment sent again */
	VTAP_EVENT_RESET_SENT = 5,	/* protocol: a TCP reset sent (detail: reason) */
	VTAP_EVENT_RESET_RECEIVED = 6,	/* protocol: a TCP reset received */
	VTAP_EVENT_IP_RECEIVE = 7,	/* ip: a packet a device received (value: IP length) */
	VTAP_EVENT_IP_TRANSMIT = 8,	/* ip: a packet a device sent (value: IP length) */
	VTAP_EVENT_SEGMENT = 9,		/* qlog: a TCP segment the packet program matched (struct vtap_segment) */
	VTAP_EVENT_UDP_SEND = 10,	/* protocol: a UDP datagram a device sent (value: IP length) */
	VTAP_EVENT_UDP_RECEIVE = 11,	/* protocol: a UDP datagram a device received */
	VTAP_EVENT_ICMP_SEND = 12,	/* protocol: an ICMP message sent (detail: type << 8 | code) */
	VTAP_EVENT_ICMP_RECEIVE = 13,	/* protocol: an ICMP message received */
	/* protocol: TCP segments at a device, sent and received (value:
	 * sequence number, detail: acknowledgement number, both as unsigned
	 * 32-bit; ip_length and tcp_flags set). The three of a handshake
	 * have kinds of their own: the ACK is the first that acknowledges
	 * the SYN-ACK seen at the same device. */
	VTAP_EVENT_TCP_SYN_SEND = 14,
	VTAP_EVENT_TCP_SYN_RECEIVE = 15,
	VTAP_EVENT_TCP_SYN_ACK_SEND = 16,
	VTAP_EVENT_TCP_SYN_ACK_RECEIVE = 17,
	VTAP_EVENT_TCP_ACK_SEND = 18,
	VTAP_EVENT_TCP_ACK_RECEIVE = 19,
	VTAP_EVENT_TCP_SEND = 20,
	VTAP_EVENT_TCP_RECEIVE = 21,
	VTAP_EVENT_KPI = 22,		/* KPIS: a connection's struct vtap_kpi */
};

/* Slots of vtap_event_stats, per CPU. */
enum vtap_event_stat {
	VTAP_EVENT_WRITTEN = 0,	/* submitted to the ring buffer */
	VTAP_EVENT_LOST = 1,	/* the ring buffer was full */
	VTAP_EVENT_CAPPED = 2,	/* over MAX_EVENTS_PER_SECOND */
	VTAP_EVENT_STAT_COUNT = 3,
};

struct vtap_event {
	__u64 time_ns;		/* bpf_ktime_get_ns, like the packet program */
	__u64 socket;		/* the socket's kernel address: groups a connection */
	__u32 kind;		/* enum vtap_event_kind */
	__u32 cpu;
	__u32 pid;		/* the current task's process and thread ids: */
	__u32 tid;		/* the sender or receiver for socket events */
	__s32 rule;		/* the first rule the 5-tuple matches */
	__s32 value;		/* bytes, or an error (< 0); the new TCP state */
	__s32 detail;		/* flags; the old TCP state; the reset reason */
	__u16 family;		/* 2 (IPv4) or 10 (IPv6) */
	__u16 protocol;		/* IP protocol number */
	__u16 local_port;	/* host order */
	__u16 remote_port;
	__u8 local_addr[16];	/* IPv4 in the first four bytes */
	__u8 remote_addr[16];
	char comm[16];
	__u16 ip_length;	/* TCP segments at the protocol level: IP length */
	__u16 tcp_flags;	/* and the header's flag byte */
};

struct {
	__uint(type, VTAP_MAP_RINGBUF);
	__uint(max_entries, VTAP_EVENT_RING_BYTES);
} vtap_events SEC(".maps");

struct {
	__uint(type, VTAP_MAP_PERCPU_ARRAY);
	__uint(max_entries, VTAP_EVENT_STAT_COUNT);
	__type(key, __u32);
	__type(value, __u64);
} vtap_event_stats SEC(".maps");

/* The second being counted against MAX_EVENTS_PER_SECOND, and its count. */
struct vtap_event_window {
	__u64 second;
	__u64 count;
};

struct {
	__uint(type, VTAP_MAP_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct vtap_event_window);
} vtap_event_rate SEC(".maps");

static __always_inline void vtap_event_count(__u32 slot)
{
	__u64 *count = bpf_map_lookup_elem(&vtap_event_stats, &slot);
	if (count)
		*count += 1;
}

/* Whether one more event fits this second's MAX_EVENTS_PER_SECOND (0: no
 * cap). The window is shared by all CPUs; a race at a second's turn can
 * let a few more through, never fewer. */
static __always_inline int vtap_event_allowed(__u64 now)
{
#if VTAP_EVENT_MAX_PER_SECOND > 0
	__u32 zero = 0;
	struct vtap_event_window *w = bpf_map_lookup_elem(&vtap_event_rate, &zero);
	if (!w)
		return 0;
	__u64 second = now / 1000000000ull;
	if (w->second != second) {
		w->second = second;
		w->count = 0;
	}
	if (__sync_fetch_and_add(&w->count, 1) >= VTAP_EVENT_MAX_PER_SECOND) {
		vtap_event_count(VTAP_EVENT_CAPPED);
		return 0;
	}
#endif
	return 1;
}

/* Waking the reader is an interrupt's work for every record; it is woken
 * once a quarter of the buffer waits, and reads at least every 100 ms by
 * itself. */
static __always_inline __u64 vtap_ring_wakeup(void)
{
	__u64 waiting = bpf_ringbuf_query(&vtap_events, VTAP_RB_AVAIL_DATA);
	return waiting >= VTAP_EVENT_RING_BYTES / 4 ? VTAP_RB_FORCE_WAKEUP : VTAP_RB_NO_WAKEUP;
}
