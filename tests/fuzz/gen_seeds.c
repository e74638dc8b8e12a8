// SPDX-License-Identifier: GPL-2.0
/*
 * Writes the seed corpora of the fuzz targets: valid blocks from the unit
 * tests' samples and from fuzz_metadata's image.
 * Usage: gen_seeds SUPER_DIR METADATA_DIR
 */
#include <stdio.h>

#include "core/super.h"
#include "../unit/super_sample.h"
#include "fuzz_image.h"

static int write_seed(const char *dir, const char *name, const void *prefix,
		      size_t plen, const void *block)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (!f || (plen && fwrite(prefix, plen, 1, f) != 1) ||
	    fwrite(block, CAIRN_BLOCK_SIZE, 1, f) != 1) {
		perror(path);
		return 1;
	}
	return fclose(f) ? 1 : 0;
}

static int write_block(const char *dir, const char *name, const void *block)
{
	return write_seed(dir, name, NULL, 0, block);
}

/* fuzz_metadata's inputs: selector byte, index byte, block. */
static int metadata_seeds(const char *dir)
{
	static const struct {
		const char *name;
		u8 sel[2];
	} seeds[] = {
		{ "volumes-0", { 0, 0 } },
		{ "rmap-m0", { 1, 0 } },
		{ "rmap-m1", { 1, 1 } },
		{ "journal-tail", { 2, 0 } },
		{ "journal-next", { 3, 0 } },
	};
	unsigned int i, dev;
	u64 loc;

	build_image();
	for (i = 0; i < ARRAY_SIZE(seeds); i++) {
		dev = 0;
		switch (seeds[i].sel[0]) {
		case 0:
			loc = sb.volumes_start;
			break;
		case 1:
			dev = seeds[i].sel[1];
			loc = CAIRN_RMAP_START;
			break;
		default:
			loc = sb.journal_tail + (seeds[i].sel[0] & 1);
			break;
		}
		if (write_seed(dir, seeds[i].name, seeds[i].sel, 2,
			       sim_peek(&image, dev, loc)))
			return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static u8 block[CAIRN_BLOCK_SIZE];
	struct cairn_super sb;

	if (argc != 3) {
		fprintf(stderr, "usage: gen_seeds SUPER_DIR METADATA_DIR\n");
		return 2;
	}
	super_sample(&sb);
	cairn_super_encode(&sb, block, 1);
	if (write_block(argv[1], "super-sample-slot1", block))
		return 1;
	sb.nr_members = 1;
	sb.member_index = 0;
	memcpy(sb.member_uuid, sb.members[0].uuid, CAIRN_UUID_SIZE);
	cairn_super_encode(&sb, block, 0);
	if (write_block(argv[1], "super-one-member-slot0", block))
		return 1;
	return metadata_seeds(argv[2]);
}
