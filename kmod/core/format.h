/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * Cairn on-disk format, version 1.  Shared by cairn.ko, kmod/core in
 * userspace and the userland tools (cairn-check).
 *
 * All integers are little-endian; every structure has explicit padding and
 * a fixed size checked at compile time.  Metadata lives in 4 KiB blocks,
 * numbered from the start of the member device that holds them; every
 * metadata block starts with struct cairn_block_header: a crc32c of the
 * rest of the block, the block's type, its own location, the sequence
 * number of the commit that wrote it and the pool's UUID, so that a block
 * read from the wrong place, from another pool or torn by a crash is
 * recognised as such and never trusted.
 *
 * A member device:
 *
 *   block 0, 1          superblock slots A and B, written alternately; the
 *                       valid one with the higher sequence number is current
 *   block 2..           this member's reverse map: for each of its data
 *                       chunks, which volume chunk it holds, or free
 *                       (CAIRN_RMAP_BLOCKS(nr_chunks) blocks)
 *   (metadata member)   the volume table and the journal (the commit
 *                       protocol's log), at places the superblock gives
 *   data_start..        data chunks, chunk-aligned, up to nr_chunks
 *
 * Everything a pool needs to be assembled (its UUID, name, chunk size and
 * the ordered list of its members' UUIDs and layouts) is in every member's
 * superblock, so members are found and ordered by scanning devices, and a
 * member of another pool is refused.
 */
#ifndef CAIRN_CORE_FORMAT_H
#define CAIRN_CORE_FORMAT_H

#include "compat.h"

#define CAIRN_MAGIC		0x314c4f4f504e5243ULL	/* "CRNPOOL1" */
#define CAIRN_FORMAT_VERSION	1

#define CAIRN_BLOCK_SHIFT	12
#define CAIRN_BLOCK_SIZE	4096U		/* 1 << CAIRN_BLOCK_SHIFT */

#define CAIRN_MAX_MEMBERS	64
#define CAIRN_MIN_MEMBER_BYTES	(64ULL << 20)
#define CAIRN_MIN_CHUNK_SHIFT	16	/* 64 KiB */
#define CAIRN_MAX_CHUNK_SHIFT	24	/* 16 MiB */
#define CAIRN_UUID_SIZE		16
#define CAIRN_POOL_NAME_SIZE	64	/* NUL-padded, not NUL-terminated */

/* Block types. */
enum cairn_block_type {
	CAIRN_BLOCK_SUPER = 1,
	CAIRN_BLOCK_RMAP = 2,
	CAIRN_BLOCK_VOLUMES = 3,
	CAIRN_BLOCK_JOURNAL = 4,
};

struct cairn_block_header {
	__le32 csum;		/* crc32c(~0, block + 4, BLOCK_SIZE - 4) ^ ~0 */
	__le32 type;		/* enum cairn_block_type */
	__le64 location;	/* this block's number on its member */
	__le64 seq;		/* commit sequence that wrote it */
	u8 pool_uuid[CAIRN_UUID_SIZE];
} __packed;

/* Member states. */
enum cairn_member_state {
	CAIRN_MEMBER_ACTIVE = 1,	/* allocates new chunks */
	CAIRN_MEMBER_EVACUATING = 2,	/* no new chunks; being emptied */
};

/* One member as every superblock of the pool describes it. */
struct cairn_disk_member {
	u8 uuid[CAIRN_UUID_SIZE];
	__le64 nr_blocks;	/* device size in 4 KiB blocks */
	__le64 data_start;	/* first data block, chunk-aligned */
	__le64 nr_chunks;	/* data chunks on this member */
	__le32 state;		/* enum cairn_member_state */
	__le32 reserved;
} __packed;

/* Feature flags: none are defined in version 1. */
#define CAIRN_FEATURE_COMPAT_SUPP	0ULL
#define CAIRN_FEATURE_RO_COMPAT_SUPP	0ULL
#define CAIRN_FEATURE_INCOMPAT_SUPP	0ULL

/* What the pool does when it runs out of data space. */
enum cairn_nospace_policy {
	CAIRN_NOSPACE_FAIL = 0,		/* fail the write at once */
	CAIRN_NOSPACE_QUEUE = 1,	/* queue it for nospace_timeout_s */
};

struct cairn_disk_super {
	struct cairn_block_header hdr;		/* type CAIRN_BLOCK_SUPER */
	__le64 magic;
	__le32 version;
	__le32 chunk_shift;			/* log2 of the chunk size */
	__le64 feature_compat;
	__le64 feature_ro_compat;
	__le64 feature_incompat;
	u8 member_uuid[CAIRN_UUID_SIZE];	/* the member this block is on */
	char pool_name[CAIRN_POOL_NAME_SIZE];
	__le32 member_index;			/* of this member in members[] */
	__le32 nr_members;
	__le32 meta_member;			/* index of the metadata member */
	__le32 low_water_pct;			/* threshold event, 0 = none */
	__le32 nospace_policy;			/* enum cairn_nospace_policy */
	__le32 nospace_timeout_s;
	__le64 config_seq;			/* bumped on membership changes */
	/* On the metadata member: */
	__le64 volumes_start;
	__le64 volumes_blocks;
	__le64 journal_start;
	__le64 journal_blocks;
	__le64 journal_tail;			/* oldest journal block to replay */
	__le64 journal_tail_seq;		/* its expected sequence */
	u8 padding[784];
	struct cairn_disk_member members[CAIRN_MAX_MEMBERS];
} __packed;

#define CAIRN_SUPER_SLOTS	2	/* blocks 0 and 1 */
#define CAIRN_RMAP_START	CAIRN_SUPER_SLOTS

/* A reverse-map entry: 16 bytes, so 253 of them after a block header. */
#define CAIRN_RMAP_ENTRY_SIZE	16
#define CAIRN_RMAP_PER_BLOCK \
	((CAIRN_BLOCK_SIZE - sizeof(struct cairn_block_header)) / \
	 CAIRN_RMAP_ENTRY_SIZE)
#define CAIRN_RMAP_BLOCKS(nr_chunks) \
	(((nr_chunks) + CAIRN_RMAP_PER_BLOCK - 1) / CAIRN_RMAP_PER_BLOCK)

static_assert(sizeof(struct cairn_block_header) == 40, "block header");
static_assert(sizeof(struct cairn_disk_member) == 48, "member entry");
static_assert(sizeof(struct cairn_disk_super) == CAIRN_BLOCK_SIZE,
	      "superblock fills one block");

#endif /* CAIRN_CORE_FORMAT_H */
