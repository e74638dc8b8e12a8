/* SPDX-License-Identifier: GPL-2.0 */
/*
 * cairn.ko internal interfaces between the module's adapters.
 */
#ifndef CAIRN_H
#define CAIRN_H

#include <linux/bio.h>
#include <linux/blkdev.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/workqueue.h>

#include "core/names.h"
#include "core/pool.h"
#include "uapi/cairn_nl.h"

#define DM_MSG_PREFIX "cairn"

#define CAIRN_MODULE_VERSION "0.3.0"

#define CAIRN_TARGET_MAJOR 0
#define CAIRN_TARGET_MINOR 3
#define CAIRN_TARGET_PATCH 0

/* The largest discard the target takes at once (dm splits larger ones). */
#define CAIRN_MAX_DISCARD_SECTORS ((256U << 20) >> SECTOR_SHIFT)

/*
 * An assembled pool: the core's pool plus the block devices it sits on.
 * @lock serialises every call into the core that changes the pool.
 */
struct cairn_kpool {
	struct list_head list;		/* in cairn_registry.pools */
	char name[CAIRN_NAME_LEN + 1];
	struct mutex lock;		/* serialises changes to core */
	struct cairn_pool *core;
	unsigned int nr_devs;
	struct block_device *bdev[CAIRN_MAX_MEMBERS];
	char *path[CAIRN_MAX_MEMBERS];
	struct page *io_page;		/* bounce page for metadata I/O */
	unsigned int nr_volumes_open;	/* dm tables using the pool */
	struct list_head volumes;	/* open struct cairn_kvol, under lock */

	/*
	 * The data path's worker: provisioning, flushes, FUA writes that
	 * need a commit, discards, and writes waiting for space.  Ordered:
	 * one bio at a time, so a chunk is initialised before any later
	 * bio can find it.
	 */
	struct workqueue_struct *wq;
	struct work_struct worker;
	struct delayed_work nospace_timer;
	struct work_struct event_work;
	spinlock_t bio_lock;		/* protects deferred and nospace */
	struct bio_list deferred;
	struct bio_list nospace;	/* waiting for free space */
	atomic_t member_errors[CAIRN_MAX_MEMBERS];
	atomic64_t counters[__CAIRN_CNT_MAX];	/* enum cairn_counter */
	struct bio_set bs;		/* clones for writes to new chunks */
	unsigned int chunk_shift;	/* in sectors */
};

/* A volume in use by a device-mapper table. */
struct cairn_kvol {
	struct list_head list;		/* in cairn_kpool.volumes */
	struct cairn_kpool *kp;
	struct cairn_volume *vol;
	struct dm_target *ti;
};

/* Per-bio state of the target. */
struct cairn_bio {
	struct cairn_kvol *kv;
	unsigned long queued;		/* jiffies, when waiting for space */
	u32 member;			/* remapped to; U32_MAX if not */
};

/*
 * Pools known to this module.  A pool joins the registry when it is created
 * or opened over netlink and leaves it when it is closed.  The registry
 * mutex serialises control operations, never the I/O path.
 */
struct cairn_registry {
	struct mutex lock;		/* protects pools and nr_pools */
	struct list_head pools;
	unsigned int nr_pools;
};

extern struct cairn_registry cairn_registry;

unsigned int cairn_pool_count(void);
struct cairn_kpool *cairn_kpool_find(const char *name);	/* registry lock held */

/* Pool lifecycle (cairn_pool.c); registry lock held; messages in *why. */
int cairn_kpool_create(const char *name, char **paths, unsigned int nr,
		       u32 chunk_shift, u32 threshold, u32 policy, u32 timeout,
		       struct cairn_kpool **kpp, const char **bad,
		       const char **why);
int cairn_kpool_open(char **paths, unsigned int nr, struct cairn_kpool **kpp,
		     const char **bad, const char **why);
int cairn_kpool_close(struct cairn_kpool *kp, const char **why);
int cairn_kpool_add_member(struct cairn_kpool *kp, const char *path,
			   const char **why);

/* The data path (cairn_pool.c). */
void cairn_kpool_defer(struct cairn_kpool *kp, struct bio *bio);
void cairn_kpool_remap(struct cairn_kpool *kp, struct bio *bio, u32 member,
		       u64 pchunk);
void cairn_kpool_space_changed(struct cairn_kpool *kp);
void cairn_kpool_member_error(struct cairn_kpool *kp, u32 member);
const char *cairn_mode_name(enum cairn_mode mode);

static inline void cairn_count(struct cairn_kpool *kp, enum cairn_counter c)
{
	atomic64_inc(&kp->counters[c]);
}

bool cairn_kvol_busy(struct cairn_kpool *kp, struct cairn_volume *vol);

/* Netlink events (cairn_netlink.c). */
void cairn_nl_event(const char *pool, u32 event, u64 value, u64 capacity,
		    u64 allocated);

int cairn_target_init(void);
void cairn_target_exit(void);

int cairn_netlink_init(void);
void cairn_netlink_exit(void);

#endif /* CAIRN_H */
