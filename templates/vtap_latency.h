/* SPDX-License-Identifier: (GPL-2.0-only OR MIT) */
/*
 * LATENCY: how long a packet the rules select spends between two points of
 * the stack, as a log2 histogram per rule and stage (docs/events.md,
 * "In-stack latency"). A packet is followed by its skb's address, marked
 * with the time at the first point and looked up at the next:
 *
 *   device_to_transport  netif_receive_skb -> tcp_probe (TCP segments on
 *                        established connections: tcp_rcv_established)
 *   transport_to_copy    tcp_probe -> skb_copy_datagram_iovec (its first
 *                        copy to the application)
 *   queue_to_transmit    net_dev_queue -> net_dev_xmit (handed to the driver)
 *
 * skb addresses are reused as soon as an skb is freed, and TCP frees most
 * of its skbs without a tracepoint (__kfree_skb): a mark is therefore
 * removed when its packet reaches its last point, when a freeing
 * tracepoint names its skb, when a packet no rule selects arrives at the
 * same address, and ignored when older than VTAP_LATENCY_STALE_NS.
 * Merged packets (GRO) are followed as the skb that carries them.
 *
 * A marked packet the kernel drops (kfree_skb, which names the drop
 * reason) is counted in vtap_latency_drops by rule, the stage it was in
 * and the kernel's reason (enum skb_drop_reason, named in user space from
 * the kernel's BTF). Packets freed normally (consume_skb) only lose their
 * mark: TCP frees most of its skbs without a tracepoint, so a free stage
 * would time only the few that have one.
 */
enum vtap_latency_stage {
	VTAP_LATENCY_DEVICE_TO_TRANSPORT = 0,
	VTAP_LATENCY_TRANSPORT_TO_COPY = 1,
	VTAP_LATENCY_QUEUE_TO_TRANSMIT = 2,
	VTAP_LATENCY_STAGE_COUNT = 3,
};
/* Bucket b counts gaps of [2^b, 2^(b+1)) ns; 0 ns lands in bucket 0. */
#define VTAP_LATENCY_BUCKETS 64
#define VTAP_LATENCY_STALE_NS 1000000000ull

struct vtap_latency_mark {
	__u64 time_ns;
	__u32 rule;
	__u32 stage; /* the stage the next point ends */
};

struct {
	__uint(type, VTAP_MAP_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, __u64);
	__type(value, struct vtap_latency_mark);
} vtap_latency_marks SEC(".maps");

/* One histogram per rule and stage that has a sample. A hash without
 * preallocation, not an array of every rule's: an array of 100,000 rules'
 * histograms is 150 MB of kernel memory, and every scrape would copy it
 * all (15 MB and tens of ms at 10,000 rules). Room for every series, so
 * a sample is never turned away. */
struct vtap_latency_key {
	__u32 rule;
	__u32 stage;
};

struct vtap_latency_histogram {
	__u64 buckets[VTAP_LATENCY_BUCKETS];
};

struct {
	__uint(type, VTAP_MAP_HASH);
	__uint(map_flags, VTAP_MAP_NO_PREALLOC);
	__uint(max_entries, VTAP_RULE_COUNT * VTAP_LATENCY_STAGE_COUNT);
	__type(key, struct vtap_latency_key);
	__type(value, struct vtap_latency_histogram);
} vtap_latency SEC(".maps");

/* A zeroed histogram to insert from (the BPF stack is 512 bytes). */
struct {
	__uint(type, VTAP_MAP_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct vtap_latency_histogram);
} vtap_latency_zero SEC(".maps");

/* The packets of a rule dropped at a stage for a reason. */
struct vtap_latency_drop_key {
	__u32 rule;
	__u32 stage;
	__u32 reason;
};

struct {
	__uint(type, VTAP_MAP_HASH);
	__uint(max_entries, 4096);
	__type(key, struct vtap_latency_drop_key);
	__type(value, __u64);
} vtap_latency_drops SEC(".maps");

static __always_inline __u32 vtap_log2(__u64 v)
{
	__u32 r = 0, shift;
	shift = (v > 0xffffffffull) << 5; v >>= shift; r |= shift;
	shift = (v > 0xffff) << 4; v >>= shift; r |= shift;
	shift = (v > 0xff) << 3; v >>= shift; r |= shift;
	shift = (v > 0xf) << 2; v >>= shift; r |= shift;
	shift = (v > 0x3) << 1; v >>= shift; r |= shift;
	r |= (__u32)(v >> 1);
	return r;
}

static __always_inline void vtap_latency_mark(__u64 skb, __u32 rule, __u32 stage, __u64 now)
{
	struct vtap_latency_mark mark = {.time_ns = now, .rule = rule, .stage = stage};
	bpf_map_update_elem(&vtap_latency_marks, &skb, &mark, VTAP_BPF_ANY);
}

/* Ends `stage` for the packet marked at `skb`, if it is there and fresh;
 * then marks the next stage (`next` < VTAP_LATENCY_STAGE_COUNT) or forgets it. */
static __always_inline void vtap_latency_reach(__u64 skb, __u32 stage, __u32 next)
{
	struct vtap_latency_mark *mark = bpf_map_lookup_elem(&vtap_latency_marks, &skb);
	if (!mark || mark->stage != stage)
		return;
	__u64 now = bpf_ktime_get_ns();
	__u64 gap = now - mark->time_ns;
	__u32 rule = mark->rule;
	if (gap < VTAP_LATENCY_STALE_NS && rule < VTAP_RULE_COUNT) {
		__u32 bucket = vtap_log2(gap) & (VTAP_LATENCY_BUCKETS - 1);
		struct vtap_latency_key key = {.rule = rule, .stage = stage};
		struct vtap_latency_histogram *histogram = bpf_map_lookup_elem(&vtap_latency, &key);
		if (!histogram) {
			__u32 zero = 0;
			struct vtap_latency_histogram *empty = bpf_map_lookup_elem(&vtap_latency_zero, &zero);
			/* NOEXIST: another CPU may have inserted it since the lookup. */
			if (empty)
				bpf_map_update_elem(&vtap_latency, &key, empty, VTAP_BPF_NOEXIST);
			histogram = bpf_map_lookup_elem(&vtap_latency, &key);
		}
		if (histogram)
			__sync_fetch_and_add(&histogram->buckets[bucket], 1);
	}
	if (next < VTAP_LATENCY_STAGE_COUNT) {
		mark->time_ns = now;
		mark->stage = next;
	} else {
		bpf_map_delete_elem(&vtap_latency_marks, &skb);
	}
}

/* The rule a TCP packet at `ip` matches (received: `incoming`), or -1. */
static __always_inline int vtap_latency_rule(const unsigned char *ip, int incoming)
{
	struct vtap_event e = {};
	if (vtap_event_packet(&e, ip, incoming) || e.protocol != 6)
		return -1;
	return vtap_event_rule(&e, !incoming);
}

SEC("raw_tracepoint/netif_receive_skb")
int vtap_latency_device(struct vtap_raw_args *ctx)
{
	const struct VTAP_CORE(sk_buff) *skb = (const void *)ctx->args[0];
	unsigned char *data = 0;
	__u64 key = (__u64)skb;
	if (!skb)
		return 0;
	vtap_core_read(&data, &skb->data);
	int rule = vtap_latency_rule(data, 1);
	if (rule < 0)
		bpf_map_delete_elem(&vtap_latency_marks, &key);
	else
		vtap_latency_mark(key, (__u32)rule, VTAP_LATENCY_DEVICE_TO_TRANSPORT, bpf_ktime_get_ns());
	return 0;
}

/* tcp_probe(const struct sock *sk, const struct sk_buff *skb) */
SEC("raw_tracepoint/tcp_probe")
int vtap_latency_transport(struct vtap_raw_args *ctx)
{
	vtap_latency_reach(ctx->args[1], VTAP_LATENCY_DEVICE_TO_TRANSPORT, VTAP_LATENCY_TRANSPORT_TO_COPY);
	return 0;
}

/* skb_copy_datagram_iovec(const struct sk_buff *skb, int len) */
SEC("raw_tracepoint/skb_copy_datagram_iovec")
int vtap_latency_copy(struct vtap_raw_args *ctx)
{
	vtap_latency_reach(ctx->args[0], VTAP_LATENCY_TRANSPORT_TO_COPY, VTAP_LATENCY_STAGE_COUNT);
	return 0;
}

/* consume_skb(struct sk_buff *skb, void *location) */
SEC("raw_tracepoint/consume_skb")
int vtap_latency_consumed(struct vtap_raw_args *ctx)
{
	__u64 key = ctx->args[0];
	bpf_map_delete_elem(&vtap_latency_marks, &key);
	return 0;
}

/* kfree_skb(struct sk_buff *skb, void *location, enum skb_drop_reason reason, ...) */
SEC("raw_tracepoint/kfree_skb")
int vtap_latency_dropped(struct vtap_raw_args *ctx)
{
	__u64 key = ctx->args[0];
	struct vtap_latency_mark *mark = bpf_map_lookup_elem(&vtap_latency_marks, &key);
	if (!mark)
		return 0;
	if (bpf_ktime_get_ns() - mark->time_ns < VTAP_LATENCY_STALE_NS) {
		struct vtap_latency_drop_key drop = {
			.rule = mark->rule, .stage = mark->stage, .reason = (__u32)ctx->args[2]};
		__u64 *count = bpf_map_lookup_elem(&vtap_latency_drops, &drop);
		if (count) {
			__sync_fetch_and_add(count, 1);
		} else {
			__u64 one = 1;
			/* Another CPU may have added the key since the lookup. */
			if (bpf_map_update_elem(&vtap_latency_drops, &drop, &one, VTAP_BPF_NOEXIST)) {
				count = bpf_map_lookup_elem(&vtap_latency_drops, &drop);
				if (count)
					__sync_fetch_and_add(count, 1);
			}
		}
	}
	bpf_map_delete_elem(&vtap_latency_marks, &key);
	return 0;
}

/* net_dev_queue(struct sk_buff *skb) */
SEC("raw_tracepoint/net_dev_queue")
int vtap_latency_queue(struct vtap_raw_args *ctx)
{
	const struct VTAP_CORE(sk_buff) *skb = (const void *)ctx->args[0];
	unsigned char *head = 0;
	__u16 network = 0;
	if (!skb)
		return 0;
	vtap_core_read(&head, &skb->head);
	vtap_core_read(&network, &skb->network_header);
	int rule = head ? vtap_latency_rule(head + network, 0) : -1;
	if (rule >= 0)
		vtap_latency_mark((__u64)skb, (__u32)rule, VTAP_LATENCY_QUEUE_TO_TRANSMIT, bpf_ktime_get_ns());
	return 0;
}

/* net_dev_xmit(struct sk_buff *skb, int rc, struct net_device *dev, unsigned int len) */
SEC("raw_tracepoint/net_dev_xmit")
int vtap_latency_transmit(struct vtap_raw_args *ctx)
{
	vtap_latency_reach(ctx->args[0], VTAP_LATENCY_QUEUE_TO_TRANSMIT, VTAP_LATENCY_STAGE_COUNT);
	return 0;
}
