/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The pool: members, thin volumes, allocation, and the commit protocol
 * (see the essay at the top of pool.c).
 *
 * Callers serialise every call that changes the pool: one writer at a time.
 * Two families of calls exist.  The exclusive ones (open, close, commit,
 * add member, set, volume create/delete/resize, and the single-step
 * cairn_provision()/cairn_discard()) may do metadata I/O and must have the
 * pool to themselves.  The data-path steps (provision_prepare/publish/abort,
 * unmap_begin/end/cancel, commit_begin/end) neither sleep nor do I/O and may
 * interleave with each other and with one commit_write() in flight, as long
 * as each call is serialised with the others (cairn.ko: a spinlock inside a
 * read-held rwsem whose write side the exclusive calls take).
 * cairn_lookup() may run concurrently with all of them, takes no lock and
 * never sleeps.  Metadata I/O goes through struct cairn_io_ops,
 * synchronously.
 *
 * Errors: 0 or a negative errno; refusals of open and create also set
 * *why to a message naming the problem.
 */
#ifndef CAIRN_CORE_POOL_H
#define CAIRN_CORE_POOL_H

#include "format.h"
#include "super.h"
#include "map.h"
#include "mmeta.h"

/*
 * Health, ordered by degradation: a pool only moves down, except that
 * freeing space takes OUT_OF_SPACE back to WRITE.
 */
enum cairn_mode {
	CAIRN_MODE_WRITE,
	CAIRN_MODE_OUT_OF_SPACE,
	CAIRN_MODE_READ_ONLY,
	CAIRN_MODE_FAILED,
};

enum cairn_event_type {
	CAIRN_EVENT_THRESHOLD,		/* value: 1 crossed upwards, 0 down */
	CAIRN_EVENT_MODE,		/* value: the new enum cairn_mode */
	CAIRN_EVENT_NO_SPACE,		/* an allocation found no free chunk */
	CAIRN_EVENT_META_ERROR,		/* value: the errno of a metadata I/O */
};

struct cairn_event {
	enum cairn_event_type type;
	u64 value;
	u64 allocated;			/* chunks, at the time of the event */
	u64 capacity;
};

struct cairn_io_ops {
	/* 4 KiB metadata block I/O on device @dev (index given at open). */
	int (*read)(void *ctx, unsigned int dev, u64 block, void *buf);
	int (*write)(void *ctx, unsigned int dev, u64 block, const void *buf);
	int (*flush)(void *ctx, unsigned int dev);
	/* Optional: told of events; must not call back into the pool. */
	void (*event)(void *ctx, const struct cairn_event *ev);
};

struct cairn_volume {
	u32 slot;
	u32 id;
	char name[CAIRN_VOLUME_NAME_SIZE + 1];
	u8 uuid[CAIRN_UUID_SIZE];
	u64 size;			/* nominal, bytes */
	u64 create_seq;
	u64 nr_mapped;			/* chunks */
	struct cairn_map map;
};

/* Reverse-map entry in RAM. */
struct cairn_rmap {
	u64 vchunk;
	u32 volume;
};

struct cairn_member {
	struct cairn_member_info info;
	unsigned int dev;		/* device index for the I/O ops */
	unsigned int sb_slot;		/* slot holding the current superblock */
	struct cairn_rmap *rmap;	/* nr_chunks entries */
	u64 *used;			/* bitmap: mapped or freed-uncommitted */
	/*
	 * Bitmaps of chunks freed but not yet allocatable, one per
	 * generation: pending_free[pool->free_gen] collects the frees of the
	 * open transaction; the other one those of a commit in flight.
	 */
	u64 *pending_free[2];
	u64 *rmap_dirty;		/* bitmap of rmap blocks to checkpoint */
	u64 nr_used;
	u64 nr_pending_free[2];
	u64 cursor;			/* next-fit allocation cursor */
	s64 weight;			/* smooth weighted round-robin state */
};

struct cairn_pool_params {
	const char *name;
	u8 pool_uuid[CAIRN_UUID_SIZE];
	u8 member_uuid[CAIRN_MAX_MEMBERS][CAIRN_UUID_SIZE];
	u32 chunk_shift;
	u32 low_water_pct;
	u32 nospace_policy;
	u32 nospace_timeout_s;
	u64 journal_blocks;		/* 0: CAIRN_JOURNAL_DEFAULT_BLOCKS */
	bool no_mirror_area;		/* the format before INCOMPAT_MIRROR */
};

#define CAIRN_JOURNAL_DEFAULT_BLOCKS	1024	/* 4 MiB */
#define CAIRN_JOURNAL_MIN_BLOCKS	16

struct cairn_pool {
	const struct cairn_io_ops *ops;
	void *ctx;
	struct cairn_super sb;		/* authoritative: the metadata member's */
	enum cairn_mode mode;
	bool read_only_open;
	bool threshold_above;

	struct cairn_member members[CAIRN_MAX_MEMBERS];
	u64 capacity;			/* chunks on all members */
	u64 allocated;			/* chunks mapped (committed or not) */

	struct cairn_volume *volumes[CAIRN_MAX_VOLUMES];
	u32 nr_volumes;
	u32 next_volume_id;
	u64 volumes_dirty[(CAIRN_VOLUME_BLOCKS + 63) / 64];

	u64 seq;			/* the next commit's sequence number */
	u64 sb_gen;			/* of the newest superblock written */
	u64 journal_head;		/* next journal block to write */
	u64 journal_used;		/* blocks between tail and head */

	/* The open transaction: journal records not yet committed. */
	u8 *txn;
	size_t txn_bytes;
	size_t txn_cap;
	u64 txn_records;
	size_t txn_reserved;		/* promised to prepared provisions */
	u8 *txn_spare;			/* the other buffer (group commit) */
	unsigned int free_gen;		/* pending_free[] of the open txn */

	/* The mirror area (mmeta.c), when the pool has one. */
	struct cairn_mslot mslots[CAIRN_MIRROR_SLOTS];

	u8 *buf;			/* one block, for metadata I/O */
	u8 *jbuf;			/* journal blocks of a commit */
	size_t jbuf_blocks;
};

/* Create a pool on @nr_devs devices of @dev_blocks 4 KiB blocks each. */
int cairn_pool_create(const struct cairn_io_ops *ops, void *ctx,
		      unsigned int nr_devs, const u64 *dev_blocks,
		      const struct cairn_pool_params *p,
		      struct cairn_pool **poolp, const char **why);

/*
 * Assemble a pool from @nr_devs devices (any order; all members and nothing
 * else).  Replays the journal; unless @read_only, checkpoints the result.
 */
int cairn_pool_open(const struct cairn_io_ops *ops, void *ctx,
		    unsigned int nr_devs, bool read_only,
		    struct cairn_pool **poolp, const char **why);

/*
 * The newest valid superblock of device @dev, read through @buf (one
 * block).  When neither slot holds one: the read error if a read failed,
 * else the decode error of a slot that has the magic but is damaged or of
 * an unknown version, else -EINVAL (no Cairn superblock at all).
 */
int cairn_super_probe(const struct cairn_io_ops *ops, void *ctx,
		      unsigned int dev, void *buf, struct cairn_super *sb,
		      unsigned int *slot, const char **why);

/* Commit and checkpoint (unless read-only), then free everything. */
int cairn_pool_close(struct cairn_pool *pool);

/* Free everything without writing: for a failed pool, and for tests. */
void cairn_pool_free(struct cairn_pool *pool);

/* Add device @dev of @nr_blocks blocks as a new member. */
int cairn_pool_add_member(struct cairn_pool *pool, unsigned int dev,
			  u64 nr_blocks, const u8 *uuid, const char **why);

/* Change the threshold and no-space policy; durable on return. */
int cairn_pool_set(struct cairn_pool *pool, u32 low_water_pct,
		   u32 nospace_policy, u32 nospace_timeout_s);

int cairn_volume_create(struct cairn_pool *pool, const char *name,
			const u8 *uuid, u64 size, struct cairn_volume **volp);
int cairn_volume_delete(struct cairn_pool *pool, struct cairn_volume *vol);
int cairn_volume_resize(struct cairn_pool *pool, struct cairn_volume *vol,
			u64 size);
struct cairn_volume *cairn_volume_find(struct cairn_pool *pool,
				       const char *name);

/* Lock-free: 1 and the place if @vchunk is mapped, else 0. */
static inline int cairn_lookup(const struct cairn_volume *vol, u64 vchunk,
			       u32 *member, u64 *pchunk)
{
	u64 e = cairn_map_get(&vol->map, vchunk);	/* acquire */

	if (!e)
		return 0;
	*member = cairn_map_member(e);
	*pchunk = cairn_map_pchunk(e);
	return 1;
}

/*
 * Map @vchunk of @vol to a free chunk (it must be unmapped), in one go: for
 * single-threaded callers (tests, tools).  The mapping is durable at the
 * next commit; the caller writes the whole chunk (data, zeros for the rest)
 * before that commit.  -ENOSPC when the pool is full, -EROFS when the pool
 * does not accept writes.
 */
int cairn_provision(struct cairn_pool *pool, struct cairn_volume *vol,
		    u64 vchunk, u32 *member, u64 *pchunk);

/*
 * cairn_provision() in steps, for a data path that runs many provisions at
 * once and initialises the chunk before lookups may find it.  None of the
 * three sleeps or does I/O; the caller serialises them with each other and
 * with everything else that changes the pool (cairn.ko: a spinlock), and
 * guarantees that nothing else touches @vchunk of @vol in between (a cell).
 *
 *   prepare  allocates a chunk and promises room for its journal record;
 *            nothing is recorded and lookups still see @vchunk unmapped.
 *            -EAGAIN: the open transaction is full, commit and retry.
 *            The map's nodes for @vchunk must exist (cairn_map_reserve()).
 *   publish  records the mapping (durable at the next commit) and makes it
 *            visible to lookups; it can not fail.  Call it only once the
 *            chunk holds zeros and the data.
 *   abort    gives back a prepared chunk whose initialisation failed; it was
 *            never recorded, so it is free again at once.
 */
int cairn_provision_prepare(struct cairn_pool *pool, struct cairn_volume *vol,
			    u64 vchunk, u32 *member, u64 *pchunk);
/*
 * Whether cairn_provision_prepare() would find a chunk now (chunks freed in
 * the open transaction are not free until it is committed).  No side
 * effect.
 */
bool cairn_space_left(const struct cairn_pool *pool);
void cairn_provision_publish(struct cairn_pool *pool, struct cairn_volume *vol,
			     u64 vchunk, u32 member, u64 pchunk);
void cairn_provision_abort(struct cairn_pool *pool, struct cairn_volume *vol,
			   u32 member, u64 pchunk);

/* Size of @vol in chunks. */
u64 cairn_volume_chunks(const struct cairn_pool *pool,
			const struct cairn_volume *vol);

/*
 * Unmap @vchunk; its chunk is free for reuse once this is committed.  In one
 * go, for single-threaded callers.
 */
int cairn_discard(struct cairn_pool *pool, struct cairn_volume *vol,
		  u64 vchunk);

/*
 * cairn_discard() in steps, so that the caller can wait, between them, for
 * every I/O that found the old mapping (none of the steps sleeps; serialised
 * as the provisioning steps are):
 *   unmap_begin   hides the mapping from lookups; returns the old entry,
 *                 0 if @vchunk was not mapped (then there is nothing to end);
 *   unmap_end     records the free (allocatable after the next commit);
 *                 -EAGAIN: the open transaction is full, commit and retry;
 *   unmap_cancel  puts the mapping back (unmap_end could not record it).
 */
u64 cairn_unmap_begin(struct cairn_volume *vol, u64 vchunk);
int cairn_unmap_end(struct cairn_pool *pool, struct cairn_volume *vol,
		    u64 vchunk, u64 entry);
void cairn_unmap_cancel(struct cairn_volume *vol, u64 vchunk, u64 entry);

/*
 * Make everything done so far durable: data members are flushed first, then
 * the journal is written and flushed; checkpoints when the journal is half
 * used.  A failure puts the pool read-only.  Exclusive: nothing else may
 * touch the pool meanwhile.
 */
int cairn_commit(struct cairn_pool *pool);

/*
 * Group commit, for a caller whose data path keeps recording while a commit
 * is on its way to disk:
 *   commit_begin  (serialised like prepare/publish, does not sleep) takes
 *                 the open transaction; new records go to a fresh one, new
 *                 frees to the other generation;
 *   commit_write  (no lock but the caller's commit exclusion: metadata I/O)
 *                 flushes the data members if @snap->flush_members, then
 *                 writes and flushes the journal;
 *   commit_end    (serialised like begin) makes the commit's frees
 *                 allocatable, or puts the pool read-only if @r;
 *                 returns @r.
 * Then cairn_checkpoint_due() says whether an exclusive cairn_commit() must
 * run before the next group commit.
 */
struct cairn_commit_snap {
	u8 *txn;
	size_t bytes;
	bool flush_members;
};

int cairn_commit_begin(struct cairn_pool *pool, struct cairn_commit_snap *snap);
int cairn_commit_write(struct cairn_pool *pool, struct cairn_commit_snap *snap);
int cairn_commit_end(struct cairn_pool *pool, struct cairn_commit_snap *snap,
		     int r);
bool cairn_checkpoint_due(const struct cairn_pool *pool);

/* Full consistency check of the in-RAM state; 0 or -EUCLEAN with *why. */
int cairn_pool_check(struct cairn_pool *pool, const char **why);

static inline u64 cairn_chunk_blocks(const struct cairn_pool *pool)
{
	return 1ULL << (pool->sb.chunk_shift - CAIRN_BLOCK_SHIFT);
}

#endif /* CAIRN_CORE_POOL_H */
