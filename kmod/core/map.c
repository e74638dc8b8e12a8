// SPDX-License-Identifier: GPL-2.0
/*
 * The forward map of a thin volume (see map.h).
 */
#include "map.h"

static unsigned int cairn_map_index(u64 vchunk, unsigned int level)
{
	unsigned int shift = CAIRN_MAP_SHIFT * (CAIRN_MAP_LEVELS - 1 - level);

	return (vchunk >> shift) & (CAIRN_MAP_FANOUT - 1);
}

static u64 *cairn_map_leaf_slots(struct cairn_map_node *node)
{
	return (u64 *)node->slot;
}

u64 cairn_map_get(const struct cairn_map *map, u64 vchunk)
{
	struct cairn_map_node *node;
	unsigned int level;

	/* Pairs with the release in cairn_map_set(): a node is seen zeroed. */
	node = smp_load_acquire(&map->root);
	for (level = 0; node && level < CAIRN_MAP_LEVELS - 1; level++) {
		/* As above, for each level. */
		node = smp_load_acquire(&node->slot[cairn_map_index(vchunk, level)]);
	}
	if (!node)
		return 0;

	/* Pairs with the release in cairn_map_walk(): what it names is set up. */
	return smp_load_acquire(&cairn_map_leaf_slots(node)[cairn_map_index(vchunk, level)]);
}

static int cairn_map_walk(struct cairn_map *map, u64 vchunk, u64 entry,
			  bool store)
{
	struct cairn_map_node **slot = &map->root;
	struct cairn_map_node *node;
	unsigned int level;

	for (level = 0; level < CAIRN_MAP_LEVELS; level++) {
		node = *slot;
		if (!node) {
			if (store && !entry)
				return 0;	/* clearing what was never set */
			node = cairn_zalloc(sizeof(*node));
			if (!node)
				return -ENOMEM;
			map->nr_nodes++;
			/* Publish the zeroed node to lock-free readers. */
			smp_store_release(slot, node);
		}
		if (level == CAIRN_MAP_LEVELS - 1)
			break;
		slot = (struct cairn_map_node **)&node->slot[cairn_map_index(vchunk, level)];
	}
	if (store)
		/*
		 * Release: a lookup that finds the entry also sees everything
		 * done before it was set (a new member's description, the
		 * chunk's initialisation recorded by the caller).
		 */
		smp_store_release(&cairn_map_leaf_slots(node)[cairn_map_index(vchunk, level)],
				  entry);

	return 0;
}

int cairn_map_set(struct cairn_map *map, u64 vchunk, u64 entry)
{
	return cairn_map_walk(map, vchunk, entry, true);
}

int cairn_map_reserve(struct cairn_map *map, u64 vchunk)
{
	return cairn_map_walk(map, vchunk, 0, false);
}

static int cairn_map_next_in(struct cairn_map_node *node, unsigned int level,
			     u64 base, u64 *vchunk, u64 *entry)
{
	unsigned int shift = CAIRN_MAP_SHIFT * (CAIRN_MAP_LEVELS - 1 - level);
	unsigned int i = base <= *vchunk ? cairn_map_index(*vchunk, level) : 0;

	for (; i < CAIRN_MAP_FANOUT; i++) {
		u64 start = base + ((u64)i << shift);

		if (level == CAIRN_MAP_LEVELS - 1) {
			u64 e = cairn_map_leaf_slots(node)[i];

			if (e && start >= *vchunk) {
				*vchunk = start;
				*entry = e;
				return 1;
			}
			continue;
		}
		if (node->slot[i] &&
		    cairn_map_next_in(node->slot[i], level + 1, start,
				      vchunk, entry))
			return 1;
	}

	return 0;
}

int cairn_map_next(const struct cairn_map *map, u64 *vchunk, u64 *entry)
{
	if (!map->root || *vchunk >= CAIRN_MAP_MAX_CHUNKS)
		return 0;

	return cairn_map_next_in(map->root, 0, 0, vchunk, entry);
}

static void cairn_map_free(struct cairn_map_node *node, unsigned int level)
{
	unsigned int i;

	if (level < CAIRN_MAP_LEVELS - 1)
		for (i = 0; i < CAIRN_MAP_FANOUT; i++)
			if (node->slot[i])
				cairn_map_free(node->slot[i], level + 1);
	cairn_free(node);
}

void cairn_map_destroy(struct cairn_map *map)
{
	if (map->root)
		cairn_map_free(map->root, 0);
	map->root = NULL;
	map->nr_nodes = 0;
}
