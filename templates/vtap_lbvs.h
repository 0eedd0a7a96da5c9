/* SPDX-License-Identifier: (GPL-2.0-only OR MIT) */
/*
 * Linear Bit-Vector Search (Lakshman and Stiliadis 1998; bpf-iptables'
 * matcher, Miano et al. 2019), for vtap-bench only: the strongest eBPF
 * peer to compare vtap's classifier with. Generic code over maps the
 * loader fills after load. Each field's value space is cut into elementary
 * intervals at every rule boundary; each interval has a bit vector of the
 * rule boxes (entries, in rule order) whose field covers it. A packet
 * finds its interval in every field (a binary search), ANDs the seven
 * vectors word by word, and the first set bit is the first matching entry.
 * Memory grows with entries times intervals, the search with entries / 64.
 */
#define VTAP_LBVS_FIELDS VTAP_FIELD_COUNT

/* One field of one family: its interval bounds, ascending (interval k is
 * [bound[k-1], bound[k]), the first from 0), and where its intervals'
 * vectors start in the family's vector map. */
struct vtap_lbvs_field {
	__u64 count;
	__u64 base;
	__u64 bound[VTAP_LBVS_BOUNDS];
};

struct vtap_lbvs_vector {
	__u64 word[VTAP_LBVS_WORDS];
};

struct vtap_lbvs_rules {
	__u32 rule[VTAP_LBVS_WORDS * 64];
};

/* Key: family (0 IPv4, 1 IPv6) * VTAP_LBVS_FIELDS + field. */
struct {
	__uint(type, VTAP_MAP_ARRAY);
	__uint(max_entries, 2 * VTAP_LBVS_FIELDS);
	__type(key, __u32);
	__type(value, struct vtap_lbvs_field);
} vtap_lbvs_fields SEC(".maps");

struct {
	__uint(type, VTAP_MAP_ARRAY);
	__uint(max_entries, VTAP_LBVS_INTERVALS_V4);
	__type(key, __u32);
	__type(value, struct vtap_lbvs_vector);
} vtap_lbvs_vectors_v4 SEC(".maps");

struct {
	__uint(type, VTAP_MAP_ARRAY);
	__uint(max_entries, VTAP_LBVS_INTERVALS_V6);
	__type(key, __u32);
	__type(value, struct vtap_lbvs_vector);
} vtap_lbvs_vectors_v6 SEC(".maps");

/* Key: family; the rule of every entry. */
struct {
	__uint(type, VTAP_MAP_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, struct vtap_lbvs_rules);
} vtap_lbvs_rules SEC(".maps");

/* 1 when value >= bound, 64-bit, without a branch (see vtap_at_least_wide). */
static __always_inline __u64 vtap_lbvs_at_least(__u64 value, __u64 bound)
{
	__u64 low = (value & 0xffffffffULL) - (bound & 0xffffffffULL);
	vtap_barrier(low);
	__u64 high = (value >> 32) - (bound >> 32) - (low >> 63);
	vtap_barrier(high);
	return (high >> 63) ^ 1;
}

/* Where the vector of `value`'s interval is, for field `slot` (family *
 * fields + field): the field's base plus how many bounds are at or below
 * `value`. Global, so the verifier checks the search once on its own, and
 * the caller's state does not carry one path per way it can end. */
__noinline __u32 vtap_lbvs_interval(__u32 slot, __u64 value)
{
	const struct vtap_lbvs_field *field = bpf_map_lookup_elem(&vtap_lbvs_fields, &slot);
	if (!field)
		return 0;
	__u64 pos = 0;
	__u64 left = field->count;
	if (left > VTAP_LBVS_BOUNDS)
		return 0;
#pragma unroll
	for (int i = 0; i < 32; i++) {
		if (left <= 1)
			break;
		__u64 half = left >> 1;
		__u64 index = pos + half - 1;
		if (index >= VTAP_LBVS_BOUNDS)
			break;
		pos += half & -vtap_lbvs_at_least(value, field->bound[index]);
		left -= half;
	}
	if (left == 1 && pos < VTAP_LBVS_BOUNDS)
		pos += vtap_lbvs_at_least(value, field->bound[pos]);
	return field->base + pos;
}

struct vtap_lbvs_scan {
	const struct vtap_lbvs_vector *vector[VTAP_LBVS_FIELDS];
	__u64 word; /* the first non-zero word of the AND, and its bits */
	__u64 bits;
};

/* One word of the AND over the fields; the first non-zero word holds the
 * first matching entry, so the scan stops there. It only records the word:
 * computing the entry here would give the verifier a state per bit. */
static long vtap_lbvs_word(__u32 index, void *data)
{
	struct vtap_lbvs_scan *scan = data;
	if (index >= VTAP_LBVS_WORDS)
		return 1;
	__u64 x = ~0ULL;
#pragma unroll
	for (int f = 0; f < VTAP_LBVS_FIELDS; f++) {
		const struct vtap_lbvs_vector *vector = scan->vector[f];
		if (!vector)
			return 1;
		x &= vector->word[index];
	}
	if (!x)
		return 0;
	scan->word = index;
	scan->bits = x;
	return 1;
}

/* Position of the lowest set bit, without branches: the isolated bit times
 * a de Bruijn sequence has a distinct top six bits for each position. */
static const __u8 vtap_lbvs_debruijn[64] __attribute__((section(".rodata"))) = {
	0,  1,	48, 2,	57, 49, 28, 3,	61, 58, 50, 42, 38, 29, 17, 4,	62, 55, 59, 36, 53, 51,
	43, 22, 45, 39, 33, 30, 24, 18, 12, 5,	63, 47, 56, 27, 60, 41, 37, 16, 54, 35, 52, 21,
	44, 32, 23, 11, 46, 26, 40, 15, 34, 20, 31, 10, 25, 14, 19, 9,	13, 8,  7,  6,
};

static __always_inline __u32 vtap_lbvs_lowest_bit(__u64 x)
{
	return vtap_lbvs_debruijn[((x & -x) * 0x03f79d71b4cb0a89ULL) >> 58];
}

static __always_inline int vtap_lbvs_match(const struct vtap_match_key *key, __u32 family, void *vectors)
{
	struct vtap_lbvs_scan scan = { .bits = 0 };
	if (!key)
		return -1;
	const __u64 *values = (const __u64 *)key;
#pragma unroll
	for (int f = 0; f < VTAP_LBVS_FIELDS; f++) {
		__u32 at = vtap_lbvs_interval(family * VTAP_LBVS_FIELDS + f, values[f]);
		const struct vtap_lbvs_vector *vector = bpf_map_lookup_elem(vectors, &at);
		if (!vector)
			return -1;
		scan.vector[f] = vector;
	}
	bpf_loop(VTAP_LBVS_WORDS, vtap_lbvs_word, &scan, 0);
	if (!scan.bits || scan.word >= VTAP_LBVS_WORDS)
		return -1;
	__u32 entry = scan.word * 64 + vtap_lbvs_lowest_bit(scan.bits);
	const struct vtap_lbvs_rules *rules = bpf_map_lookup_elem(&vtap_lbvs_rules, &family);
	if (!rules || entry >= VTAP_LBVS_WORDS * 64)
		return -1;
	return rules->rule[entry];
}

__noinline int vtap_match_v4(const struct vtap_match_key *key)
{
	return vtap_lbvs_match(key, 0, &vtap_lbvs_vectors_v4);
}

__noinline int vtap_match_v6(const struct vtap_match_key *key)
{
	return vtap_lbvs_match(key, 1, &vtap_lbvs_vectors_v6);
}
