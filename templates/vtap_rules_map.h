/* SPDX-License-Identifier: (GPL-2.0-only OR MIT) */
/*
 * The map-driven matcher, for vtap-bench only: the design vtap rejected,
 * kept to measure what inlining buys. The code is generic: rules live in
 * array maps that the loader fills after load, one entry per box of value
 * ranges (a rule with lists becomes several entries, in rule order), and
 * every packet scans its family's entries in order until the first whose
 * ranges all hold. Only the maps' capacities come from the ruleset.
 */
struct vtap_rule_entry {
	__u64 lower[VTAP_FIELD_COUNT];
	__u64 upper[VTAP_FIELD_COUNT];
	__u32 rule;
	__u32 reserved;
};

struct {
	__uint(type, VTAP_MAP_ARRAY);
	__uint(max_entries, VTAP_RULES_MAP_V4_CAPACITY);
	__type(key, __u32);
	__type(value, struct vtap_rule_entry);
} vtap_rules_v4 SEC(".maps");

struct {
	__uint(type, VTAP_MAP_ARRAY);
	__uint(max_entries, VTAP_RULES_MAP_V6_CAPACITY);
	__type(key, __u32);
	__type(value, struct vtap_rule_entry);
} vtap_rules_v6 SEC(".maps");

/* Entries in use: slot 0 for IPv4, 1 for IPv6. */
struct {
	__uint(type, VTAP_MAP_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u32);
} vtap_rules_count SEC(".maps");

struct vtap_rules_scan {
	__u64 key[VTAP_FIELD_COUNT];
	int found;
};

static __always_inline long vtap_rules_try(struct vtap_rules_scan *scan, const struct vtap_rule_entry *entry)
{
	if (!entry)
		return 1;
#pragma unroll
	for (int f = 0; f < VTAP_FIELD_COUNT; f++) {
		if (scan->key[f] < entry->lower[f] || scan->key[f] > entry->upper[f])
			return 0;
	}
	scan->found = entry->rule;
	return 1;
}

static long vtap_rules_step_v4(__u32 index, void *data)
{
	return vtap_rules_try(data, bpf_map_lookup_elem(&vtap_rules_v4, &index));
}

static long vtap_rules_step_v6(__u32 index, void *data)
{
	return vtap_rules_try(data, bpf_map_lookup_elem(&vtap_rules_v6, &index));
}

static __always_inline int vtap_rules_scan(const struct vtap_match_key *key, __u32 family_slot)
{
	struct vtap_rules_scan scan = { .found = -1 };
	__u32 *count = bpf_map_lookup_elem(&vtap_rules_count, &family_slot);
	if (!key || !count)
		return -1;
	__builtin_memcpy(scan.key, key, sizeof(scan.key));
	if (family_slot == 0)
		bpf_loop(*count, vtap_rules_step_v4, &scan, 0);
	else
		bpf_loop(*count, vtap_rules_step_v6, &scan, 0);
	return scan.found;
}

__noinline int vtap_match_v4(const struct vtap_match_key *key)
{
	return vtap_rules_scan(key, 0);
}

__noinline int vtap_match_v6(const struct vtap_match_key *key)
{
	return vtap_rules_scan(key, 1);
}
