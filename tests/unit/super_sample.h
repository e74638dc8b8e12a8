/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A valid superblock for tests and fuzz seeds: a pool of three members of
 * 1 GiB, 512 MiB and 768 MiB with 1 MiB chunks, metadata on member 0.
 */
#ifndef CAIRN_SUPER_SAMPLE_H
#define CAIRN_SUPER_SAMPLE_H

#include <string.h>

#include "core/super.h"

static inline void super_sample(struct cairn_super *sb)
{
	static const u64 sizes_mib[] = { 1024, 512, 768 };
	unsigned int i;

	memset(sb, 0, sizeof(*sb));
	sb->seq = 7;
	memset(sb->pool_uuid, 0xa5, CAIRN_UUID_SIZE);
	strcpy(sb->pool_name, "p0");
	sb->chunk_shift = 20;
	sb->nr_members = 3;
	sb->member_index = 1;
	sb->meta_member = 0;
	sb->low_water_pct = 80;
	sb->nospace_policy = CAIRN_NOSPACE_QUEUE;
	sb->nospace_timeout_s = 60;
	sb->config_seq = 2;
	for (i = 0; i < sb->nr_members; i++) {
		struct cairn_member_info *m = &sb->members[i];

		memset(m->uuid, 0x10 + i, CAIRN_UUID_SIZE);
		m->nr_blocks = sizes_mib[i] << (20 - CAIRN_BLOCK_SHIFT);
		m->data_start = 4 << (20 - CAIRN_BLOCK_SHIFT);	/* 4 MiB */
		m->nr_chunks = sizes_mib[i] - 4;
		m->state = CAIRN_MEMBER_ACTIVE;
	}
	memcpy(sb->member_uuid, sb->members[1].uuid, CAIRN_UUID_SIZE);
	sb->volumes_start = 16;
	sb->volumes_blocks = 256;
	sb->journal_start = 272;
	sb->journal_blocks = 512;
	sb->journal_tail = 300;
	sb->journal_tail_seq = 5;
}

#endif /* CAIRN_SUPER_SAMPLE_H */
