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
 *   (metadata member)   the volume table (CAIRN_VOLUME_BLOCKS blocks),
 *                       the journal (the commit protocol's log) and, with
 *                       the MIRROR feature, the mirror area (two blocks
 *                       per mirrored volume), at places the superblock gives
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
/*
 * Default 1 MiB: 16 MiB of metadata and about 25 MiB of RAM per TiB fully
 * mapped (64 KiB chunks: 259 MiB and 404 MiB), one allocation per MiB of
 * new data, and the 1 MiB UNMAP granularity hypervisors (VMFS 6) use.
 * Measured by make bench-core.
 */
#define CAIRN_DEFAULT_CHUNK_SHIFT 20
#define CAIRN_UUID_SIZE		16
#define CAIRN_POOL_NAME_SIZE	64	/* NUL-padded, not NUL-terminated */

/* Block types. */
enum cairn_block_type {
	CAIRN_BLOCK_SUPER = 1,
	CAIRN_BLOCK_RMAP = 2,
	CAIRN_BLOCK_VOLUMES = 3,
	CAIRN_BLOCK_JOURNAL = 4,
	CAIRN_BLOCK_MIRROR = 5,
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

/*
 * Feature flags.  INCOMPAT_MIRROR: the metadata member has a mirror area
 * (mirror_start, mirror_blocks in the superblock).  Incompatible because a
 * module that does not know it would write a mirrored volume without
 * recording what its peer lacks.  Pools made before it keep opening; they
 * only can not mirror.
 */
#define CAIRN_FEATURE_INCOMPAT_MIRROR	1ULL
#define CAIRN_FEATURE_COMPAT_SUPP	0ULL
#define CAIRN_FEATURE_RO_COMPAT_SUPP	0ULL
#define CAIRN_FEATURE_INCOMPAT_SUPP	CAIRN_FEATURE_INCOMPAT_MIRROR

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
	__le64 mirror_start;			/* INCOMPAT_MIRROR; else 0 */
	__le64 mirror_blocks;
	u8 padding[768];
	struct cairn_disk_member members[CAIRN_MAX_MEMBERS];
} __packed;

#define CAIRN_SUPER_SLOTS	2	/* blocks 0 and 1 */
#define CAIRN_RMAP_START	CAIRN_SUPER_SLOTS

/*
 * Reverse map: what a member's physical chunk holds.  Volume ids are never
 * reused while an entry may name them, so an entry naming a volume that no
 * longer exists is free (a deleted volume's chunks are freed by the one
 * journal record that deletes it, and cleaned from the reverse map at the
 * next checkpoint).
 */
struct cairn_disk_rmap {
	__le64 vchunk;		/* chunk index within the volume */
	__le32 volume;		/* volume id; 0 = free */
	__le32 reserved;
} __packed;

#define CAIRN_RMAP_PER_BLOCK \
	((CAIRN_BLOCK_SIZE - sizeof(struct cairn_block_header)) / \
	 sizeof(struct cairn_disk_rmap))
#define CAIRN_RMAP_BLOCKS(nr_chunks) \
	(((nr_chunks) + CAIRN_RMAP_PER_BLOCK - 1) / CAIRN_RMAP_PER_BLOCK)

/* Volume table: a slot per volume; id 0 marks an empty slot. */
#define CAIRN_VOLUME_NAME_SIZE	64	/* NUL-padded */
#define CAIRN_MAX_VOLUMES	4096

struct cairn_disk_volume {
	char name[CAIRN_VOLUME_NAME_SIZE];
	u8 uuid[CAIRN_UUID_SIZE];
	__le64 size;		/* nominal size in bytes, a multiple of 4 KiB */
	__le32 id;		/* never reused while the reverse map names it */
	__le32 flags;		/* none defined: zero */
	__le64 create_seq;	/* commit that created it */
	u8 padding[24];
} __packed;

#define CAIRN_VOLUMES_PER_BLOCK \
	((CAIRN_BLOCK_SIZE - sizeof(struct cairn_block_header)) / \
	 sizeof(struct cairn_disk_volume))
#define CAIRN_VOLUME_BLOCKS \
	((CAIRN_MAX_VOLUMES + CAIRN_VOLUMES_PER_BLOCK - 1) / \
	 CAIRN_VOLUMES_PER_BLOCK)

/*
 * Journal: a ring of blocks on the metadata member.  A commit is one or more
 * consecutive blocks with the commit's sequence number in their header; its
 * last block carries CAIRN_JOURNAL_COMMIT.  Records are 8-byte aligned and
 * set absolute values, so replaying them twice is harmless.
 */
#define CAIRN_JOURNAL_COMMIT	1U	/* last block of its commit */

struct cairn_disk_journal {
	struct cairn_block_header hdr;	/* type CAIRN_BLOCK_JOURNAL */
	__le32 flags;
	__le32 bytes;			/* of records that follow */
	u8 records[];
} __packed;

#define CAIRN_JOURNAL_PAYLOAD \
	(CAIRN_BLOCK_SIZE - sizeof(struct cairn_disk_journal))

enum cairn_record_type {
	CAIRN_REC_RMAP = 1,	/* physical chunk now holds (volume, vchunk) */
	CAIRN_REC_VOLUME = 2,	/* volume slot now holds this entry */
};

struct cairn_disk_record {
	__le16 type;
	__le16 len;		/* bytes, this header included */
	__le32 reserved;
} __packed;

struct cairn_disk_rec_rmap {
	struct cairn_disk_record rec;
	__le32 member;
	__le32 volume;		/* 0 = free */
	__le64 pchunk;
	__le64 vchunk;
} __packed;

struct cairn_disk_rec_volume {
	struct cairn_disk_record rec;
	__le32 slot;
	__le32 reserved;
	struct cairn_disk_volume volume;
} __packed;

/*
 * The mirror area: CAIRN_MIRROR_SLOTS slots of two blocks, A and B, each a
 * whole copy of one mirrored volume's persistent state, written in place
 * alternately (the header's seq counts this slot's writes; the valid copy
 * with the higher seq is current, so a torn write leaves the other).  A
 * slot names its volume by id and UUID; volume 0 is a free slot.
 *
 * The state: the generation identifiers (see kmod/cairn_mirror.c), the
 * data's state, the role and the peer's name, and the dirty regions: a bit per region of
 * 2^region_shift bytes, set for every region where this node's data may
 * differ from its peer's -- what the peer missed, and every region a write
 * may be in flight to (the activity log: a region's bit is durable before
 * a write to it starts, and cleared only once the region is in sync and
 * idle).  A node that restarts, even after a crash, resyncs those regions
 * and no others.
 */
#define CAIRN_MIRROR_SLOTS	256	/* mirrored volumes per pool */
#define CAIRN_MIRROR_BLOCKS	(2 * CAIRN_MIRROR_SLOTS)
#define CAIRN_MIRROR_HDR	192	/* bytes before the bits */
#define CAIRN_MIRROR_BITS	((CAIRN_BLOCK_SIZE - CAIRN_MIRROR_HDR) * 8)

/* Data states (the uapi's enum cairn_mirror_disk). */
enum cairn_disk_mirror_state {
	CAIRN_DMIRROR_INCONSISTENT = 0,
	CAIRN_DMIRROR_OUTDATED = 1,
	CAIRN_DMIRROR_CONSISTENT = 2,
};

struct cairn_disk_mirror {
	struct cairn_block_header hdr;	/* type CAIRN_BLOCK_MIRROR */
	__le32 volume;			/* volume id; 0 = free slot */
	__le32 role;			/* 1 primary, 2 secondary */
	u8 volume_uuid[CAIRN_UUID_SIZE];
	__le64 gen_current;
	__le64 gen_bitmap;
	__le64 gen_history[2];
	__le32 disk;			/* enum cairn_disk_mirror_state */
	__le32 region_shift;		/* log2 of a region, in bytes */
	__le32 nr_regions;		/* at most CAIRN_MIRROR_BITS */
	__le32 reserved;
	char peer[64];			/* the peer's name, NUL-padded */
	u8 padding[16];
	u8 bits[CAIRN_BLOCK_SIZE - CAIRN_MIRROR_HDR];	/* LSB first */
} __packed;

static_assert(sizeof(struct cairn_block_header) == 40, "block header");
static_assert(sizeof(struct cairn_disk_mirror) == CAIRN_BLOCK_SIZE,
	      "mirror block fills one block");
static_assert(sizeof(struct cairn_disk_member) == 48, "member entry");
static_assert(sizeof(struct cairn_disk_super) == CAIRN_BLOCK_SIZE,
	      "superblock fills one block");
static_assert(sizeof(struct cairn_disk_rmap) == 16, "rmap entry");
static_assert(sizeof(struct cairn_disk_volume) == 128, "volume entry");
static_assert(sizeof(struct cairn_disk_journal) == 48, "journal header");
static_assert(sizeof(struct cairn_disk_rec_rmap) == 32, "rmap record");
static_assert(sizeof(struct cairn_disk_rec_volume) == 144, "volume record");

#endif /* CAIRN_CORE_FORMAT_H */
