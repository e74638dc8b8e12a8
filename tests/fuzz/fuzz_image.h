/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The small valid pool that fuzz_metadata mutates, shared with gen_seeds.
 */
#ifndef CAIRN_FUZZ_IMAGE_H
#define CAIRN_FUZZ_IMAGE_H

#include <stdlib.h>
#include <string.h>

#include "core/pool.h"
#include "../unit/simdev.h"

static struct simdev image;
static struct cairn_super sb;

static inline void build_image(void)
{
	u64 sizes[2] = { 64ULL << 8, 72ULL << 8 };
	struct cairn_pool_params p = { .name = "fz", .chunk_shift = 20,
				       .journal_blocks = 16 };
	struct cairn_pool *pool;
	struct cairn_volume *v, *w;
	u8 uuid[CAIRN_UUID_SIZE] = { 1 };
	const char *why;
	u64 pchunk, i;
	u32 member;

	memset(p.pool_uuid, 0x11, CAIRN_UUID_SIZE);
	memset(p.member_uuid[0], 0x21, CAIRN_UUID_SIZE);
	memset(p.member_uuid[1], 0x22, CAIRN_UUID_SIZE);
	sim_init(&image, 2, sizes);
	if (cairn_pool_create(&sim_io_ops, &image, 2, sizes, &p, &pool, &why))
		abort();
	cairn_volume_create(pool, "a", uuid, 64ULL << 20, &v);
	cairn_volume_create(pool, "b", uuid, 1ULL << 40, &w);
	for (i = 0; i < 20; i++)
		cairn_provision(pool, i & 1 ? v : w, i, &member, &pchunk);
	cairn_pool_close(pool);
	if (cairn_pool_open(&sim_io_ops, &image, 2, false, &pool, &why))
		abort();
	v = cairn_volume_find(pool, "a");
	w = cairn_volume_find(pool, "b");
	cairn_provision(pool, v, 40, &member, &pchunk);
	cairn_discard(pool, w, 2);
	cairn_volume_resize(pool, v, 128ULL << 20);
	cairn_commit(pool);
	sb = pool->sb;
	cairn_pool_free(pool);	/* the commit stays in the journal */
}

#endif /* CAIRN_FUZZ_IMAGE_H */
