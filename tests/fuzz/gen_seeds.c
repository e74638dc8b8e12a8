// SPDX-License-Identifier: GPL-2.0
/*
 * Writes the seed corpus of the fuzz targets: valid blocks from the unit
 * tests' samples.  Usage: gen_seeds DIR
 */
#include <stdio.h>

#include "core/super.h"
#include "../unit/super_sample.h"

static int write_block(const char *dir, const char *name, const void *block)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (!f || fwrite(block, CAIRN_BLOCK_SIZE, 1, f) != 1) {
		perror(path);
		return 1;
	}
	return fclose(f) ? 1 : 0;
}

int main(int argc, char **argv)
{
	static u8 block[CAIRN_BLOCK_SIZE];
	struct cairn_super sb;

	if (argc != 2) {
		fprintf(stderr, "usage: gen_seeds DIR\n");
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
	return write_block(argv[1], "super-one-member-slot0", block);
}
