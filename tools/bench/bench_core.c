// SPDX-License-Identifier: GPL-2.0
/*
 * bench_core - drive one kmod/core operation N times, for callgrind.
 *
 *   bench_core OP N
 *
 * OP: lookup (of a mapped chunk), provision, discard: tools/bench/core runs
 * each with N and with 0 under callgrind; the difference over N is the cost
 * of one operation, setup excluded.  commit (N provisions, then one commit)
 * is compared with nocommit (the provisions alone); open (N provisions,
 * close, open) with close (the same without the open).  "sizes" prints the
 * metadata and RAM a pool needs per TiB, from the format's own constants.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/pool.h"
#include "../../tests/unit/simdev.h"

#define SETUP_CHUNKS 4096

static volatile u64 sink;

static void sizes(void)
{
	unsigned int shift;

	printf("chunk,metadata_bytes_per_tib,ram_bytes_per_tib\n");
	for (shift = CAIRN_MIN_CHUNK_SHIFT; shift <= CAIRN_MAX_CHUNK_SHIFT; shift += 2) {
		u64 chunks = 1ULL << (40 - shift);
		u64 meta = CAIRN_RMAP_BLOCKS(chunks) * CAIRN_BLOCK_SIZE;
		/* Reverse map copy, forward map entry, two bitmaps, map nodes. */
		u64 ram = chunks * (sizeof(struct cairn_rmap) + 8) + chunks / 4 +
			  chunks / CAIRN_MAP_FANOUT * sizeof(struct cairn_map_node) / 8;

		printf("%llu,%llu,%llu\n", 1ULL << shift, (unsigned long long)meta,
		       (unsigned long long)ram);
	}
	printf("fixed_metadata_bytes,%llu\n",
	       (unsigned long long)((CAIRN_SUPER_SLOTS + CAIRN_VOLUME_BLOCKS +
				     CAIRN_JOURNAL_DEFAULT_BLOCKS) * CAIRN_BLOCK_SIZE));
}

int main(int argc, char **argv)
{
	u64 devsz[2] = { 1ULL << 18, 1ULL << 18 };	/* 1 GiB each */
	struct cairn_pool_params p = { .name = "bench", .chunk_shift = 16 };
	struct cairn_pool *pool;
	struct cairn_volume *v;
	u8 uuid[CAIRN_UUID_SIZE] = { 1 };
	struct simdev s;
	const char *why, *op;
	u64 n, i, pchunk;
	u32 member;

	if (argc == 2 && !strcmp(argv[1], "sizes")) {
		sizes();
		return 0;
	}
	if (argc != 3) {
		fprintf(stderr, "usage: bench_core lookup|provision|discard|commit|nocommit|open|close N | sizes\n");
		return 2;
	}
	op = argv[1];
	n = strtoull(argv[2], NULL, 0);
	memset(p.pool_uuid, 1, CAIRN_UUID_SIZE);
	memset(p.member_uuid[0], 2, CAIRN_UUID_SIZE);
	memset(p.member_uuid[1], 3, CAIRN_UUID_SIZE);
	sim_init(&s, 2, devsz);
	if (cairn_pool_create(&sim_io_ops, &s, 2, devsz, &p, &pool, &why) ||
	    cairn_volume_create(pool, "v", uuid, 1ULL << 40, &v))
		return 1;
	/* Setup common to every run: SETUP_CHUNKS mapped, committed. */
	for (i = 0; i < SETUP_CHUNKS; i++)
		cairn_provision(pool, v, i * 7, &member, &pchunk);
	cairn_commit(pool);

	if (!strcmp(op, "lookup")) {
		for (i = 0; i < n; i++) {
			cairn_lookup(v, (i % SETUP_CHUNKS) * 7, &member, &pchunk);
			sink += pchunk;
		}
	} else if (!strcmp(op, "provision")) {
		for (i = 0; i < n; i++)
			cairn_provision(pool, v, 1000000 + i, &member, &pchunk);
	} else if (!strcmp(op, "discard")) {
		for (i = 0; i < n; i++)
			cairn_discard(pool, v, (i % SETUP_CHUNKS) * 7);
	} else if (!strcmp(op, "commit") || !strcmp(op, "nocommit")) {
		for (i = 0; i < n; i++)
			cairn_provision(pool, v, 1000000 + i, &member, &pchunk);
		if (!strcmp(op, "commit"))
			cairn_commit(pool);
		cairn_pool_free(pool);
		sim_destroy(&s);
		return 0;
	} else if (!strcmp(op, "open") || !strcmp(op, "close")) {
		for (i = 0; i < n; i++)
			cairn_provision(pool, v, 1000000 + i, &member, &pchunk);
		cairn_pool_close(pool);
		if (!strcmp(op, "close")) {
			sim_destroy(&s);
			return 0;
		}
		if (cairn_pool_open(&sim_io_ops, &s, 2, false, &pool, &why))
			return 1;
		cairn_pool_free(pool);
		sim_destroy(&s);
		return 0;
	} else {
		fprintf(stderr, "bench_core: unknown operation %s\n", op);
		return 2;
	}
	cairn_pool_close(pool);
	sim_destroy(&s);
	return 0;
}
