/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The forward map of a thin volume: volume chunk -> (member, physical
 * chunk), in RAM.
 *
 * A fixed four-level radix of 4 KiB nodes (512 slots each) covers 2^36
 * chunks: 4 PiB at the smallest chunk size.  A lookup is four dependent
 * loads, takes no lock and never sleeps: nodes are published with release
 * stores and never freed while the map is live, entries are single words
 * set with release stores and read with acquire loads.  Changes (set,
 * clear, reserve) are made by one writer at a time, serialised by the
 * caller; set and reserve may allocate a node and then fail with -ENOMEM
 * (a set whose nodes were reserved, and a clear, never do).
 */
#ifndef CAIRN_CORE_MAP_H
#define CAIRN_CORE_MAP_H

#include "compat.h"

#define CAIRN_MAP_SHIFT		9
#define CAIRN_MAP_FANOUT	BIT(CAIRN_MAP_SHIFT)
#define CAIRN_MAP_LEVELS	4
#define CAIRN_MAP_MAX_CHUNKS	(1ULL << (CAIRN_MAP_SHIFT * CAIRN_MAP_LEVELS))

/* An entry: 0 when unmapped. */
#define CAIRN_MAP_VALID		BIT_ULL(63)
#define CAIRN_MAP_MEMBER_SHIFT	56
#define CAIRN_MAP_PCHUNK_MASK	((1ULL << CAIRN_MAP_MEMBER_SHIFT) - 1)

static inline u64 cairn_map_entry(u32 member, u64 pchunk)
{
	return CAIRN_MAP_VALID | ((u64)member << CAIRN_MAP_MEMBER_SHIFT) | pchunk;
}

static inline u32 cairn_map_member(u64 entry)
{
	return (entry >> CAIRN_MAP_MEMBER_SHIFT) & 0x7f;
}

static inline u64 cairn_map_pchunk(u64 entry)
{
	return entry & CAIRN_MAP_PCHUNK_MASK;
}

struct cairn_map_node {
	void *slot[CAIRN_MAP_FANOUT];	/* child nodes, or u64 entries in leaves */
};

struct cairn_map {
	struct cairn_map_node *root;
	u64 nr_nodes;
};

/* The entry for @vchunk (< CAIRN_MAP_MAX_CHUNKS), or 0. Lock-free. */
u64 cairn_map_get(const struct cairn_map *map, u64 vchunk);

/* Set @vchunk's entry (0 clears it).  -ENOMEM when a node can't be had. */
int cairn_map_set(struct cairn_map *map, u64 vchunk, u64 entry);

/* Allocate the nodes for @vchunk, so that a later set can not fail. */
int cairn_map_reserve(struct cairn_map *map, u64 vchunk);

/*
 * The first mapped chunk at or after *@vchunk: 1 with *@vchunk and *@entry
 * set, or 0 when there is none.
 */
int cairn_map_next(const struct cairn_map *map, u64 *vchunk, u64 *entry);

/* Free every node: no lookup may run any more. */
void cairn_map_destroy(struct cairn_map *map);

#endif /* CAIRN_CORE_MAP_H */
