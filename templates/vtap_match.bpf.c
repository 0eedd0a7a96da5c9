// SPDX-License-Identifier: (GPL-2.0-only OR MIT)
/*
 * The ruleset's decision code: vtap_match_v4 and vtap_match_v6, each
 * returning the lowest rule a packet's key matches, with every bound of the
 * rules an immediate (the inline strategy) or a constant table node (the
 * table strategy). Compiled apart from vtap_filter.bpf.c and linked to it
 * by vtapc, so only this part is compiled for each ruleset.
 */
#include "vtap_bpf.h"
#include "vtap_match_key.h"

#include "vtap_decisions.h"

#ifdef VTAP_TABLE_NODES
#include "vtap_table_walk.h"
#endif
