/* SPDX-License-Identifier: (GPL-2.0-only OR MIT) */
/*
 * KPIS: per-connection KPIs read from the kernel's own TCP state (struct
 * tcp_sock), for the connections the rules select (docs/kpis.md). A
 * connection is followed from its first state change a rule selects to
 * TCP_CLOSE; its record goes to the events ring buffer when it closes,
 * and every VTAP_KPI_EXPORT_NS while it is open and receiving (tcp_probe
 * fires on the segments an established connection receives: an idle one
 * sends no interim record). Included from vtap_events.h.
 */

/* The kernel's TCP socket: only the fields read here (CO-RE). */
struct VTAP_CORE(minmax_sample) {
	__u32 t;
	__u32 v;
} __attribute__((preserve_access_index));

struct VTAP_CORE(minmax) {
	struct VTAP_CORE(minmax_sample) s[3];
} __attribute__((preserve_access_index));

struct VTAP_CORE(tcp_sock) {
	__u64 bytes_sent;
	__u64 bytes_acked;
	__u64 bytes_received;
	__u32 segs_in;
	__u32 segs_out;
	__u32 data_segs_in;
	__u32 data_segs_out;
	__u32 total_retrans;
	__u32 srtt_us;
	struct VTAP_CORE(minmax) rtt_min;
	__u32 reord_seen;
	__u32 dsack_dups;
	__u16 total_rto;
	__u32 rcv_ooopack;
} __attribute__((preserve_access_index));

/* Why a record was written (struct vtap_kpi's end). */
enum vtap_kpi_end {
	VTAP_KPI_OPEN = 0,		/* an interim record: still open */
	VTAP_KPI_FIN = 1,		/* closed without a reset */
	VTAP_KPI_RESET = 2,		/* a reset was sent or received */
	VTAP_KPI_NOT_ESTABLISHED = 3,	/* closed before the handshake completed */
};

/* What is kept per followed connection between its state changes. */
struct vtap_kpi_state {
	__u64 start_ns;
	__u64 established_ns;
	__u64 last_export_ns;
	__u32 rule;
	__u32 handshake_rtt_us;
	__u32 rtt_max_us;
	__u32 rcvbuf_start;
	__u16 resets_sent;
	__u16 resets_received;
	/* The 5-tuple, kept from when it was whole: at TCP_CLOSE the kernel
	 * has already let the local port go. */
	__u16 family;
	__u16 local_port;
	__u16 remote_port;
	__u8 local_addr[16];
	__u8 remote_addr[16];
};

/* LRU: a connection vtap never saw close is forgotten under pressure. */
struct {
	__uint(type, VTAP_MAP_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, __u64);
	__type(value, struct vtap_kpi_state);
} vtap_kpi_sockets SEC(".maps");

/* A connection's KPIs, written to the events ring buffer. */
struct vtap_kpi {
	__u64 time_ns;
	__u64 socket;
	__u32 kind;		/* VTAP_EVENT_KPI */
	__s32 rule;
	__u64 start_ns;
	__u64 established_ns;	/* 0: never established */
	__u64 bytes_sent;	/* tcp_sock's own counters, see docs/kpis.md */
	__u64 bytes_acked;
	__u64 bytes_received;
	__u32 segs_in;
	__u32 segs_out;
	__u32 data_segs_in;
	__u32 data_segs_out;
	__u32 total_retrans;
	__u32 srtt_us;
	__u32 rtt_min_us;
	__u32 rtt_max_us;
	__u32 handshake_rtt_us;
	__u32 reord_seen;
	__u32 dsack_dups;
	__u32 rcv_ooopack;
	__u32 rcvbuf_start;
	__u32 rcvbuf_end;
	__u16 total_rto;
	__u16 resets_sent;
	__u16 resets_received;
	__u16 end;		/* enum vtap_kpi_end */
	__u16 family;
	__u16 local_port;
	__u16 remote_port;
	__u16 state;		/* the TCP state it left (at close) or is in */
	__u8 local_addr[16];
	__u8 remote_addr[16];
};

static __always_inline __u32 vtap_kpi_rcvbuf(const void *sk)
{
	int rcvbuf = 0;
	vtap_core_read(&rcvbuf, &((const struct VTAP_CORE(sock) *)sk)->sk_rcvbuf);
	return rcvbuf > 0 ? (__u32)rcvbuf : 0;
}

/* Fills a reserved record; `end_state` is end << 16 | state (BPF calls
 * take five arguments). A function of its own: its signature puts struct
 * vtap_kpi in the object's BTF, where the manifest reads its layout. */
static __noinline void vtap_kpi_fill(struct vtap_kpi *k, const void *sk, struct vtap_kpi_state *st,
				     __u32 end_state)
{
	const struct VTAP_CORE(tcp_sock) *tp = sk;
	__u32 srtt = 0;

	k->time_ns = bpf_ktime_get_ns();
	k->socket = (__u64)sk;
	k->kind = VTAP_EVENT_KPI;
	k->rule = (__s32)st->rule;
	k->start_ns = st->start_ns;
	k->established_ns = st->established_ns;
	vtap_core_read(&k->bytes_sent, &tp->bytes_sent);
	vtap_core_read(&k->bytes_acked, &tp->bytes_acked);
	vtap_core_read(&k->bytes_received, &tp->bytes_received);
	vtap_core_read(&k->segs_in, &tp->segs_in);
	vtap_core_read(&k->segs_out, &tp->segs_out);
	vtap_core_read(&k->data_segs_in, &tp->data_segs_in);
	vtap_core_read(&k->data_segs_out, &tp->data_segs_out);
	vtap_core_read(&k->total_retrans, &tp->total_retrans);
	vtap_core_read(&srtt, &tp->srtt_us);
	k->srtt_us = srtt >> 3; /* the kernel keeps 8 times the smoothed RTT */
	vtap_core_read(&k->rtt_min_us, &tp->rtt_min.s[0].v);
	if (k->rtt_min_us == ~0u) /* the kernel's "no sample yet" */
		k->rtt_min_us = 0;
	k->rtt_max_us = st->rtt_max_us > k->srtt_us ? st->rtt_max_us : k->srtt_us;
	k->handshake_rtt_us = st->handshake_rtt_us;
	vtap_core_read(&k->reord_seen, &tp->reord_seen);
	vtap_core_read(&k->dsack_dups, &tp->dsack_dups);
	vtap_core_read(&k->rcv_ooopack, &tp->rcv_ooopack);
	vtap_core_read(&k->total_rto, &tp->total_rto);
	k->rcvbuf_start = st->rcvbuf_start;
	k->rcvbuf_end = vtap_kpi_rcvbuf(sk);
	k->resets_sent = st->resets_sent;
	k->resets_received = st->resets_received;
	k->end = end_state >> 16;
	k->family = st->family;
	k->local_port = st->local_port;
	k->remote_port = st->remote_port;
	k->state = end_state & 0xffff;
	__builtin_memcpy(k->local_addr, st->local_addr, 16);
	__builtin_memcpy(k->remote_addr, st->remote_addr, 16);
}

/* Keeps the socket's 5-tuple in its state. */
static __always_inline void vtap_kpi_keep_tuple(struct vtap_kpi_state *st, const struct vtap_event *e)
{
	st->family = e->family;
	st->local_port = e->local_port;
	st->remote_port = e->remote_port;
	__builtin_memcpy(st->local_addr, e->local_addr, 16);
	__builtin_memcpy(st->remote_addr, e->remote_addr, 16);
}

/* Writes the connection's record; `end` says why, `state` its TCP state. */
static __always_inline void vtap_kpi_write(const void *sk, struct vtap_kpi_state *st, __u32 end, __u32 state)
{
	struct vtap_kpi *k = bpf_ringbuf_reserve(&vtap_events, sizeof(*k), 0);
	if (!k) {
		vtap_event_count(VTAP_EVENT_LOST);
		return;
	}
	vtap_kpi_fill(k, sk, st, end << 16 | (state & 0xffff));
	bpf_ringbuf_submit(k, vtap_ring_wakeup());
	vtap_event_count(VTAP_EVENT_WRITTEN);
}

/* The kernel's TCP states that matter here (include/net/tcp_states.h). */
enum vtap_tcp_state {
	VTAP_TCP_ESTABLISHED = 1,
	VTAP_TCP_CLOSE = 7,
	VTAP_TCP_LISTEN = 10,
};

/* inet_sock_set_state(const struct sock *sk, int oldstate, int newstate) */
SEC("raw_tracepoint/inet_sock_set_state")
int vtap_kpi_state(struct vtap_raw_args *ctx)
{
	const void *sk = (const void *)ctx->args[0];
	int old = (int)ctx->args[1], state = (int)ctx->args[2];
	__u64 key = (__u64)sk, now = bpf_ktime_get_ns();

	if (!vtap_event_is_tcp(sk))
		return 0;
	struct vtap_kpi_state *st = bpf_map_lookup_elem(&vtap_kpi_sockets, &key);
	struct vtap_event e = {};
	if (!st) {
		/* Followed from its first change a rule selects (a listener's
		 * children from SYN_RECV -> ESTABLISHED); listeners are not
		 * connections. */
		if (state == VTAP_TCP_CLOSE || state == VTAP_TCP_LISTEN ||
		    vtap_event_socket(&e, (const struct VTAP_CORE(sock) *)sk))
			return 0;
		int rule = vtap_event_rule(&e, 1);
		if (rule < 0)
			rule = vtap_event_rule(&e, 0);
		if (rule < 0)
			return 0;
		struct vtap_kpi_state fresh = {
			.start_ns = now, .rule = (__u32)rule, .rcvbuf_start = vtap_kpi_rcvbuf(sk)};
		vtap_kpi_keep_tuple(&fresh, &e);
		bpf_map_update_elem(&vtap_kpi_sockets, &key, &fresh, VTAP_BPF_ANY);
		st = bpf_map_lookup_elem(&vtap_kpi_sockets, &key);
		if (!st)
			return 0;
	}
	if (state == VTAP_TCP_ESTABLISHED) {
		__u32 srtt = 0;
		/* Whole now (an active open's local address and port are
		 * settled by SYN_SENT, but keep what the connection ended up with). */
		if (!vtap_event_socket(&e, (const struct VTAP_CORE(sock) *)sk))
			vtap_kpi_keep_tuple(st, &e);
		vtap_core_read(&srtt, &((const struct VTAP_CORE(tcp_sock) *)sk)->srtt_us);
		st->established_ns = now;
		st->last_export_ns = now;
		/* The first RTT sample is the handshake's (SYN to SYN-ACK on the
		 * active side, SYN-ACK to ACK on the passive one). */
		st->handshake_rtt_us = srtt >> 3;
	} else if (state == VTAP_TCP_CLOSE) {
		__u32 end = st->resets_sent || st->resets_received ? VTAP_KPI_RESET
			    : st->established_ns			 ? VTAP_KPI_FIN
								 : VTAP_KPI_NOT_ESTABLISHED;
		vtap_kpi_write(sk, st, end, (__u32)old);
		bpf_map_delete_elem(&vtap_kpi_sockets, &key);
	}
	return 0;
}

/* tcp_probe(const struct sock *sk, const struct sk_buff *skb): a segment
 * received on an established connection. */
SEC("raw_tracepoint/tcp_probe")
int vtap_kpi_probe(struct vtap_raw_args *ctx)
{
	const void *sk = (const void *)ctx->args[0];
	__u64 key = (__u64)sk;
	struct vtap_kpi_state *st = bpf_map_lookup_elem(&vtap_kpi_sockets, &key);
	__u32 srtt = 0;

	if (!st)
		return 0;
	vtap_core_read(&srtt, &((const struct VTAP_CORE(tcp_sock) *)sk)->srtt_us);
	if ((srtt >> 3) > st->rtt_max_us)
		st->rtt_max_us = srtt >> 3;
	__u64 now = bpf_ktime_get_ns();
	if (st->established_ns && now - st->last_export_ns >= VTAP_KPI_EXPORT_NS) {
		st->last_export_ns = now;
		vtap_kpi_write(sk, st, VTAP_KPI_OPEN, VTAP_TCP_ESTABLISHED);
	}
	return 0;
}

/* tcp_receive_reset(struct sock *sk) */
SEC("raw_tracepoint/tcp_receive_reset")
int vtap_kpi_reset_received(struct vtap_raw_args *ctx)
{
	__u64 key = ctx->args[0];
	struct vtap_kpi_state *st = bpf_map_lookup_elem(&vtap_kpi_sockets, &key);
	if (st)
		st->resets_received += 1;
	return 0;
}

/* tcp_send_reset(const struct sock *sk, const struct sk_buff *skb, ...) */
SEC("raw_tracepoint/tcp_send_reset")
int vtap_kpi_reset_sent(struct vtap_raw_args *ctx)
{
	__u64 key = ctx->args[0];
	struct vtap_kpi_state *st = key ? bpf_map_lookup_elem(&vtap_kpi_sockets, &key) : 0;
	if (st)
		st->resets_sent += 1;
	return 0;
}
