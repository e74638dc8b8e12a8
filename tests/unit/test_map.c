// SPDX-License-Identifier: GPL-2.0
/*
 * The forward map (kmod/core/map.c).
 */
#include "core/map.h"
#include "unit.h"

int main(void)
{
	static const u64 keys[] = { 0, 1, 511, 512, 262143, 262144,
				    (1ULL << 27) + 5, CAIRN_MAP_MAX_CHUNKS - 1 };
	struct cairn_map map = { 0 };
	u64 v, e;
	unsigned int i;

	CHECK_EQ(cairn_map_get(&map, 7), 0);
	CHECK_EQ(cairn_map_set(&map, 7, 0), 0);
	CHECK_EQ(map.nr_nodes, 0);	/* clearing allocates nothing */

	for (i = 0; i < ARRAY_SIZE(keys); i++)
		CHECK_EQ(cairn_map_set(&map, keys[i], cairn_map_entry(i, keys[i] & 0xffff)), 0);
	for (i = 0; i < ARRAY_SIZE(keys); i++) {
		e = cairn_map_get(&map, keys[i]);
		CHECK_EQ(cairn_map_member(e), i);
		CHECK_EQ(cairn_map_pchunk(e), keys[i] & 0xffff);
	}
	CHECK_EQ(cairn_map_get(&map, 2), 0);
	CHECK_EQ(cairn_map_get(&map, 513), 0);

	/* Iteration visits exactly the mapped chunks, in order. */
	v = 0;
	for (i = 0; cairn_map_next(&map, &v, &e); i++, v++) {
		CHECK(i < ARRAY_SIZE(keys));
		CHECK_EQ(v, keys[i]);
	}
	CHECK_EQ(i, ARRAY_SIZE(keys));
	v = 513;
	CHECK_EQ(cairn_map_next(&map, &v, &e), 1);
	CHECK_EQ(v, 262143);

	/* Entry encoding keeps member 63 and the largest physical chunk. */
	e = cairn_map_entry(63, CAIRN_MAP_PCHUNK_MASK);
	CHECK_EQ(cairn_map_member(e), 63);
	CHECK_EQ(cairn_map_pchunk(e), CAIRN_MAP_PCHUNK_MASK);

	CHECK_EQ(cairn_map_set(&map, 511, 0), 0);
	CHECK_EQ(cairn_map_get(&map, 511), 0);
	v = 2;
	CHECK_EQ(cairn_map_next(&map, &v, &e), 1);
	CHECK_EQ(v, 512);
	cairn_map_destroy(&map);
	CHECK_EQ(cairn_map_get(&map, 512), 0);

	return unit_finish("map");
}
