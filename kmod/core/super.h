/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Metadata block sealing and the superblock codec.
 *
 * Decoders take untrusted bytes: they check everything before they believe
 * anything, never read outside the block, and say why they refused.
 */
#ifndef CAIRN_CORE_SUPER_H
#define CAIRN_CORE_SUPER_H

#include "format.h"

struct cairn_member_info {
	u8 uuid[CAIRN_UUID_SIZE];
	u64 nr_blocks;
	u64 data_start;
	u64 nr_chunks;
	u32 state;
};

/* A superblock, decoded and validated. */
struct cairn_super {
	u64 seq;
	u8 pool_uuid[CAIRN_UUID_SIZE];
	u8 member_uuid[CAIRN_UUID_SIZE];
	char pool_name[CAIRN_POOL_NAME_SIZE + 1];
	u32 chunk_shift;
	u64 feature_compat;
	u64 feature_ro_compat;
	u64 feature_incompat;
	u32 member_index;
	u32 nr_members;
	u32 meta_member;
	u32 low_water_pct;
	u32 nospace_policy;
	u32 nospace_timeout_s;
	u64 config_seq;
	u64 volumes_start;
	u64 volumes_blocks;
	u64 journal_start;
	u64 journal_blocks;
	u64 journal_tail;
	u64 journal_tail_seq;
	u64 mirror_start;		/* INCOMPAT_MIRROR; else 0 */
	u64 mirror_blocks;
	struct cairn_member_info members[CAIRN_MAX_MEMBERS];
};

/* Are @len bytes at @p all zero? */
bool cairn_zero(const void *p, size_t len);

/* Fill in @block's header and checksum (the rest must be in place). */
void cairn_block_seal(void *block, u32 type, u64 location, u64 seq,
		      const u8 *pool_uuid);

/*
 * Check @block's checksum, type and location, and its pool when @pool_uuid
 * is not NULL.  Returns 0, or -EBADMSG with *@why set.
 */
int cairn_block_check(const void *block, u32 type, u64 location,
		      const u8 *pool_uuid, const char **why);

/* Encode @sb into @block, to be written to superblock slot @slot (0 or 1). */
void cairn_super_encode(const struct cairn_super *sb, void *block,
			unsigned int slot);

/*
 * Decode and validate the superblock read from slot @slot.  Returns 0, or:
 *   -EINVAL       not a Cairn member (no magic)
 *   -EBADMSG      checksum, type or location wrong (torn or misplaced)
 *   -EOPNOTSUPP   format version or incompatible features unknown here
 *   -EUCLEAN      fields inconsistent with each other
 * with *@why naming the problem.
 */
int cairn_super_decode(const void *block, unsigned int slot,
		       struct cairn_super *sb, const char **why);

#endif /* CAIRN_CORE_SUPER_H */
