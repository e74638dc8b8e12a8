// SPDX-License-Identifier: GPL-2.0
/*
 * Volumes: the pool-owned volume object, its entry point, and the data path
 * below it (provisioning, discards, in-flight accounting).
 *
 * Objects
 * -------
 * A struct cairn_kvol exists for every volume of an assembled pool, made
 * when the pool is opened or the volume created and freed when the volume
 * is deleted or the pool closed.  Device-mapper tables only use it (a table
 * reload makes a second user, then drops the first): everything below
 * cairn_vol_map() works without a table, for the mirror's receiver, the
 * cache's destager and resync later.
 *
 * The hot path
 * ------------
 * cairn_vol_map() of a read or write whose chunk is mapped enters the
 * volume's live epoch (a per-CPU reference), looks the chunk up (lock-free,
 * acquire load), remaps and returns; the I/O exits the epoch when it
 * completes (cairn_vol_end_io()).  No lock, no sleep, no shared cache line
 * written.  A read of an unmapped chunk is zero-filled at once.
 *
 * In-flight accounting (why a freed chunk is never reused too early)
 * -----------------------------------------------------------------
 * An I/O that looked a chunk up may still be on its way to that chunk after
 * a discard unmapped it; if the chunk were reused by another volume the old
 * write would land in, or the old read return, the other volume's data.
 * A discard therefore: (1) hides the mappings (cairn_unmap_begin(); lookups
 * from now on miss), (2) drains the epoch: flips the live epoch and waits
 * until every I/O of the old one has completed — every I/O that could have
 * found the mapping, because an I/O enters before its lookup and the flip is
 * separated from the lookups that follow it by an RCU grace period
 * (percpu_ref_kill), (3) only then records the free (cairn_unmap_end()),
 * which the core makes allocatable after the next commit.  dm-thin does the
 * same with its all_io_ds deferred set.  cairn_inflight_drain() is also the
 * quiesce primitive for the layers above.
 *
 * Cells: provisions and discards of one (volume, chunk) exclude each other
 * ----------------------------------------------------------------------
 * A write to an unmapped chunk and a discard take the chunk's cell (a small
 * hashed table of (volume, chunk) in progress); others wanting the same
 * cell wait on it and are requeued when it is released.  So a chunk is
 * never provisioned twice, and never provisioned while a discard has hidden
 * but not yet freed its old mapping (which could leave two physical chunks
 * naming one volume chunk after a crash).  Different chunks proceed in
 * parallel, on every CPU (cairn_io_wq is a per-CPU workqueue).
 *
 * Provisioning
 * ------------
 * In the worker, under the cell: allocate (cairn_provision_prepare(), under
 * the pool's meta_lock spinlock: no pool mutex), then submit at once and
 * asynchronously the zeroing of the parts of the chunk the write does not
 * cover and the write itself (a clone).  The last completion queues the
 * publish: cairn_provision_publish() records the mapping and makes it
 * visible, and only then does the write complete.  Had a part failed, the
 * chunk is given back unrecorded: it never shows what it held before.
 * Since the record is added after the data is on the member, any commit that
 * carries it flushes the members first (see "Commit" in core/pool.c): a
 * mapping is never durable before its chunk's contents.  A FUA write
 * completes only after the commit that carries its mapping.
 *
 * Commits (cairn_pool.c) are grouped: flushes arriving while a commit is on
 * its way to disk share the next one; no member flush when nothing was
 * written since the last commit.
 *
 * Locks: kp->txn_sem (read) + kp->meta_lock (spinlock) around every core
 * step; the cell buckets' spinlocks; kv->map_lock (a mutex held only while
 * map nodes are allocated, never across I/O).  No mutex is held across
 * data I/O.
 */
#include <linux/module.h>
#include <linux/device-mapper.h>
#include <linux/hash.h>

#include "cairn.h"

static struct workqueue_struct *cairn_io_wq;

enum {
	CAIRN_IO_NEW,
	CAIRN_IO_DISCARD_STARTED,
	CAIRN_IO_AFTER_REMAP,		/* FUA to a mapped chunk: commit first */
	CAIRN_IO_AFTER_END,		/* FUA provision: complete after commit */
	CAIRN_IO_AFTER_RETRY,		/* provision found the txn full */
};

/* ---- in-flight accounting ---- */

static void cairn_inflight_release0(struct percpu_ref *ref)
{
	complete(&container_of(ref, struct cairn_inflight, ref[0])->drained[0]);
}

static void cairn_inflight_release1(struct percpu_ref *ref)
{
	complete(&container_of(ref, struct cairn_inflight, ref[1])->drained[1]);
}

static int cairn_inflight_init(struct cairn_inflight *ifl)
{
	int r;

	mutex_init(&ifl->drain_lock);
	init_completion(&ifl->drained[0]);
	init_completion(&ifl->drained[1]);
	r = percpu_ref_init(&ifl->ref[0], cairn_inflight_release0,
			    PERCPU_REF_ALLOW_REINIT, GFP_KERNEL);
	if (r)
		return r;
	/* The spare epoch starts dead and drained. */
	r = percpu_ref_init(&ifl->ref[1], cairn_inflight_release1,
			    PERCPU_REF_INIT_DEAD, GFP_KERNEL);
	if (r)
		percpu_ref_exit(&ifl->ref[0]);
	ifl->cur = 0;
	return r;
}

static void cairn_inflight_exit(struct cairn_inflight *ifl)
{
	percpu_ref_exit(&ifl->ref[0]);
	percpu_ref_exit(&ifl->ref[1]);
}

/* Enter the live epoch; the caller holds rcu_read_lock() until its lookup. */
static u8 cairn_inflight_enter(struct cairn_inflight *ifl)
{
	unsigned int e;

	for (;;) {
		e = READ_ONCE(ifl->cur);
		if (likely(percpu_ref_tryget_live(&ifl->ref[e])))
			return e;
		/* A drain flipped the epoch meanwhile: the other is live. */
	}
}

static void cairn_inflight_leave(struct cairn_inflight *ifl, u8 e)
{
	percpu_ref_put(&ifl->ref[e]);
}

/*
 * Wait until every I/O that entered before this call has left.  Sleeps;
 * drains run one at a time.
 */
static void cairn_inflight_drain(struct cairn_inflight *ifl)
{
	unsigned int old, new;

	mutex_lock(&ifl->drain_lock);
	old = ifl->cur;
	new = old ^ 1;
	/* The spare was killed by the previous drain, which waited for zero. */
	percpu_ref_reinit(&ifl->ref[new]);
	reinit_completion(&ifl->drained[old]);
	WRITE_ONCE(ifl->cur, new);
	/* After a grace period no one can enter @old; then it drains. */
	percpu_ref_kill(&ifl->ref[old]);
	wait_for_completion(&ifl->drained[old]);
	mutex_unlock(&ifl->drain_lock);
}

/* ---- volume objects ---- */

int cairn_kvol_add(struct cairn_kpool *kp, struct cairn_volume *vol)
{
	struct cairn_kvol *kv = kzalloc(sizeof(*kv), GFP_KERNEL);
	int r;

	if (!kv)
		return -ENOMEM;
	r = cairn_inflight_init(&kv->inflight);
	if (r) {
		kfree(kv);
		return r;
	}
	mutex_init(&kv->map_lock);
	INIT_WORK(&kv->cache_off, cairn_cache_off_work);
	INIT_LIST_HEAD(&kv->tables);
	kv->kp = kp;
	kv->vol = vol;
	list_add_tail(&kv->list, &kp->vols);
	return 0;
}

void cairn_kvol_del(struct cairn_kvol *kv)
{
	cairn_cache_destroy(kv);
	cairn_mirror_destroy(kv);
	list_del(&kv->list);
	cairn_inflight_exit(&kv->inflight);
	kfree(kv);
}

struct cairn_kvol *cairn_kvol_find(struct cairn_kpool *kp, const char *name)
{
	struct cairn_kvol *kv;

	list_for_each_entry(kv, &kp->vols, list)
		if (!strcmp(kv->vol->name, name))
			return kv;
	return NULL;
}

/*
 * A volume object for every volume of a freshly assembled pool; those that
 * were mirrored are mirrored again (as secondary).
 */
int cairn_kvols_init(struct cairn_kpool *kp, const char **why)
{
	struct cairn_kvol *kv;
	unsigned int i;
	int r;

	for (i = 0; i < CAIRN_MAX_VOLUMES; i++) {
		if (!kp->core->volumes[i])
			continue;
		r = cairn_kvol_add(kp, kp->core->volumes[i]);
		if (r) {
			*why = "out of memory";
			return r;
		}
	}
	list_for_each_entry(kv, &kp->vols, list) {
		r = cairn_mirror_restore(kv, why);
		if (r)
			return r;
	}
	return 0;
}

/*
 * Tables using a volume: each links every member as a holder of the table's
 * disk, as dm does for its table devices (lsblk, and the kernel's own
 * checks, see the stack).  Under kp->lock.
 */
static void cairn_ktable_link(struct cairn_kpool *kp, struct cairn_ktable *t)
{
	struct gendisk *disk = dm_disk(dm_table_get_md(t->ti->table));

	for (; t->nr_linked < kp->nr_devs; t->nr_linked++)
		if (bd_link_disk_holder(kp->bdev[t->nr_linked], disk))
			DMWARN("%s: no holder link from member %u", kp->name,
			       t->nr_linked);
}

int cairn_vol_attach(struct cairn_kvol *kv, struct dm_target *ti)
{
	struct cairn_ktable *t = kzalloc(sizeof(*t), GFP_KERNEL);

	if (!t)
		return -ENOMEM;
	t->ti = ti;
	cairn_ktable_link(kv->kp, t);
	list_add(&t->list, &kv->tables);
	return 0;
}

void cairn_vol_detach(struct cairn_kvol *kv, struct dm_target *ti)
{
	struct gendisk *disk = dm_disk(dm_table_get_md(ti->table));
	struct cairn_ktable *t;

	list_for_each_entry(t, &kv->tables, list) {
		if (t->ti != ti)
			continue;
		while (t->nr_linked--)
			bd_unlink_disk_holder(kv->kp->bdev[t->nr_linked], disk);
		list_del(&t->list);
		kfree(t);
		return;
	}
}

/* A member was added: the tables in use link it too. */
void cairn_kvols_link_members(struct cairn_kpool *kp)
{
	struct cairn_ktable *t;
	struct cairn_kvol *kv;

	list_for_each_entry(kv, &kp->vols, list)
		list_for_each_entry(t, &kv->tables, list)
			cairn_ktable_link(kp, t);
}

/* ---- cells ---- */

static struct cairn_cell_bucket *cairn_bucket(struct cairn_kpool *kp,
					      struct cairn_kvol *kv, u64 vchunk)
{
	return &kp->cells[hash_64(vchunk ^ (unsigned long)kv,
				  ilog2(CAIRN_CELL_BUCKETS))];
}

static struct cairn_cell *cairn_cell_find(struct cairn_cell_bucket *b,
					  struct cairn_kvol *kv, u64 vchunk)
{
	struct cairn_cell *c;

	hlist_for_each_entry(c, &b->head, node)
		if (c->kv == kv && c->vchunk == vchunk)
			return c;
	return NULL;
}

/*
 * Take the cell of (@kv, @vchunk).  If it is held: with @io, queue @io on it
 * (it is resubmitted when the cell is released); false either way.
 */
static bool cairn_cell_get(struct cairn_kpool *kp, struct cairn_kvol *kv,
			   u64 vchunk, struct cairn_io *io)
{
	struct cairn_cell_bucket *b = cairn_bucket(kp, kv, vchunk);
	struct cairn_cell *c, *new = mempool_alloc(kp->cell_pool, GFP_NOIO);

	spin_lock_irq(&b->lock);
	c = cairn_cell_find(b, kv, vchunk);
	if (c) {
		if (io)
			cairn_io_list_add(&c->waiters, io);
		spin_unlock_irq(&b->lock);
		mempool_free(new, kp->cell_pool);
		return false;
	}
	new->kv = kv;
	new->vchunk = vchunk;
	new->waiters.head = NULL;
	new->waiters.tail = NULL;
	hlist_add_head(&new->node, &b->head);
	spin_unlock_irq(&b->lock);
	return true;
}

static void cairn_cell_put(struct cairn_kpool *kp, struct cairn_kvol *kv,
			   u64 vchunk)
{
	struct cairn_cell_bucket *b = cairn_bucket(kp, kv, vchunk);
	struct cairn_io *io, *next;
	struct cairn_cell *c;

	spin_lock_irq(&b->lock);
	c = cairn_cell_find(b, kv, vchunk);
	if (WARN_ON_ONCE(!c)) {
		spin_unlock_irq(&b->lock);
		return;
	}
	hlist_del(&c->node);
	io = cairn_io_list_take(&c->waiters);
	spin_unlock_irq(&b->lock);
	mempool_free(c, kp->cell_pool);
	for (; io; io = next) {
		next = io->next;
		cairn_vol_resubmit(io);
	}
}

/* ---- completion helpers ---- */

static blk_status_t cairn_errno_to_status(int r)
{
	switch (r) {
	case 0:
		return BLK_STS_OK;
	case -ENOSPC:
		return BLK_STS_NOSPC;
	case -ENOMEM:
		return BLK_STS_RESOURCE;
	default:
		return BLK_STS_IOERR;
	}
}

void cairn_vol_end(struct cairn_io *io, blk_status_t status)
{
	io->member = U32_MAX;	/* member errors were counted already */
	io->bio->bi_status = status;
	bio_endio(io->bio);
}

/* The first sector of @member's chunk @pchunk on its device. */
static sector_t cairn_chunk_sector(struct cairn_kpool *kp, u32 member,
				   u64 pchunk)
{
	struct cairn_member *m = &kp->core->members[member];

	return (m->info.data_start << (CAIRN_BLOCK_SHIFT - SECTOR_SHIFT)) +
	       (pchunk << kp->chunk_shift);
}

static struct block_device *cairn_member_bdev(struct cairn_kpool *kp,
					      u32 member)
{
	return kp->bdev[kp->core->members[member].dev];
}

/* Point @bio (volume-relative) at its place in @member's @pchunk. */
static void cairn_point(struct cairn_kpool *kp, struct bio *bio, u32 member,
			u64 pchunk)
{
	sector_t mask = (1ULL << kp->chunk_shift) - 1;

	bio_set_dev(bio, cairn_member_bdev(kp, member));
	bio->bi_iter.bi_sector = cairn_chunk_sector(kp, member, pchunk) +
				 (bio->bi_iter.bi_sector & mask);
}

/* Is a commit needed before a FUA write's chunk mapping is durable? */
static bool cairn_commit_pending(struct cairn_kpool *kp)
{
	return READ_ONCE(kp->core->txn_bytes) || READ_ONCE(kp->committing);
}

/* ---- the entry point ---- */

static void cairn_prov_work(struct work_struct *work);
static void cairn_discard_work(struct work_struct *work);

int cairn_thin_map(struct cairn_kvol *kv, struct bio *bio, struct cairn_io *io)
{
	struct cairn_kpool *kp = kv->kp;
	bool write = op_is_write(bio_op(bio));
	u64 pchunk;
	u32 member;
	int found;

	io->kv = kv;
	io->bio = bio;
	io->member = U32_MAX;
	io->epoch = CAIRN_EPOCH_NONE;
	io->state = CAIRN_IO_NEW;
	io->queued = 0;

	if (op_is_flush(bio->bi_opf) && !bio_sectors(bio)) {
		cairn_kpool_flush(kp, io);
		return DM_MAPIO_SUBMITTED;
	}
	if (write && READ_ONCE(kp->core->mode) >= CAIRN_MODE_READ_ONLY)
		return DM_MAPIO_KILL;
	if (bio_op(bio) == REQ_OP_DISCARD) {
		INIT_WORK(&io->work, cairn_discard_work);
		queue_work(cairn_io_wq, &io->work);
		return DM_MAPIO_SUBMITTED;
	}

	io->vchunk = bio->bi_iter.bi_sector >> kp->chunk_shift;
	/*
	 * One chunk is looked up and remapped: a bio past it would run into
	 * whatever follows that chunk on the member.  dm splits host I/O at
	 * the chunk (max_io_len) and every layer below it splits its own.
	 */
	if (unlikely(bio_sectors(bio) &&
		     (bio_end_sector(bio) - 1) >> kp->chunk_shift != io->vchunk)) {
		DMERR_LIMIT("%s/%s: %s of %u sectors at %llu crosses a chunk: refused",
			    kp->name, kv->vol->name, blk_op_str(bio_op(bio)),
			    bio_sectors(bio),
			    (unsigned long long)bio->bi_iter.bi_sector);
		return DM_MAPIO_KILL;
	}
	rcu_read_lock();
	io->epoch = cairn_inflight_enter(&kv->inflight);
	found = cairn_lookup(kv->vol, io->vchunk, &member, &pchunk);
	rcu_read_unlock();
	if (!found) {
		cairn_inflight_leave(&kv->inflight, io->epoch);
		io->epoch = CAIRN_EPOCH_NONE;
		if (!write) {
			cairn_count(kp, CAIRN_CNT_ZERO_READS);
			zero_fill_bio(bio);
			bio_endio(bio);
			return DM_MAPIO_SUBMITTED;
		}
		INIT_WORK(&io->work, cairn_prov_work);
		queue_work(cairn_io_wq, &io->work);
		return DM_MAPIO_SUBMITTED;
	}
	io->member = member;
	io->pchunk = pchunk;
	/* FUA: the chunk's mapping must be durable too. */
	if (write && (bio->bi_opf & REQ_FUA) && cairn_commit_pending(kp)) {
		io->state = CAIRN_IO_AFTER_REMAP;
		cairn_kpool_after_commit(kp, io);
		return DM_MAPIO_SUBMITTED;
	}
	cairn_count(kp, write ? CAIRN_CNT_WRITES : CAIRN_CNT_READS);
	cairn_point(kp, bio, member, pchunk);
	return DM_MAPIO_REMAPPED;
}

void cairn_vol_end_io(struct cairn_io *io, blk_status_t *err)
{
	struct cairn_kvol *kv = io->kv;
	struct cairn_kpool *kp = kv->kp;

	if (io->epoch != CAIRN_EPOCH_NONE) {
		cairn_inflight_leave(&kv->inflight, io->epoch);
		io->epoch = CAIRN_EPOCH_NONE;
	}
	if (*err && io->member != U32_MAX && *err != BLK_STS_NOTSUPP &&
	    *err != BLK_STS_DM_REQUEUE) {
		DMERR_LIMIT("%s: I/O error on member %u", kp->name, io->member);
		cairn_kpool_member_error(kp, io->member);
	}
	/*
	 * A completed write to a member: the next commit flushes the members
	 * -- not for a FUA write, durable already.  (Only remapped I/O has a
	 * member: not the flushes, which must not
	 * make the next one flush, nor what the volume completed itself.)
	 */
	if (!*err && io->member != U32_MAX && op_is_write(bio_op(io->bio)) &&
	    !(io->bio->bi_opf & REQ_FUA) && !READ_ONCE(kp->dirty))
		WRITE_ONCE(kp->dirty, 1);
	if (io->cache)
		cairn_cache_end_io(io, *err);
}

/*
 * Carry out what a map function returned for @bio when no dm core is there
 * to do it (the layers' own I/O: the mirror's, the cache's).
 */
void cairn_vol_dispatch(struct bio *bio, int r)
{
	if (r == DM_MAPIO_REMAPPED)
		submit_bio_noacct(bio);
	else if (r != DM_MAPIO_SUBMITTED)
		bio_io_error(bio);
}

/* Run @io again from the start of its path (cell released, space, commit). */
void cairn_vol_resubmit(struct cairn_io *io)
{
	if (io->state == CAIRN_IO_AFTER_REMAP) {
		struct cairn_kpool *kp = io->kv->kp;

		cairn_count(kp, CAIRN_CNT_WRITES);
		cairn_point(kp, io->bio, io->member, io->pchunk);
		submit_bio_noacct(io->bio);
		return;
	}
	if (io->state == CAIRN_IO_AFTER_END) {
		cairn_vol_end(io, BLK_STS_OK);
		return;
	}
	if (bio_op(io->bio) == REQ_OP_DISCARD) {
		INIT_WORK(&io->work, cairn_discard_work);
	} else {
		io->state = CAIRN_IO_NEW;
		INIT_WORK(&io->work, cairn_prov_work);
	}
	queue_work(cairn_io_wq, &io->work);
}

/* ---- provisioning ---- */

static void cairn_publish_work(struct work_struct *work)
{
	struct cairn_io *io = container_of(work, struct cairn_io, work);
	struct cairn_kvol *kv = io->kv;
	struct cairn_kpool *kp = kv->kp;
	blk_status_t status = READ_ONCE(io->status);

	cairn_meta_lock(kp);
	if (status)
		cairn_provision_abort(kp->core, kv->vol, io->member, io->pchunk);
	else
		cairn_provision_publish(kp->core, kv->vol, io->vchunk,
					io->member, io->pchunk);
	/*
	 * Under the lock that commit_begin takes: the commit that carries
	 * the record sees the flag, and flushes the chunk's data first.
	 */
	if (!status)
		WRITE_ONCE(kp->dirty, 1);
	cairn_meta_unlock(kp);
	cairn_cell_put(kp, kv, io->vchunk);

	if (status) {
		DMERR_LIMIT("%s: writing a new chunk failed", kp->name);
		cairn_kpool_member_error(kp, io->member);
		cairn_vol_end(io, status);
		return;
	}
	cairn_count(kp, CAIRN_CNT_PROVISIONS);
	cairn_count(kp, CAIRN_CNT_WRITES);
	if (io->bio->bi_opf & REQ_FUA) {
		io->state = CAIRN_IO_AFTER_END;
		cairn_kpool_after_commit(kp, io);
		return;
	}
	cairn_vol_end(io, BLK_STS_OK);
}

static void cairn_prov_part_done(struct cairn_io *io, blk_status_t status)
{
	if (status)
		WRITE_ONCE(io->status, status);
	if (atomic_dec_and_test(&io->pending))
		queue_work(cairn_io_wq, &io->work);
}

static void cairn_prov_endio(struct bio *bio)
{
	struct cairn_io *io = bio->bi_private;
	blk_status_t status = bio->bi_status;

	bio_put(bio);
	cairn_prov_part_done(io, status);
}

/* Zero [@from, @to) sectors of the new chunk, asynchronously. */
static void cairn_prov_zero(struct cairn_io *io, struct block_device *bdev,
			    sector_t base, sector_t from, sector_t to)
{
	struct bio *bio = NULL;
	int r;

	if (from >= to)
		return;
	r = __blkdev_issue_zeroout(bdev, base + from, to - from, GFP_NOIO, &bio,
				   BLKDEV_ZERO_NOUNMAP);
	if (r || !bio) {
		WRITE_ONCE(io->status, cairn_errno_to_status(r ?: -EIO));
		return;
	}
	atomic_inc(&io->pending);
	bio->bi_end_io = cairn_prov_endio;
	bio->bi_private = io;
	submit_bio(bio);
}

static void cairn_prov_nospace(struct cairn_io *io)
{
	struct cairn_kpool *kp = io->kv->kp;

	cairn_count(kp, CAIRN_CNT_NOSPACE);
	if (READ_ONCE(kp->core->sb.nospace_policy) == CAIRN_NOSPACE_QUEUE)
		cairn_kpool_park(kp, io);
	else
		cairn_vol_end(io, BLK_STS_NOSPC);
}

static void cairn_prov_work(struct work_struct *work)
{
	struct cairn_io *io = container_of(work, struct cairn_io, work);
	struct cairn_kvol *kv = io->kv;
	struct cairn_kpool *kp = kv->kp;
	struct bio *bio = io->bio, *clone;
	sector_t mask = (1ULL << kp->chunk_shift) - 1;
	sector_t from = bio->bi_iter.bi_sector & mask;
	sector_t to = from + bio_sectors(bio);
	struct block_device *bdev;
	sector_t base;
	u64 pchunk;
	u32 member;
	int r;

	if (!cairn_cell_get(kp, kv, io->vchunk, io))
		return;		/* resubmitted when the cell is released */

	/* Provisioned meanwhile (by the write that held the cell)? */
	rcu_read_lock();
	io->epoch = cairn_inflight_enter(&kv->inflight);
	r = cairn_lookup(kv->vol, io->vchunk, &member, &pchunk);
	rcu_read_unlock();
	if (r) {
		cairn_cell_put(kp, kv, io->vchunk);
		io->member = member;
		io->pchunk = pchunk;
		io->state = CAIRN_IO_AFTER_REMAP;
		if ((bio->bi_opf & REQ_FUA) && cairn_commit_pending(kp))
			cairn_kpool_after_commit(kp, io);
		else
			cairn_vol_resubmit(io);
		return;
	}
	cairn_inflight_leave(&kv->inflight, io->epoch);
	io->epoch = CAIRN_EPOCH_NONE;

	/* Writes wait for space: in line behind them (cairn_kpool_park()). */
	if (READ_ONCE(kp->nospace.head) &&
	    READ_ONCE(kp->core->sb.nospace_policy) == CAIRN_NOSPACE_QUEUE) {
		cairn_cell_put(kp, kv, io->vchunk);
		if (!cairn_kpool_park_behind(kp, io))
			cairn_vol_resubmit(io);	/* the line went meanwhile */
		return;
	}

	mutex_lock(&kv->map_lock);
	r = cairn_map_reserve(&kv->vol->map, io->vchunk);
	mutex_unlock(&kv->map_lock);
	if (!r) {
		cairn_meta_lock(kp);
		r = cairn_provision_prepare(kp->core, kv->vol, io->vchunk,
					    &member, &pchunk);
		cairn_meta_unlock(kp);
	}
	if (r) {
		cairn_cell_put(kp, kv, io->vchunk);
		if (r == -EAGAIN) {		/* the transaction is full */
			io->state = CAIRN_IO_AFTER_RETRY;
			cairn_kpool_after_commit(kp, io);
		} else if (r == -ENOSPC) {
			cairn_prov_nospace(io);
		} else {
			cairn_vol_end(io, cairn_errno_to_status(r));
		}
		return;
	}

	/* Zeros around the data, and the data, all at once. */
	io->member = member;
	io->pchunk = pchunk;
	io->status = BLK_STS_OK;
	atomic_set(&io->pending, 1);
	INIT_WORK(&io->work, cairn_publish_work);
	bdev = cairn_member_bdev(kp, member);
	base = cairn_chunk_sector(kp, member, pchunk);
	cairn_prov_zero(io, bdev, base, 0, from);
	cairn_prov_zero(io, bdev, base, to, mask + 1);
	clone = bio_alloc_clone(bdev, bio, GFP_NOIO, &kp->bs);
	cairn_point(kp, clone, member, pchunk);
	clone->bi_opf &= ~REQ_FUA;	/* the commit makes it durable */
	clone->bi_end_io = cairn_prov_endio;
	clone->bi_private = io;
	atomic_inc(&io->pending);
	submit_bio_noacct(clone);
	cairn_prov_part_done(io, BLK_STS_OK);
}

/* ---- discards ---- */

#define CAIRN_DISCARD_BATCH 32

/*
 * Zero volume sectors [@from, @to), which lie in one chunk, if that chunk
 * is mapped (an unmapped chunk reads zeros already).  An I/O like any other:
 * accounted in the epoch, so no discard can free the chunk meanwhile.
 */
static int cairn_zero_partial(struct cairn_kvol *kv, sector_t from, sector_t to)
{
	struct cairn_kpool *kp = kv->kp;
	sector_t mask = (1ULL << kp->chunk_shift) - 1;
	u64 pchunk;
	u32 member;
	int r = 0;
	u8 e;

	if (from >= to)
		return 0;
	rcu_read_lock();
	e = cairn_inflight_enter(&kv->inflight);
	r = cairn_lookup(kv->vol, from >> kp->chunk_shift, &member, &pchunk);
	rcu_read_unlock();
	if (r) {
		r = blkdev_issue_zeroout(cairn_member_bdev(kp, member),
					 cairn_chunk_sector(kp, member, pchunk) + (from & mask),
					 to - from, GFP_NOIO, BLKDEV_ZERO_NOUNMAP);
		if (r)
			cairn_kpool_member_error(kp, member);
		else
			WRITE_ONCE(kp->dirty, 1);	/* a FLUSH makes it durable */
	}
	cairn_inflight_leave(&kv->inflight, e);
	return r;
}

/* Free chunks [@first, @first + @n), whose cells are held. */
static int cairn_discard_batch(struct cairn_kvol *kv, u64 first, unsigned int n)
{
	struct cairn_kpool *kp = kv->kp;
	u64 old[CAIRN_DISCARD_BATCH];
	unsigned int i, hidden = 0;
	int r = 0;

	cairn_meta_lock(kp);
	for (i = 0; i < n; i++) {
		old[i] = cairn_unmap_begin(kv->vol, first + i);
		hidden += !!old[i];
	}
	cairn_meta_unlock(kp);
	if (!hidden)
		return 0;

	/* Every I/O that may have found these mappings completes first. */
	cairn_inflight_drain(&kv->inflight);

	for (i = 0; i < n; i++) {
		if (!old[i])
			continue;
		if (!r) {
			cairn_meta_lock(kp);
			r = cairn_unmap_end(kp->core, kv->vol, first + i, old[i]);
			cairn_meta_unlock(kp);
			if (r == -EAGAIN) {
				/* The transaction is full: commit it here. */
				down_write(&kp->txn_sem);
				r = cairn_commit(kp->core);
				if (!r)
					r = cairn_unmap_end(kp->core, kv->vol,
							    first + i, old[i]);
				up_write(&kp->txn_sem);
			}
			if (!r) {
				cairn_count(kp, CAIRN_CNT_DISCARDS);
				continue;
			}
		}
		cairn_meta_lock(kp);
		cairn_unmap_cancel(kv->vol, first + i, old[i]);
		cairn_meta_unlock(kp);
	}
	return r;
}

/*
 * A discard: zeros over the partly covered chunks at either end (a
 * discarded range always reads zeros: LIO reports LBPRZ and implements WRITE
 * SAME with UNMAP as an unmap), then the whole chunks are freed, a batch at
 * a time under their cells.  Resumable: io->discard_pos is the next chunk.
 */
static void cairn_discard_work(struct work_struct *work)
{
	struct cairn_io *io = container_of(work, struct cairn_io, work);
	struct cairn_kvol *kv = io->kv;
	struct cairn_kpool *kp = kv->kp;
	struct bio *bio = io->bio;
	sector_t start = bio->bi_iter.bi_sector, end = bio_end_sector(bio);
	u64 first = (start + (1ULL << kp->chunk_shift) - 1) >> kp->chunk_shift;
	u64 last = end >> kp->chunk_shift;	/* exclusive */
	sector_t head_end = min_t(sector_t, end, first << kp->chunk_shift);
	bool freed = false;
	int r = 0;

	if (READ_ONCE(kp->core->mode) >= CAIRN_MODE_READ_ONLY) {
		cairn_vol_end(io, BLK_STS_IOERR);
		return;
	}
	if (io->state == CAIRN_IO_NEW) {
		io->state = CAIRN_IO_DISCARD_STARTED;
		io->discard_pos = first;
		r = cairn_zero_partial(kv, start, head_end);
		if (!r && last >= first)
			r = cairn_zero_partial(kv, max_t(sector_t, head_end,
							 last << kp->chunk_shift),
					       end);
	}
	while (!r && io->discard_pos < last) {
		u64 pos = io->discard_pos;
		unsigned int n = 0;

		while (pos + n < last && n < CAIRN_DISCARD_BATCH &&
		       cairn_cell_get(kp, kv, pos + n, NULL))
			n++;
		if (!n) {
			/* The first is busy: wait for it, then go on. */
			if (!cairn_cell_get(kp, kv, pos, io))
				return;
			n = 1;
		}
		r = cairn_discard_batch(kv, pos, n);
		freed = true;
		io->discard_pos = pos + n;
		while (n--)
			cairn_cell_put(kp, kv, pos + n);
	}
	if (freed)
		cairn_kpool_space_freed(kp);
	cairn_vol_end(io, cairn_errno_to_status(r));
}

/* ---- suspend ---- */

/*
 * Writes parked for space: a noflush suspend hands them back to dm, which
 * issues them again after the resume; a flush suspend must see every I/O
 * completed, so they fail with ENOSPC at once instead of holding the
 * suspend for the pool's timeout.
 */
void cairn_vol_presuspend(struct cairn_kvol *kv, bool noflush)
{
	struct cairn_kpool *kp = kv->kp;
	struct cairn_io_list mine = { };
	struct cairn_io *io, *next;

	spin_lock_irq(&kp->bio_lock);
	kv->requeue = noflush;
	kv->suspending = !noflush;
	for (io = cairn_io_list_take(&kp->nospace); io; io = next) {
		next = io->next;
		cairn_io_list_add(io->kv == kv ? &mine : &kp->nospace, io);
	}
	spin_unlock_irq(&kp->bio_lock);
	for (io = mine.head; io; io = next) {
		next = io->next;
		cairn_vol_end(io, noflush ? BLK_STS_DM_REQUEUE : BLK_STS_NOSPC);
	}
}

void cairn_vol_resume(struct cairn_kvol *kv)
{
	struct cairn_kpool *kp = kv->kp;

	spin_lock_irq(&kp->bio_lock);
	kv->requeue = false;
	kv->suspending = false;
	spin_unlock_irq(&kp->bio_lock);
}

int __init cairn_volume_init(void)
{
	/* Per-CPU (bound): provisioning runs on the CPU that issued it. */
	cairn_io_wq = alloc_workqueue("cairn_io", WQ_MEM_RECLAIM, 0);
	return cairn_io_wq ? 0 : -ENOMEM;
}

void cairn_volume_exit(void)
{
	destroy_workqueue(cairn_io_wq);
}
