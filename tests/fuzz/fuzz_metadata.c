// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: pool open on hostile metadata blocks.
 *
 * A small valid pool (two volumes, mappings on two members, a commit still
 * in the journal) is built once.  Each input replaces one of its metadata
 * blocks -- a volume table block, a reverse-map block, or the journal
 * blocks at the tail -- resealed with a valid header (or left raw, when the
 * input's first byte says so), and the pool is opened read-only.  It must
 * refuse cleanly, or open to a state that passes the full consistency
 * check: a decoder never accepts what the pool can not stand behind.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz_image.h"

int LLVMFuzzerTestOneInput(const u8 *data, size_t size);

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	struct cairn_pool *pool = NULL;
	struct simdev img;
	u8 block[CAIRN_BLOCK_SIZE];
	const char *why = NULL;
	unsigned int dev = 0, type, i;
	u64 loc, seq = 1;
	bool raw;
	size_t n;

	if (!image.nr_devs)
		build_image();
	if (size < 2)
		return 0;
	raw = data[0] & 0x80;
	switch (data[0] & 3) {
	case 0:
		type = CAIRN_BLOCK_VOLUMES;
		loc = sb.volumes_start + data[1] % CAIRN_VOLUME_BLOCKS;
		break;
	case 1:
		type = CAIRN_BLOCK_RMAP;
		dev = data[1] & 1;
		loc = CAIRN_RMAP_START;
		break;
	default:
		type = CAIRN_BLOCK_JOURNAL;
		loc = sb.journal_tail + (data[0] & 1);
		seq = sb.journal_tail_seq + (data[0] & 1);
		break;
	}
	data += 2;
	size -= 2;

	sim_init(&img, image.nr_devs, image.nr_blocks);
	for (i = 0; i < image.nr_slots; i++)
		if (image.slots[i].key)
			sim_put(&img, (image.slots[i].key - 1) >> 56,
				(image.slots[i].key - 1) & ((1ULL << 56) - 1),
				image.slots[i].data, false);
	memset(block, 0, sizeof(block));
	n = size < sizeof(block) ? size : sizeof(block);
	memcpy(block, data, n);
	if (!raw)
		cairn_block_seal(block, type, loc, seq, sb.pool_uuid);
	sim_put(&img, dev, loc, block, true);

	if (!cairn_pool_open(&sim_io_ops, &img, 2, true, &pool, &why)) {
		if (cairn_pool_check(pool, &why))
			abort();
		cairn_pool_free(pool);
	} else if (!why) {
		abort();
	}
	sim_destroy(&img);
	return 0;
}
