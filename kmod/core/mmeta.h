/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The mirror area of a pool (see struct cairn_disk_mirror in format.h):
 * one slot of persistent state per mirrored volume.
 *
 * The pool reads every slot at open (cairn_mmeta_load(), from
 * cairn_pool_open()) and keeps the decoded state of the slots in use.
 * After that the core does no I/O on the area: the owner of a slot (in
 * cairn.ko, the volume's mirror, serialising its own writes) encodes the
 * next copy with cairn_mmeta_next(), writes it through its own buffer, and
 * reports success with cairn_mmeta_done().  Claiming and freeing a slot
 * are control operations, serialised with each other by the caller.
 */
#ifndef CAIRN_CORE_MMETA_H
#define CAIRN_CORE_MMETA_H

#include "format.h"

struct cairn_pool;
struct cairn_volume;

#define CAIRN_MIRROR_BYTES	(CAIRN_BLOCK_SIZE - CAIRN_MIRROR_HDR)

/* A slot's state, decoded. */
struct cairn_mirror_meta {
	u32 volume;			/* 0: free */
	u8 uuid[CAIRN_UUID_SIZE];
	u32 role;			/* 1 primary, 2 secondary */
	u32 disk;			/* enum cairn_disk_mirror_state */
	char peer[65];			/* "" or a valid name */
	u64 gen_current, gen_bitmap, gen_history[2];
	u32 region_shift;		/* bytes, log2 */
	u32 nr_regions;
	u8 bits[CAIRN_MIRROR_BYTES];	/* LSB first */
};

struct cairn_mslot {
	u64 seq;			/* of the current copy */
	unsigned int cur;		/* 0 (A) or 1 (B) */
	struct cairn_mirror_meta *meta;	/* slots in use; else NULL */
};

/* Encode @m as copy of @location, written @seq-th. */
void cairn_mmeta_encode(const struct cairn_mirror_meta *m, void *block,
			u64 location, u64 seq, const u8 *pool_uuid);

/* Decode and check one copy: 0, or -EBADMSG/-EUCLEAN with *@why. */
int cairn_mmeta_decode(const void *block, u64 location, const u8 *pool_uuid,
		       struct cairn_mirror_meta *m, u64 *seq, const char **why);

/*
 * The smallest region (a power of two of at least @grain bytes) for which
 * @size bytes need no more than CAIRN_MIRROR_BITS bits.
 */
u32 cairn_mmeta_region_shift(u64 size, u32 grain_shift);

/* At open, with the pool to itself: read and check every slot. */
int cairn_mmeta_load(struct cairn_pool *pool, const char **why);
void cairn_mmeta_free(struct cairn_pool *pool);

/* Does the pool have a mirror area? */
bool cairn_mmeta_supported(const struct cairn_pool *pool);

/* @v's slot, or -ENOENT. */
int cairn_mmeta_find(const struct cairn_pool *pool,
		     const struct cairn_volume *v);

/*
 * Claim a free slot for @v (RAM only: the caller writes its first copy):
 * the slot, or -EOPNOTSUPP (no mirror area), -ENOSPC, -ENOMEM.
 */
int cairn_mmeta_claim(struct cairn_pool *pool, const struct cairn_volume *v);

/* Give slot @slot back (RAM only: the caller has written it free). */
void cairn_mmeta_release(struct cairn_pool *pool, unsigned int slot);

/* The slot's state as last written (or loaded). */
const struct cairn_mirror_meta *cairn_mmeta_get(const struct cairn_pool *pool,
						unsigned int slot);

/*
 * Encode @m as the slot's next copy into @block: returns the block's
 * number on the metadata member (device pool->members[sb.meta_member]).
 */
u64 cairn_mmeta_next(struct cairn_pool *pool, unsigned int slot,
		     const struct cairn_mirror_meta *m, void *block);

/* That copy is durable: it is the slot's current one, with state @m. */
void cairn_mmeta_done(struct cairn_pool *pool, unsigned int slot,
		      const struct cairn_mirror_meta *m);

#endif /* CAIRN_CORE_MMETA_H */
