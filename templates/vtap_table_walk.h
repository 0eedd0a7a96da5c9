/* SPDX-License-Identifier: (GPL-2.0-only OR MIT) */
#ifndef VTAP_TABLE_WALK_H
#define VTAP_TABLE_WALK_H
/*
 * The table strategy: the classifier's decision plans as constant nodes in
 * read-only arrays (layout in Sources/Codegen/DecisionTable.swift), one
 * plan per partition. A packet walks each partition of its family and
 * keeps the lowest rule found. Included by vtap_match.bpf.c after the
 * generated declarations; the tables themselves stay headers of their own.
 */
#include "vtap_table.h"
#include "vtap_table_index.h"

#define VTAP_LINK_LEAF 0x80000000u
#define VTAP_NODE_WIDE 0x8u
#define VTAP_NO_RULE 0xffffffffu
/*
 * A table in one array is walked with the visit inline, several per
 * bpf_loop step, so the loop's own cost is paid once for them. With more
 * arrays, each is a pointer type of its own, and the verifier would follow
 * every combination of them through the visits of a step: the visit is a
 * global function then, checked once on its own, at the cost of a call.
 */
#if VTAP_TABLE_CHUNKS == 1
#define VTAP_WALK_UNROLL 4
#else
#define VTAP_WALK_UNROLL 2
#endif

/* 1 when value >= bound, without a branch: the verifier then follows one
 * path through a node's search, not one per outcome of each comparison.
 * Both are below 2^32, so the difference is negative exactly when value is
 * the smaller; the barrier keeps the compiler from turning it back into a
 * comparison (BPF has no set-on-compare, so that would be a branch). */
static __always_inline __u64 vtap_at_least(__u64 value, __u64 bound)
{
	__u64 diff = value - bound;
	vtap_barrier(diff);
	return (diff >> 63) ^ 1;
}

/* The same for 64-bit values given as 32-bit halves. */
static __always_inline __u64 vtap_at_least_wide(__u64 value, __u64 bound_lo, __u64 bound_hi)
{
	__u64 low = (value & 0xffffffffULL) - bound_lo;
	vtap_barrier(low);
	__u64 high = (value >> 32) - bound_hi - (low >> 63);
	vtap_barrier(high);
	return (high >> 63) ^ 1;
}

/* 1 when every range of a check node holds the key's field. */
static __always_inline __u32 vtap_check(const __u64 *values, const __u32 *node, __u32 count)
{
	__u64 pass = 1;
#pragma unroll
	for (int entry = 0; entry < VTAP_FIELD_COUNT; entry++) {
		if (entry >= count)
			break;
		const __u32 *range = node + 1 + 5 * entry;
		__u32 field = range[0];
		if (field >= VTAP_FIELD_COUNT)
			return 0;
		__u64 value = values[field];
		pass &= vtap_at_least_wide(value, range[1], range[2]);
		pass &= vtap_at_least_wide(((__u64)range[4] << 32) | range[3], value & 0xffffffffULL, value >> 32);
	}
	return pass;
}

/*
 * One node: a descent through its search tree of bounds (breadth-first,
 * slot i's children at 2i and 2i + 1) that ends at 2^levels plus the
 * number of bounds at or below the key's field, which is where that
 * piece's link is (after the wide slots' second words in a wide node).
 * Padding slots hold the largest value, their links repeat the last piece's.
 */
static __always_inline __u32 vtap_visit_node(const __u64 *values, const __u32 *node, __u32 field)
{
	__u32 header = node[0];
	__u32 levels = (header >> 4) & 0xf;
	/* Else the compiler tests the link, whose bounds the verifier does not
	 * carry over to the field taken from it. */
	vtap_barrier(field);
	if (field >= VTAP_FIELD_COUNT) {
		__u32 count = (header >> 8) & 7;
		return node[1 + 5 * count + (vtap_check(values, node, count) ^ 1)];
	}
	__u64 value = values[field];
	__u64 index = 1;
	if (header & VTAP_NODE_WIDE) {
		__u64 top = 1;
#pragma unroll
		for (int level = 0; level < VTAP_TABLE_STEPS; level++) {
			if (level >= levels)
				break;
			index &= 0xff;
			index = 2 * index + vtap_at_least_wide(value, node[2 * index - 1], node[2 * index]);
			top <<= 1;
		}
		return node[(index & 0x1ff) + ((top - 1) & 0xff)];
	}
	/* Unrolled, and counting the other way: k gathers one bit a level, 1
	 * where the value is below the slot's bound, so that slot i of level l
	 * is 2^(l + 1) - 1 - k, a constant less k, and the slot's children are
	 * 2i (below) and 2i + 1. Two levels a step: a slot's bound and both
	 * of its children's are read at once and the child's picked by
	 * arithmetic, so that a step waits for one load, not two. Measured on
	 * fw1_10000's twelve-visit headers (BPF_PROG_TEST_RUN, beside the
	 * 1-rule program): 236 ns of walk with a loop of one level a step,
	 * 209 unrolled, 172 unrolled two at a time, 210 two at a time in a
	 * loop. */
	_Static_assert(VTAP_TABLE_STEPS == 8, "the descent below is written out for eight levels");
	__u64 k = 0;
#define VTAP_DESCEND_TWO(level)                                                                        \
	if (levels > level + 1) {                                                                      \
		__u64 slot = (2u << level) - 1 - k;                                                    \
		__u64 below = value - node[slot];                                                      \
		__u64 left = node[2 * slot];                                                           \
		__u64 right = node[2 * slot + 1];                                                      \
		vtap_barrier(below);                                                                   \
		below >>= 63;                                                                          \
		__u64 child = right ^ ((right ^ left) & (0 - below));                                  \
		__u64 below_child = value - child;                                                     \
		vtap_barrier(below_child);                                                             \
		k = 4 * k + 2 * below + (below_child >> 63);                                           \
	} else if (levels > level) {                                                                   \
		__u64 below = value - node[(2u << level) - 1 - k];                                     \
		vtap_barrier(below);                                                                   \
		k = 2 * k + (below >> 63);                                                             \
	}
	VTAP_DESCEND_TWO(0)
	if (levels > 2) {
		VTAP_DESCEND_TWO(2)
		if (levels > 4) {
			VTAP_DESCEND_TWO(4)
			if (levels > 6) {
				VTAP_DESCEND_TWO(6)
			}
		}
	}
#undef VTAP_DESCEND_TWO
	return node[((2u << levels) - 1 - k) & 0x1ff];
}

/* The link names the node's field (DecisionTable.swift): the key's value
 * is read while the node is, not after its header arrives. */
static __always_inline __u32 vtap_link_field(__u32 link)
{
	return (link >> VTAP_LINK_FIELD_SHIFT) & 7;
}

#if VTAP_TABLE_CHUNKS == 1
static __always_inline __u32 vtap_visit(const __u64 *values, __u32 link)
{
	const __u32 *node = vtap_table_node(link);
	return node ? vtap_visit_node(values, node, vtap_link_field(link)) : VTAP_LINK_LEAF;
}
#else
__noinline __u32 vtap_visit(const struct vtap_match_key *key, __u32 link)
{
	const __u32 *node = vtap_table_node(link);
	if (!node || !key)
		return VTAP_LINK_LEAF;
	return vtap_visit_node((const __u64 *)key, node, vtap_link_field(link));
}
#endif

/* Where a walk is: the link being followed, the partition being walked
 * (its index in vtap_table_roots), one past the family's last, and the
 * lowest rule found so far. Kept in a map value rather than on the stack:
 * the verifier knows nothing of values read from a map, so the loop body's
 * states agree from one step to the next and it is checked once, not once
 * per partition. */
struct vtap_walk_state {
	__u32 at;
	__u32 root;
	__u32 end;
	__u32 best;
};

struct {
	__uint(type, VTAP_MAP_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct vtap_walk_state);
} vtap_walk SEC(".maps");

struct vtap_walk_context {
	const struct vtap_match_key *key; /* not null */
	struct vtap_walk_state *state;
};

/*
 * A bpf_loop step: the verifier checks this body once, whatever the table's
 * size and depth. Each of its visits that ends at a leaf ends a partition's
 * walk there and then; the next partition is skipped when it holds no rule
 * below the best so far.
 */
static long vtap_walk_step(__u32 index, void *data)
{
	struct vtap_walk_context *context = data;
	struct vtap_walk_state *walk = context->state;
	if (!walk)
		return 1;
	__u32 at = walk->at;
#pragma unroll
	for (int i = 0; i < VTAP_WALK_UNROLL; i++) {
		if (!(at & VTAP_LINK_LEAF))
#if VTAP_TABLE_CHUNKS == 1
			at = vtap_visit((const __u64 *)context->key, at);
#else
			at = vtap_visit(context->key, at);
#endif
		if (!(at & VTAP_LINK_LEAF))
			continue;
		__u32 found = (at & ~VTAP_LINK_LEAF) - 1;
		if (found < walk->best)
			walk->best = found;
		__u32 next = walk->root + 1;
		if (next >= walk->end || next >= VTAP_ROOT_COUNT)
			return 1;
		vtap_barrier(next);
		walk->root = next;
		at = vtap_table_lowest[next] < walk->best ? vtap_table_roots[next] : VTAP_LINK_LEAF;
	}
	walk->at = at;
	return 0;
}

static __always_inline int vtap_match_table(const struct vtap_match_key *key, __u32 first, __u32 count,
					    __u32 steps)
{
	__u32 zero = 0;
	if (!key || count == 0 || first >= VTAP_ROOT_COUNT)
		return -1;
	struct vtap_walk_context context = {
		.key = key,
		.state = bpf_map_lookup_elem(&vtap_walk, &zero),
	};
	if (!context.state)
		return -1;
	context.state->at = vtap_table_roots[first];
	context.state->root = first;
	context.state->end = first + count;
	context.state->best = VTAP_NO_RULE;
	bpf_loop(steps / VTAP_WALK_UNROLL + 1, vtap_walk_step, &context, 0);
	return (int)context.state->best;
}

__noinline int vtap_match_v4(const struct vtap_match_key *key)
{
	return vtap_match_table(key, VTAP_FIRST_PARTITION_V4, VTAP_PARTITIONS_V4, VTAP_WALK_STEPS_V4);
}

__noinline int vtap_match_v6(const struct vtap_match_key *key)
{
	return vtap_match_table(key, VTAP_FIRST_PARTITION_V6, VTAP_PARTITIONS_V6, VTAP_WALK_STEPS_V6);
}

#endif
