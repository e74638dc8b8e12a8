// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cairn-check - verify a Cairn pool's metadata, read-only (like thin_check).
 *
 *   cairn-check [-q] DEVICE...
 *
 * DEVICE: every member of the pool (block devices or image files), in any
 * order.  Reads the superblocks, volume table, reverse maps and journal,
 * replays the journal in RAM and checks every invariant: checksums and
 * locations of all blocks, no chunk mapped twice, no chunk both free and
 * mapped, counts.  Writes nothing.  Prints a summary; exit status 0 when
 * clean, 1 with the reason when not, 2 on bad usage or unreadable devices.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "core/pool.h"
#include "fileio.h"
#include "libcairn.h"

/* A mirrored volume's persistent state (the pool's mirror area). */
static void mirror_summary(const struct cairn_pool *pool,
			   const struct cairn_volume *v)
{
	static const char *const disks[] = { "inconsistent", "outdated",
					     "consistent" };
	const struct cairn_mirror_meta *m;
	unsigned int i, dirty = 0;
	int slot = cairn_mmeta_find(pool, v);
	char a[32];

	if (slot < 0)
		return;
	m = cairn_mmeta_get(pool, slot);
	for (i = 0; i < m->nr_regions; i++)
		dirty += !!(m->bits[i / 8] & (1U << (i % 8)));
	cairn_human_size(1ULL << m->region_shift, a, sizeof(a));
	printf("    mirror slot %d: %s, data %s, generation %016llx, %u/%u regions of %s dirty\n",
	       slot, m->role == 1 ? "primary" : "secondary", disks[m->disk],
	       (unsigned long long)m->gen_current, dirty, m->nr_regions, a);
}

static void summary(struct cairn_pool *pool, struct cairn_fileio *io)
{
	u64 chunk = 1ULL << pool->sb.chunk_shift;
	char uuid[40], a[32], b[32];
	unsigned int i;

	cairn_uuid_str(pool->sb.pool_uuid, uuid);
	cairn_human_size(pool->capacity * chunk, a, sizeof(a));
	cairn_human_size(pool->allocated * chunk, b, sizeof(b));
	printf("pool %s %s: %u members, chunk %u KiB, capacity %s, ",
	       pool->sb.pool_name, uuid, pool->sb.nr_members,
	       1U << (pool->sb.chunk_shift - 10), a);
	printf("allocated %s (%llu/%llu chunks), %u volumes\n", b,
	       (unsigned long long)pool->allocated,
	       (unsigned long long)pool->capacity, pool->nr_volumes);
	for (i = 0; i < pool->sb.nr_members; i++) {
		struct cairn_member *m = &pool->members[i];

		cairn_uuid_str(m->info.uuid, uuid);
		cairn_human_size(m->info.nr_blocks * CAIRN_BLOCK_SIZE, a, sizeof(a));
		printf("  member %u %s %s: %s, %llu chunks, %llu used%s\n",
		       i, io->path[m->dev], uuid, a,
		       (unsigned long long)m->info.nr_chunks,
		       (unsigned long long)m->nr_used,
		       i == pool->sb.meta_member ? ", metadata" : "");
	}
	for (i = 0; i < CAIRN_MAX_VOLUMES; i++) {
		struct cairn_volume *v = pool->volumes[i];

		if (!v)
			continue;
		cairn_uuid_str(v->uuid, uuid);
		cairn_human_size(v->size, a, sizeof(a));
		cairn_human_size(v->nr_mapped * chunk, b, sizeof(b));
		printf("  volume %s %s: size %s, mapped %s\n", v->name, uuid, a, b);
		mirror_summary(pool, v);
	}
	printf("metadata clean\n");
}

int main(int argc, char **argv)
{
	struct cairn_pool *pool = NULL;
	struct cairn_fileio io;
	const char *why = NULL, *bad;
	int quiet = 0, c, r;

	while ((c = getopt(argc, argv, "qh")) != -1) {
		switch (c) {
		case 'q':
			quiet = 1;
			break;
		case 'h':
			printf("usage: cairn-check [-q] DEVICE...\n");
			return 0;
		default:
			fprintf(stderr, "usage: cairn-check [-q] DEVICE...\n");
			return 2;
		}
	}
	if (optind == argc) {
		fprintf(stderr, "usage: cairn-check [-q] DEVICE...\n");
		return 2;
	}
	r = cairn_fileio_open(&io, argc - optind, argv + optind, false, &bad);
	if (r) {
		fprintf(stderr, "cairn-check: %s: %s\n", bad, strerror(-r));
		return 2;
	}
	r = cairn_pool_open(&cairn_fileio_ops, &io, io.nr, true, &pool, &why);
	if (r) {
		fprintf(stderr, "cairn-check: %s (%s; last block read: %llu of %s)\n",
			why, strerror(-r), (unsigned long long)io.last_block,
			io.path[io.last_dev]);
		cairn_fileio_close(&io);
		return 1;
	}
	r = cairn_pool_check(pool, &why);
	if (r)
		fprintf(stderr, "cairn-check: %s\n", why);
	else if (!quiet)
		summary(pool, &io);
	cairn_pool_free(pool);
	cairn_fileio_close(&io);
	return r ? 1 : 0;
}
