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

/* MPTCP (net/mptcp/protocol.h): a subflow is a TCP socket whose ULP is
 * "mptcp"; its ULP data is the subflow's context, which names the MPTCP
 * connection's own socket (conn). */
struct VTAP_CORE(tcp_ulp_ops) {
	char name[16];
} __attribute__((preserve_access_index));

struct VTAP_CORE(inet_connection_sock) {
	const struct VTAP_CORE(tcp_ulp_ops) *icsk_ulp_ops;
	void *icsk_ulp_data;
} __attribute__((preserve_access_index));

struct VTAP_CORE(mptcp_subflow_context) {
	__u32 token;
	__u32 subflow_id;
	void *conn;
} __attribute__((preserve_access_index));

struct VTAP_CORE(mptcp_sock) {
	__u64 bytes_sent;
	__u64 bytes_acked;
	__u64 bytes_received;
	__u64 bytes_retrans;
	__u32 token;
	__u32 subflow_id;
} __attribute__((preserve_access_index));

/* Why a record was written (struct vtap_kpi's end). */
enum vtap_kpi_end {
	VTAP_KPI_OPEN = 0,		/* an interim record: still open */
	VTAP_KPI_FIN = 1,		/* closed without a reset */
	VTAP_KPI_RESET = 2,		/* a reset was sent or received */
	VTAP_KPI_NOT_ESTABLISHED = 3,	/* closed before the handshake completed */
};

/* What a record is of (struct vtap_kpi's scope). */
enum vtap_kpi_scope {
	VTAP_KPI_TCP = 0,	/* a TCP connection */
	VTAP_KPI_SUBFLOW = 1,	/* an MPTCP subflow: a TCP connection of its own */
	VTAP_KPI_MPTCP = 2,	/* an MPTCP connection, written when its last followed subflow closes */
};

/* What is kept per followed connection between its state changes; for
 * an MPTCP connection (keyed by its own socket), what its first followed
 * subflow started with, and how many followed subflows are still open. */
struct vtap_kpi_state {
	__u64 start_ns;
	__u64 established_ns;
	__u64 last_export_ns;
	__u64 mptcp;		/* a subflow's MPTCP connection socket, 0 for TCP */
	__u32 rule;
	__u32 handshake_rtt_us;
	__u32 mptcp_token;
	__u16 path_index;
	__u16 open_subflows;	/* an MPTCP connection's */
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
	/* MPTCP (0 for TCP): the connection's local token, a subflow's
	 * path index (the kernel's subflow_id), and for the connection its
	 * subflow count and the bytes it reinjected on another subflow. */
	__u64 reinjected;
	__u32 mptcp_token;
	__u16 path_index;
	__u16 subflows;
	__u16 scope;		/* enum vtap_kpi_scope */
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
	k->mptcp_token = st->mptcp_token;
	k->path_index = st->path_index;
	k->scope = st->mptcp ? VTAP_KPI_SUBFLOW : VTAP_KPI_TCP;
}

#ifdef VTAP_KPI_FOLLOW_MPTCP
/* An MPTCP connection's record, from its own socket (struct mptcp_sock)
 * and what its first followed subflow kept. */
static __noinline void vtap_kpi_fill_mptcp(struct vtap_kpi *k, const void *msk, struct vtap_kpi_state *st,
					   __u32 end)
{
	const struct VTAP_CORE(mptcp_sock) *m = msk;
	__u32 next_subflow = 0;

	k->time_ns = bpf_ktime_get_ns();
	k->socket = (__u64)msk;
	k->kind = VTAP_EVENT_KPI;
	k->rule = (__s32)st->rule;
	k->start_ns = st->start_ns;
	k->established_ns = st->established_ns;
	vtap_core_read(&k->bytes_sent, &m->bytes_sent);
	vtap_core_read(&k->bytes_acked, &m->bytes_acked);
	vtap_core_read(&k->bytes_received, &m->bytes_received);
	vtap_core_read(&k->reinjected, &m->bytes_retrans);
	vtap_core_read(&k->mptcp_token, &m->token);
	/* The kernel numbers subflows from 1 and keeps the next number. */
	vtap_core_read(&next_subflow, &m->subflow_id);
	k->subflows = next_subflow > 1 ? next_subflow - 1 : 0;
	k->end = end;
	k->state = vtap_event_socket_state(msk);
	k->family = st->family;
	k->local_port = st->local_port;
	k->remote_port = st->remote_port;
	__builtin_memcpy(k->local_addr, st->local_addr, 16);
	__builtin_memcpy(k->remote_addr, st->remote_addr, 16);
	k->scope = VTAP_KPI_MPTCP;
}

/* A subflow's context, or 0 when the socket is not an MPTCP subflow. */
static __always_inline const struct VTAP_CORE(mptcp_subflow_context) *vtap_kpi_subflow(const void *sk)
{
	const struct VTAP_CORE(inet_connection_sock) *icsk = sk;
	const struct VTAP_CORE(tcp_ulp_ops) *ops = 0;
	void *context = 0;
	char name[8] = {};

	vtap_core_read(&ops, &icsk->icsk_ulp_ops);
	if (!ops)
		return 0;
	bpf_probe_read_kernel(name, sizeof(name), (const void *)__builtin_preserve_access_index(&ops->name));
	if (name[0] != 'm' || name[1] != 'p' || name[2] != 't' || name[3] != 'c' || name[4] != 'p' || name[5])
		return 0;
	vtap_core_read(&context, &icsk->icsk_ulp_data);
	return context;
}

#endif

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

#ifdef VTAP_KPI_FOLLOW_MPTCP
/* Writes an MPTCP connection's record; `end` says why. */
static __always_inline void vtap_kpi_write_mptcp(const void *msk, struct vtap_kpi_state *st, __u32 end)
{
	struct vtap_kpi *k = bpf_ringbuf_reserve(&vtap_events, sizeof(*k), 0);
	if (!k) {
		vtap_event_count(VTAP_EVENT_LOST);
		return;
	}
	vtap_kpi_fill_mptcp(k, msk, st, end);
	bpf_ringbuf_submit(k, vtap_ring_wakeup());
	vtap_event_count(VTAP_EVENT_WRITTEN);
}

/* Once established, a subflow is tied to its MPTCP connection (the
 * context is there by then on both sides): the connection is followed
 * too, from what this first followed subflow kept, and counts it open. */
static __always_inline void vtap_kpi_join_mptcp(const void *sk, struct vtap_kpi_state *st)
{
	const struct VTAP_CORE(mptcp_subflow_context) *subflow = vtap_kpi_subflow(sk);
	void *msk = 0;

	if (!subflow || st->mptcp)
		return;
	vtap_core_read(&msk, &subflow->conn);
	if (!msk)
		return;
	st->mptcp = (__u64)msk;
	vtap_core_read(&st->mptcp_token, &subflow->token);
	__u32 path = 0;
	vtap_core_read(&path, &subflow->subflow_id);
	st->path_index = path;
	struct vtap_kpi_state *connection = bpf_map_lookup_elem(&vtap_kpi_sockets, &st->mptcp);
	if (connection) {
		connection->open_subflows += 1;
		return;
	}
	struct vtap_kpi_state fresh = *st;
	fresh.mptcp = 0;
	fresh.open_subflows = 1;
	bpf_map_update_elem(&vtap_kpi_sockets, &st->mptcp, &fresh, VTAP_BPF_ANY);
}

/* A followed subflow closed: its connection's record goes when the last
 * followed subflow has, with that subflow's end. */
static __always_inline void vtap_kpi_leave_mptcp(struct vtap_kpi_state *st, __u32 end)
{
	__u64 key = st->mptcp;
	struct vtap_kpi_state *connection = bpf_map_lookup_elem(&vtap_kpi_sockets, &key);

	if (!connection)
		return;
	if (connection->open_subflows > 1) {
		connection->open_subflows -= 1;
		return;
	}
	vtap_kpi_write_mptcp((const void *)key, connection, end);
	bpf_map_delete_elem(&vtap_kpi_sockets, &key);
}

/* A subflow's interim record went: its connection's goes too when its
 * own interval has passed (the connection gets no segments of its own). */
static __always_inline void vtap_kpi_mptcp_interim(__u64 key, __u64 now)
{
	struct vtap_kpi_state *connection = bpf_map_lookup_elem(&vtap_kpi_sockets, &key);

	if (!connection || now - connection->last_export_ns < VTAP_KPI_EXPORT_NS)
		return;
	connection->last_export_ns = now;
	vtap_kpi_write_mptcp((const void *)key, connection, VTAP_KPI_OPEN);
}

#endif

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
#ifdef VTAP_KPI_FOLLOW_MPTCP
		vtap_kpi_join_mptcp(sk, st);
#endif
	} else if (state == VTAP_TCP_CLOSE) {
		__u32 end = st->resets_sent || st->resets_received ? VTAP_KPI_RESET
			    : st->established_ns			 ? VTAP_KPI_FIN
								 : VTAP_KPI_NOT_ESTABLISHED;
#ifdef VTAP_KPI_FOLLOW_MPTCP
		if (st->mptcp) {
			/* A joining subflow may be numbered after its establishment. */
			const struct VTAP_CORE(mptcp_subflow_context) *subflow = vtap_kpi_subflow(sk);
			__u32 path = 0;
			if (subflow)
				vtap_core_read(&path, &subflow->subflow_id);
			if (path)
				st->path_index = path;
		}
#endif
		vtap_kpi_write(sk, st, end, (__u32)old);
#ifdef VTAP_KPI_FOLLOW_MPTCP
		if (st->mptcp)
			vtap_kpi_leave_mptcp(st, end);
#endif
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
#ifdef VTAP_KPI_FOLLOW_MPTCP
		if (st->mptcp)
			vtap_kpi_mptcp_interim(st->mptcp, now);
#endif
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
