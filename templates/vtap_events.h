/* SPDX-License-Identifier: (GPL-2.0-only OR MIT) */
/*
 * Events: tracepoint programs that log what the kernel does for the sockets
 * the rules select, into one ring buffer (docs/events.md). Compiled in only
 * for a rules file with EVENTS, each level only when it is listed:
 * VTAP_EVENT_SOCKET, VTAP_EVENT_CONNECTION, VTAP_EVENT_PROTOCOL, VTAP_EVENT_IP.
 *
 * Every event names its socket, and the socket gives the 5-tuple that the
 * same decision code as the packet program matches: the local side is the
 * source of what the socket sends and the destination of what it receives.
 * Kernel structs are read through CO-RE (preserve_access_index and a
 * flavour suffix after "___"): libbpf relocates each field against the
 * running kernel's BTF at load, so no kernel header is needed here or on
 * the host.
 *
 * The suffix is ___vtap plus VTAP_CORE_FLAVOR, a number vtapc gives each
 * translation unit it compiles in one process. LLVM 14's BPF backend keeps
 * the globals it made for CO-RE accesses in a process-wide map keyed by the
 * type's name, so a second unit using the same names reused globals of a
 * freed module and crashed clang (seen in tests that compile many units);
 * names of its own per unit never meet a stale entry. vtapc compiles one
 * unit per run, so its objects always carry ___vtap1.
 */
#define VTAP_CORE_PASTE(name, flavor) name##___vtap##flavor
#define VTAP_CORE_NAME(name, flavor) VTAP_CORE_PASTE(name, flavor)
#define VTAP_CORE(name) VTAP_CORE_NAME(name, VTAP_CORE_FLAVOR)

/* The kernel's structs, only the fields read here. */
struct vtap_addr16 {
	__u8 bytes[16];
};

struct VTAP_CORE(sock_common) {
	__u32 skc_daddr;
	__u32 skc_rcv_saddr;
	__u16 skc_dport;
	__u16 skc_num;
	__u16 skc_family;
	unsigned char skc_state;
	struct vtap_addr16 skc_v6_daddr;
	struct vtap_addr16 skc_v6_rcv_saddr;
} __attribute__((preserve_access_index));

struct VTAP_CORE(sock) {
	struct VTAP_CORE(sock_common) __sk_common;
	__u16 sk_protocol;
	int sk_rcvbuf;
} __attribute__((preserve_access_index));

struct VTAP_CORE(net_device) {
	int ifindex;
} __attribute__((preserve_access_index));

struct VTAP_CORE(sk_buff) {
	struct VTAP_CORE(net_device) *dev;
	unsigned char *head;
	unsigned char *data;
	__u16 transport_header;
	__u16 network_header;
	__u16 protocol;
} __attribute__((preserve_access_index));

/* A raw tracepoint's context: the traced function's arguments, in order. */
struct vtap_raw_args {
	__u64 args[4];
};

#define VTAP_AF_INET 2
#define VTAP_AF_INET6 10
#define vtap_core_read(dst, src) bpf_probe_read_kernel(dst, sizeof(*(dst)), (const void *)__builtin_preserve_access_index(src))

/* Fills the socket's family, protocol, addresses and ports; 0 when the
 * socket is IPv4 or IPv6 (a v4-mapped IPv6 socket counts as IPv4). */
static __always_inline int vtap_event_socket(struct vtap_event *e, const struct VTAP_CORE(sock) *sk)
{
	__u16 family = 0, protocol = 0, local_port = 0, remote_port = 0;

	if (!sk)
		return -1;
	vtap_core_read(&family, &sk->__sk_common.skc_family);
	vtap_core_read(&protocol, &sk->sk_protocol);
	vtap_core_read(&local_port, &sk->__sk_common.skc_num);
	vtap_core_read(&remote_port, &sk->__sk_common.skc_dport);
	if (family == VTAP_AF_INET) {
		vtap_core_read((__u32 *)e->local_addr, &sk->__sk_common.skc_rcv_saddr);
		vtap_core_read((__u32 *)e->remote_addr, &sk->__sk_common.skc_daddr);
	} else if (family == VTAP_AF_INET6) {
		struct vtap_addr16 local, remote;
		vtap_core_read(&local, &sk->__sk_common.skc_v6_rcv_saddr);
		vtap_core_read(&remote, &sk->__sk_common.skc_v6_daddr);
		__builtin_memcpy(e->local_addr, local.bytes, 16);
		__builtin_memcpy(e->remote_addr, remote.bytes, 16);
	} else {
		return -1;
	}
	e->family = family;
	e->protocol = protocol;
	e->local_port = local_port;
	e->remote_port = vtap_ntohs(remote_port);
	return 0;
}

/* TCP, UDP, SCTP and UDP-Lite start with the two ports (as in vtap_parse_l4). */
static __always_inline int vtap_event_has_ports(__u16 protocol)
{
	return protocol == 6 || protocol == 17 || protocol == 132 || protocol == 136;
}

static __always_inline int vtap_event_v4_mapped(const __u8 *a)
{
	const __u32 *w = (const __u32 *)a;
	return w[0] == 0 && w[1] == 0 && w[2] == vtap_ntohl(0x0000ffffu);
}

static __always_inline void vtap_event_address(const struct vtap_event *e, const __u8 *a, int v4,
						__u64 *hi, __u64 *lo)
{
	const __u32 *w = (const __u32 *)a;
	if (v4) {
		*hi = 0;
		*lo = vtap_ntohl(e->family == VTAP_AF_INET ? w[0] : w[3]);
	} else {
		*hi = ((__u64)vtap_ntohl(w[0]) << 32) | vtap_ntohl(w[1]);
		*lo = ((__u64)vtap_ntohl(w[2]) << 32) | vtap_ntohl(w[3]);
	}
}

/* The first rule that the event's 5-tuple matches, seen from the local
 * side when `outgoing`, else from the remote side; -1 for none. */
static __always_inline int vtap_event_rule(const struct vtap_event *e, int outgoing)
{
	struct vtap_match_key key = {};
	int v4 = e->family == VTAP_AF_INET ||
		 (vtap_event_v4_mapped(e->local_addr) && vtap_event_v4_mapped(e->remote_addr));
	const __u8 *src = outgoing ? e->local_addr : e->remote_addr;
	const __u8 *dst = outgoing ? e->remote_addr : e->local_addr;
	int ports = vtap_event_has_ports(e->protocol);

	key.proto = e->protocol;
	vtap_event_address(e, src, v4, &key.src_hi, &key.src_lo);
	vtap_event_address(e, dst, v4, &key.dst_hi, &key.dst_lo);
	if (ports) {
		key.sport = outgoing ? e->local_port : e->remote_port;
		key.dport = outgoing ? e->remote_port : e->local_port;
	} else {
		key.sport = VTAP_NO_PORT;
		key.dport = VTAP_NO_PORT;
	}
	int rule = v4 ? vtap_match_v4(&key) : vtap_match_v6(&key);
	return rule >= 0 && rule < VTAP_RULE_COUNT ? rule : -1;
}

/* Matches `e` (socket fields filled) and, when a rule selects it, sends it
 * with the rest filled in. Directions: 1 outgoing, 0 incoming, -1 either
 * (outgoing first). A function of its own: one copy per program, and its
 * signature puts struct vtap_event in the object's BTF for the manifest. */
static __noinline void vtap_event_emit(struct vtap_event *e, int direction)
{
	int rule = vtap_event_rule(e, direction != 0);
	if (rule < 0 && direction < 0)
		rule = vtap_event_rule(e, 0);
	if (rule < 0)
		return;
	e->time_ns = bpf_ktime_get_ns();
	if (!vtap_event_allowed(e->time_ns))
		return;
	struct vtap_event *out = bpf_ringbuf_reserve(&vtap_events, sizeof(*out), 0);
	if (!out) {
		vtap_event_count(VTAP_EVENT_LOST);
		return;
	}
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	e->rule = rule;
	e->cpu = bpf_get_smp_processor_id();
	e->pid = pid_tgid >> 32;
	e->tid = (__u32)pid_tgid;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	__builtin_memcpy(out, e, sizeof(*out));
	bpf_ringbuf_submit(out, vtap_ring_wakeup());
	vtap_event_count(VTAP_EVENT_WRITTEN);
}

static __always_inline int vtap_event_from_socket(__u32 kind, const void *sk, int value, int detail, int direction)
{
	struct vtap_event e = {};
	if (vtap_event_socket(&e, (const struct VTAP_CORE(sock) *)sk))
		return 0;
	e.kind = kind;
	e.socket = (__u64)sk;
	e.value = value;
	e.detail = detail;
	vtap_event_emit(&e, direction);
	return 0;
}

/* Whether a socket is a TCP socket (an MPTCP socket is not; its subflows are). */
static __always_inline int vtap_event_is_tcp(const void *sk)
{
	__u16 protocol = 0;
	if (sk)
		vtap_core_read(&protocol, &((const struct VTAP_CORE(sock) *)sk)->sk_protocol);
	return protocol == 6;
}

/* The socket's TCP state, for the protocol events. */
static __always_inline int vtap_event_socket_state(const void *sk)
{
	unsigned char state = 0;
	if (sk)
		vtap_core_read(&state, &((const struct VTAP_CORE(sock) *)sk)->__sk_common.skc_state);
	return state;
}

/*
 * Raw tracepoints: attached by name (bpf_raw_tracepoint_open), so neither
 * tracefs nor its mount in the caller's namespace is needed, and the
 * arguments are the traced function's own.
 */
#ifdef VTAP_EVENT_SOCKET
/* sock_send_length(struct sock *sk, int ret, int flags) */
SEC("raw_tracepoint/sock_send_length")
int vtap_event_send(struct vtap_raw_args *ctx)
{
	return vtap_event_from_socket(VTAP_EVENT_SEND, (const void *)ctx->args[0], (int)ctx->args[1],
				      (int)ctx->args[2], 1);
}

/* sock_recv_length(struct sock *sk, int ret, int flags) */
SEC("raw_tracepoint/sock_recv_length")
int vtap_event_receive(struct vtap_raw_args *ctx)
{
	return vtap_event_from_socket(VTAP_EVENT_RECEIVE, (const void *)ctx->args[0], (int)ctx->args[1],
				      (int)ctx->args[2], 0);
}
#endif

#ifdef VTAP_EVENT_CONNECTION
/* inet_sock_set_state(const struct sock *sk, int oldstate, int newstate):
 * TCP sockets only (MPTCP's own socket changes state too; its subflows are
 * TCP sockets and logged). */
SEC("raw_tracepoint/inet_sock_set_state")
int vtap_event_state(struct vtap_raw_args *ctx)
{
	const void *sk = (const void *)ctx->args[0];
	if (!vtap_event_is_tcp(sk))
		return 0;
	return vtap_event_from_socket(VTAP_EVENT_STATE, sk, (int)ctx->args[2], (int)ctx->args[1], -1);
}
#endif

#ifdef VTAP_EVENT_PROTOCOL
/* tcp_retransmit_skb(const struct sock *sk, const struct sk_buff *skb, int err) */
SEC("raw_tracepoint/tcp_retransmit_skb")
int vtap_event_retransmit(struct vtap_raw_args *ctx)
{
	const void *sk = (const void *)ctx->args[0];
	return vtap_event_from_socket(VTAP_EVENT_RETRANSMIT, sk, (int)ctx->args[2], vtap_event_socket_state(sk), 1);
}

/* tcp_receive_reset(struct sock *sk) */
SEC("raw_tracepoint/tcp_receive_reset")
int vtap_event_reset_received(struct vtap_raw_args *ctx)
{
	const void *sk = (const void *)ctx->args[0];
	return vtap_event_from_socket(VTAP_EVENT_RESET_RECEIVED, sk, vtap_event_socket_state(sk), 0, 0);
}

/* Fills the 5-tuple of the segment a reset answers: its destination is
 * the local side. */
static __always_inline int vtap_event_reply_to(struct vtap_event *e, const struct VTAP_CORE(sk_buff) *skb)
{
	unsigned char *head = 0;
	__u16 network = 0, transport = 0;
	__u8 version = 0;
	__u16 ports[2] = {};

	vtap_core_read(&head, &skb->head);
	vtap_core_read(&network, &skb->network_header);
	vtap_core_read(&transport, &skb->transport_header);
	if (!head || bpf_probe_read_kernel(&version, 1, head + network))
		return -1;
	if (bpf_probe_read_kernel(ports, sizeof(ports), head + transport))
		return -1;
	if ((version >> 4) == 4) {
		e->family = VTAP_AF_INET;
		bpf_probe_read_kernel(e->remote_addr, 4, head + network + 12);
		bpf_probe_read_kernel(e->local_addr, 4, head + network + 16);
	} else if ((version >> 4) == 6) {
		e->family = VTAP_AF_INET6;
		bpf_probe_read_kernel(e->remote_addr, 16, head + network + 8);
		bpf_probe_read_kernel(e->local_addr, 16, head + network + 24);
	} else {
		return -1;
	}
	e->protocol = 6;
	e->remote_port = vtap_ntohs(ports[0]);
	e->local_port = vtap_ntohs(ports[1]);
	return 0;
}

/* tcp_send_reset(const struct sock *sk, const struct sk_buff *skb, enum
 * sk_rst_reason reason): a reset answering a segment (skb) may have no
 * socket at all; one a socket sends by itself has no segment. */
SEC("raw_tracepoint/tcp_send_reset")
int vtap_event_reset_sent(struct vtap_raw_args *ctx)
{
	const void *sk = (const void *)ctx->args[0];
	const struct VTAP_CORE(sk_buff) *skb = (const void *)ctx->args[1];
	struct vtap_event e = {};

	if (skb) {
		if (vtap_event_reply_to(&e, skb))
			return 0;
	} else if (vtap_event_socket(&e, (const struct VTAP_CORE(sock) *)sk)) {
		return 0;
	}
	e.kind = VTAP_EVENT_RESET_SENT;
	e.socket = (__u64)sk;
	e.value = vtap_event_socket_state(sk);
	e.detail = (int)ctx->args[2];
	vtap_event_emit(&e, 1);
	return 0;
}
#endif

#if defined(VTAP_EVENT_IP) || defined(VTAP_EVENT_PROTOCOL) || defined(VTAP_LATENCY)
#define VTAP_ETH_P_IP 0x0800
#define VTAP_ETH_P_IPV6 0x86DD

/* The 5-tuple and IP length of the packet whose IP header is at `ip`
 * (kernel memory); the source is the remote side of what is `incoming`.
 * An IPv6 packet's protocol is its first next header: behind extension
 * headers there are no ports to read, so it matches no port rule. */
static __always_inline int vtap_event_packet_at(struct vtap_event *e, const unsigned char *ip, int incoming,
						__u32 *l4_offset)
{
	__u8 first = 0;
	__u32 l4 = 0;
	int ports = 1;

	if (!ip || bpf_probe_read_kernel(&first, 1, ip))
		return -1;
	if ((first >> 4) == 4) {
		struct vtap_ipv4_header h;
		if (bpf_probe_read_kernel(&h, sizeof(h), ip))
			return -1;
		e->family = VTAP_AF_INET;
		e->protocol = h.protocol;
		e->value = vtap_ntohs(h.tot_len);
		__builtin_memcpy(incoming ? e->remote_addr : e->local_addr, &h.saddr, 4);
		__builtin_memcpy(incoming ? e->local_addr : e->remote_addr, &h.daddr, 4);
		l4 = (h.ver_ihl & 0x0f) * 4;
		ports = (vtap_ntohs(h.frag) & 0x1fff) == 0;
	} else if ((first >> 4) == 6) {
		struct vtap_ipv6_header h;
		if (bpf_probe_read_kernel(&h, sizeof(h), ip))
			return -1;
		e->family = VTAP_AF_INET6;
		e->protocol = h.next;
		e->value = 40 + vtap_ntohs(h.payload_len);
		__builtin_memcpy(incoming ? e->remote_addr : e->local_addr, h.saddr, 16);
		__builtin_memcpy(incoming ? e->local_addr : e->remote_addr, h.daddr, 16);
		l4 = 40;
	} else {
		return -1;
	}
	if (ports && vtap_event_has_ports(e->protocol)) {
		__u16 p[2] = {};
		if (bpf_probe_read_kernel(p, sizeof(p), ip + l4))
			return -1;
		e->remote_port = vtap_ntohs(incoming ? p[0] : p[1]);
		e->local_port = vtap_ntohs(incoming ? p[1] : p[0]);
	}
	*l4_offset = ports ? l4 : 0;
	return 0;
}

static __always_inline int vtap_event_packet(struct vtap_event *e, const unsigned char *ip, int incoming)
{
	__u32 l4 = 0;
	return vtap_event_packet_at(e, ip, incoming, &l4);
}

static __always_inline int vtap_event_device(const struct VTAP_CORE(sk_buff) *skb)
{
	struct VTAP_CORE(net_device) *dev = 0;
	int ifindex = 0;
	vtap_core_read(&dev, &skb->dev);
	if (dev)
		vtap_core_read(&ifindex, &dev->ifindex);
	return ifindex;
}

/* Whether the skb carries IPv4 or IPv6. */
static __always_inline int vtap_event_is_ip(const struct VTAP_CORE(sk_buff) *skb)
{
	__u16 protocol = 0;
	vtap_core_read(&protocol, &skb->protocol);
	return protocol == vtap_ntohs(VTAP_ETH_P_IP) || protocol == vtap_ntohs(VTAP_ETH_P_IPV6);
}

/* The IP header of a packet at the device: skb->data on receive (the link
 * header is off, network_header not yet set), the network header on send. */
static __always_inline const unsigned char *vtap_event_ip_header(const struct VTAP_CORE(sk_buff) *skb, int incoming)
{
	unsigned char *data = 0, *head = 0;
	__u16 network = 0;
	if (incoming) {
		vtap_core_read(&data, &skb->data);
		return data;
	}
	vtap_core_read(&head, &skb->head);
	vtap_core_read(&network, &skb->network_header);
	return head ? head + network : 0;
}
#endif

#ifdef VTAP_EVENT_PROTOCOL
/* A SYN-ACK seen at a device, waiting for the ACK that completes its
 * handshake at the same device: keyed as that ACK will be (its local and
 * remote ends, and its direction, the SYN-ACK's other one). */
struct vtap_handshake_key {
	__u8 local_addr[16];
	__u8 remote_addr[16];
	__u16 local_port;
	__u16 remote_port;
	__u32 incoming;
};

struct vtap_handshake_wait {
	__u32 sequence;		/* the ACK's: the SYN-ACK's acknowledgement number */
	__u32 acknowledgement;	/* the SYN-ACK's sequence number + 1 */
};

/* LRU: a handshake that never completes is forgotten under pressure. */
struct {
	__uint(type, VTAP_MAP_LRU_HASH);
	__uint(max_entries, 8192);
	__type(key, struct vtap_handshake_key);
	__type(value, struct vtap_handshake_wait);
} vtap_handshakes SEC(".maps");

/* TCP flag bits (byte 13 of the header). */
enum { VTAP_TCP_FIN = 0x01, VTAP_TCP_SYN = 0x02, VTAP_TCP_RST = 0x04, VTAP_TCP_ACK = 0x10 };

/* A TCP segment at a device: its kind (a handshake's own, or send and
 * receive); 0 when the header cannot be read. */
static __always_inline __u32 vtap_event_tcp(struct vtap_event *e, const unsigned char *tcp, int incoming)
{
	struct {
		__u32 sequence;
		__u32 acknowledgement;
		__u8 offset;
		__u8 flags;
	} h = {};
	struct vtap_handshake_key key = {};
	if (bpf_probe_read_kernel(&h, 10, tcp + 4))
		return 0;
	__u32 sequence = vtap_ntohl(h.sequence), acknowledgement = vtap_ntohl(h.acknowledgement);
	e->ip_length = (__u16)e->value;
	e->tcp_flags = h.flags;
	e->value = (__s32)sequence;
	e->detail = (__s32)acknowledgement;
	__builtin_memcpy(key.local_addr, e->local_addr, 16);
	__builtin_memcpy(key.remote_addr, e->remote_addr, 16);
	key.local_port = e->local_port;
	key.remote_port = e->remote_port;
	if ((h.flags & (VTAP_TCP_SYN | VTAP_TCP_ACK | VTAP_TCP_RST)) == VTAP_TCP_SYN)
		return incoming ? VTAP_EVENT_TCP_SYN_RECEIVE : VTAP_EVENT_TCP_SYN_SEND;
	if ((h.flags & (VTAP_TCP_SYN | VTAP_TCP_ACK | VTAP_TCP_RST)) == (VTAP_TCP_SYN | VTAP_TCP_ACK)) {
		/* Every SYN-ACK waits, selected or not: the ACK's event is
		 * matched when emitted, and matching here would cost each
		 * SYN-ACK a second walk of the rules. */
		struct vtap_handshake_wait wait = {.sequence = acknowledgement, .acknowledgement = sequence + 1};
		key.incoming = !incoming;
		bpf_map_update_elem(&vtap_handshakes, &key, &wait, VTAP_BPF_ANY);
		return incoming ? VTAP_EVENT_TCP_SYN_ACK_RECEIVE : VTAP_EVENT_TCP_SYN_ACK_SEND;
	}
	__u32 other = incoming ? VTAP_EVENT_TCP_RECEIVE : VTAP_EVENT_TCP_SEND;
	if ((h.flags & (VTAP_TCP_SYN | VTAP_TCP_ACK | VTAP_TCP_RST)) != VTAP_TCP_ACK)
		return other;
	key.incoming = incoming;
	struct vtap_handshake_wait *wait = bpf_map_lookup_elem(&vtap_handshakes, &key);
	if (!wait || wait->sequence != sequence || wait->acknowledgement != acknowledgement)
		return other;
	bpf_map_delete_elem(&vtap_handshakes, &key);
	return incoming ? VTAP_EVENT_TCP_ACK_RECEIVE : VTAP_EVENT_TCP_ACK_SEND;
}

/* UDP and ICMP at the device (their send and receive paths have no
 * tracepoints of their own): value is the IP length; detail the interface
 * for UDP, type << 8 | code for ICMP (the first fragment's). TCP's
 * segments too (vtap_event_tcp). */
static __always_inline int vtap_event_l4(const struct VTAP_CORE(sk_buff) *skb, int incoming)
{
	struct vtap_event e = {};
	__u32 l4 = 0;
	if (!skb || !vtap_event_is_ip(skb))
		return 0;
	const unsigned char *ip = vtap_event_ip_header(skb, incoming);
	if (vtap_event_packet_at(&e, ip, incoming, &l4))
		return 0;
	if (e.protocol == 17 || e.protocol == 136) {
		e.kind = incoming ? VTAP_EVENT_UDP_RECEIVE : VTAP_EVENT_UDP_SEND;
		e.detail = vtap_event_device(skb);
	} else if (e.protocol == 1 || e.protocol == 58) {
		__u8 icmp[2] = {};
		if (l4 == 0 || bpf_probe_read_kernel(icmp, sizeof(icmp), ip + l4))
			return 0;
		e.kind = incoming ? VTAP_EVENT_ICMP_RECEIVE : VTAP_EVENT_ICMP_SEND;
		e.detail = (icmp[0] << 8) | icmp[1];
	} else if (e.protocol == 6 && l4 != 0) {
		e.kind = vtap_event_tcp(&e, ip + l4, incoming);
		if (e.kind == 0)
			return 0;
	} else {
		return 0;
	}
	vtap_event_emit(&e, !incoming);
	return 0;
}

SEC("raw_tracepoint/netif_receive_skb")
int vtap_event_l4_receive(struct vtap_raw_args *ctx)
{
	return vtap_event_l4((const void *)ctx->args[0], 1);
}

/* Logged when the driver took it (rc 0), as the ip level. */
SEC("raw_tracepoint/net_dev_xmit")
int vtap_event_l4_transmit(struct vtap_raw_args *ctx)
{
	if ((int)ctx->args[1] != 0)
		return 0;
	return vtap_event_l4((const void *)ctx->args[0], 0);
}
#endif

#ifdef VTAP_EVENT_IP

static __always_inline int vtap_event_ip(__u32 kind, const struct VTAP_CORE(sk_buff) *skb, const unsigned char *ip,
					 int incoming)
{
	struct vtap_event e = {};
	__u16 protocol = 0;

	if (!skb)
		return 0;
	vtap_core_read(&protocol, &skb->protocol);
	if (protocol != vtap_ntohs(VTAP_ETH_P_IP) && protocol != vtap_ntohs(VTAP_ETH_P_IPV6))
		return 0;
	if (vtap_event_packet(&e, ip, incoming))
		return 0;
	e.kind = kind;
	e.detail = vtap_event_device(skb);
	vtap_event_emit(&e, !incoming);
	return 0;
}

/* netif_receive_skb(struct sk_buff *skb): the device has taken the link
 * header off, so skb->data is the IP header (network_header is set only
 * after this tracepoint). */
SEC("raw_tracepoint/netif_receive_skb")
int vtap_event_ip_receive(struct vtap_raw_args *ctx)
{
	const struct VTAP_CORE(sk_buff) *skb = (const void *)ctx->args[0];
	unsigned char *data = 0;
	if (skb)
		vtap_core_read(&data, &skb->data);
	return vtap_event_ip(VTAP_EVENT_IP_RECEIVE, skb, data, 1);
}

/* net_dev_xmit(struct sk_buff *skb, int rc, struct net_device *dev,
 * unsigned int len): handed to the driver; logged when it took it (rc 0). */
SEC("raw_tracepoint/net_dev_xmit")
int vtap_event_ip_transmit(struct vtap_raw_args *ctx)
{
	const struct VTAP_CORE(sk_buff) *skb = (const void *)ctx->args[0];
	unsigned char *head = 0;
	__u16 network = 0;
	if (!skb || (int)ctx->args[1] != 0)
		return 0;
	vtap_core_read(&head, &skb->head);
	vtap_core_read(&network, &skb->network_header);
	return vtap_event_ip(VTAP_EVENT_IP_TRANSMIT, skb, head ? head + network : 0, 0);
}
#endif

#ifdef VTAP_LATENCY
#include "vtap_latency.h"
#endif

#ifdef VTAP_KPIS
#include "vtap_kpi.h"
#endif
