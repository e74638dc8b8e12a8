// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: the superblock decoder on hostile bytes.
 *
 * Each input is tried as it is (almost always refused at the checksum) and
 * resealed with a correct header and checksum, so that the field checks
 * behind the checksum are reached.  Whatever decodes must encode back to
 * the very same block: the decoder accepts nothing it does not understand.
 */
#include <stdlib.h>
#include <string.h>

#include "core/super.h"

int LLVMFuzzerTestOneInput(const u8 *data, size_t size);

static void try_decode(const u8 *block, unsigned int slot)
{
	struct cairn_super sb;
	u8 again[CAIRN_BLOCK_SIZE];
	const char *why = NULL;

	if (cairn_super_decode(block, slot, &sb, &why)) {
		if (!why)
			abort();	/* every refusal says why */
		return;
	}
	cairn_super_encode(&sb, again, slot);
	if (memcmp(block, again, CAIRN_BLOCK_SIZE))
		abort();
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	u8 block[CAIRN_BLOCK_SIZE] = { 0 };
	const struct cairn_block_header *h = (const void *)block;
	unsigned int slot;

	memcpy(block, data, size < sizeof(block) ? size : sizeof(block));
	slot = le64_to_cpu(h->location) & 1;
	try_decode(block, slot);

	cairn_block_seal(block, CAIRN_BLOCK_SUPER, slot,
			 le64_to_cpu(h->seq), h->pool_uuid);
	try_decode(block, slot);

	return 0;
}
