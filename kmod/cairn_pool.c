// SPDX-License-Identifier: GPL-2.0
/*
 * Pools in the kernel: the core's pool (core/pool.c) on block devices.
 *
 * Members are opened exclusively (FMODE_EXCL, the pool as holder), so a
 * device that is mounted, used by another device-mapper table or by md is
 * refused, and nothing else can open it while it is a member.  Metadata
 * I/O is synchronous 4 KiB bios through a bounce page (kp->io_page), from
 * process context, by whoever may write metadata: an exclusive core call
 * (kp->lock and the write side of kp->txn_sem: control operations,
 * checkpoints) or the group commit (the pool's ordered worker, the read
 * side of txn_sem), never both at once.  The data path's own steps are in
 * cairn_volume.c.
 *
 * Group commit: empty flushes, FUA writes whose mapping is not durable yet,
 * and provisions that found the transaction full wait on the pool's lists;
 * the ordered worker takes them all, runs one commit, and completes or
 * resubmits them.  Whatever arrives meanwhile waits for the next one, so a
 * flush is never completed by a commit that began before it arrived.
 *
 * Writes that find no space (nospace=wait) wait in one line, served in
 * turn; a write that needs a chunk while the line is not empty goes to its
 * end.  Why, and how a commit's free and a write's joining can not miss
 * each other: above cairn_kpool_enqueue().
 *
 * Every open pool holds a reference on this module: cairn.ko can not be
 * unloaded while a pool is open.
 */
#include <linux/module.h>
#include <linux/bio.h>
#include <linux/blkdev.h>
#include <linux/device-mapper.h>
#include <linux/random.h>
#include <linux/slab.h>

#include "cairn.h"
#include "uapi/cairn_nl.h"

#define CAIRN_BDEV_MODE (FMODE_READ | FMODE_WRITE | FMODE_EXCL)

static int cairn_kio(struct cairn_kpool *kp, struct page *page,
		     unsigned int dev, u64 block, blk_opf_t opf)
{
	struct bio_vec bvec;
	struct bio bio;
	int r;

	if (dev >= kp->nr_devs)
		return -EIO;
	if ((block + 1) * CAIRN_BLOCK_SIZE > bdev_nr_bytes(kp->bdev[dev]))
		return -EIO;
	bio_init(&bio, kp->bdev[dev], &bvec, 1, opf | REQ_META | REQ_SYNC);
	bio.bi_iter.bi_sector = block << (CAIRN_BLOCK_SHIFT - SECTOR_SHIFT);
	__bio_add_page(&bio, page, CAIRN_BLOCK_SIZE, 0);
	r = submit_bio_wait(&bio);
	bio_uninit(&bio);
	return r;
}

static int cairn_kread(void *ctx, unsigned int dev, u64 block, void *buf)
{
	struct cairn_kpool *kp = ctx;
	int r;

	r = cairn_kio(kp, kp->io_page, dev, block, REQ_OP_READ);
	if (!r)
		memcpy(buf, page_address(kp->io_page), CAIRN_BLOCK_SIZE);
	return r;
}

static int cairn_kwrite(void *ctx, unsigned int dev, u64 block,
			const void *buf)
{
	struct cairn_kpool *kp = ctx;

	memcpy(page_address(kp->io_page), buf, CAIRN_BLOCK_SIZE);
	return cairn_kio(kp, kp->io_page, dev, block, REQ_OP_WRITE);
}

int cairn_kpool_meta_write(struct cairn_kpool *kp, struct page *page,
			   u64 block)
{
	unsigned int dev = kp->core->members[kp->core->sb.meta_member].dev;

	return cairn_kio(kp, page, dev, block, REQ_OP_WRITE | REQ_FUA);
}

static int cairn_kflush(void *ctx, unsigned int dev)
{
	struct cairn_kpool *kp = ctx;

	if (dev >= kp->nr_devs)
		return -EIO;
	return blkdev_issue_flush(kp->bdev[dev]);
}

const char *cairn_mode_name(enum cairn_mode mode)
{
	static const char *const names[] = {
		[CAIRN_MODE_WRITE] = "write",
		[CAIRN_MODE_OUT_OF_SPACE] = "out-of-space",
		[CAIRN_MODE_READ_ONLY] = "read-only",
		[CAIRN_MODE_FAILED] = "failed",
	};

	return mode < ARRAY_SIZE(names) ? names[mode] : "unknown";
}

/* The core's events: a kernel log line and a netlink event each. */
static void cairn_kevent(void *ctx, const struct cairn_event *ev)
{
	struct cairn_kpool *kp = ctx;
	u64 chunk = kp->core ? 1ULL << kp->core->sb.chunk_shift : 0;
	u32 type;

	switch (ev->type) {
	case CAIRN_EVENT_THRESHOLD:
		type = ev->value ? CAIRN_EVENT_THRESHOLD_UP :
				   CAIRN_EVENT_THRESHOLD_DOWN;
		DMINFO("%s: allocation %s the threshold (%llu of %llu chunks)",
		       kp->name, ev->value ? "crossed" : "fell below",
		       ev->allocated, ev->capacity);
		break;
	case CAIRN_EVENT_MODE:
		type = CAIRN_EVENT_MODE_CHANGED;
		DMWARN("%s: switching pool to %s mode", kp->name,
		       cairn_mode_name(ev->value));
		break;
	case CAIRN_EVENT_NO_SPACE:
		type = CAIRN_EVENT_OUT_OF_SPACE;
		DMWARN_LIMIT("%s: no free chunk", kp->name);
		break;
	case CAIRN_EVENT_META_ERROR:
		type = CAIRN_EVENT_METADATA_ERROR;
		DMERR("%s: metadata I/O failed (%d)", kp->name, -(int)ev->value);
		break;
	default:
		return;
	}
	if (kp->defer_events) {
		/* Under meta_lock: sent by event_work. */
		spin_lock(&kp->ev_lock);
		if (kp->evq_n < CAIRN_EVQ_LEN) {
			struct cairn_kevent_rec *e = &kp->evq[kp->evq_n++];

			e->type = type;
			e->value = ev->value;
			e->capacity = ev->capacity * chunk;
			e->allocated = ev->allocated * chunk;
		} else {
			kp->evq_dropped++;
		}
		spin_unlock(&kp->ev_lock);
		return;
	}
	cairn_nl_event(kp->name, type, ev->value, ev->capacity * chunk,
		       ev->allocated * chunk);
}

/*
 * The data path's steps on the core: the read side of txn_sem (exclusive
 * core calls take the write side), then meta_lock.  Events the core raises
 * meanwhile are queued and sent from event_work.
 */
static void cairn_meta_spin_lock(struct cairn_kpool *kp)
	__acquires(&kp->meta_lock)
{
	spin_lock(&kp->meta_lock);
	kp->defer_events = true;
}

static void cairn_meta_spin_unlock(struct cairn_kpool *kp)
	__releases(&kp->meta_lock)
{
	bool queued;

	kp->defer_events = false;
	spin_unlock(&kp->meta_lock);
	spin_lock(&kp->ev_lock);
	queued = kp->evq_n || kp->evq_dropped;
	spin_unlock(&kp->ev_lock);
	if (queued)
		schedule_work(&kp->event_work);
}

void cairn_meta_lock(struct cairn_kpool *kp)
	__acquires(&kp->meta_lock)
{
	down_read(&kp->txn_sem);
	cairn_meta_spin_lock(kp);
}

void cairn_meta_unlock(struct cairn_kpool *kp)
	__releases(&kp->meta_lock)
{
	cairn_meta_spin_unlock(kp);
	up_read(&kp->txn_sem);
}

static const struct cairn_io_ops cairn_kio_ops = {
	.read = cairn_kread,
	.write = cairn_kwrite,
	.flush = cairn_kflush,
	.event = cairn_kevent,
};

/*
 * Probing a device that is not (yet) a member reads through a page of its
 * own: kp->io_page belongs to the metadata path, which may be writing a
 * journal block through it at the same moment.
 */
struct cairn_probe {
	struct cairn_kpool *kp;
	struct page *page;
};

static int cairn_probe_read(void *ctx, unsigned int dev, u64 block, void *buf)
{
	struct cairn_probe *pr = ctx;
	int r;

	r = cairn_kio(pr->kp, pr->page, dev, block, REQ_OP_READ);
	if (!r)
		memcpy(buf, page_address(pr->page), CAIRN_BLOCK_SIZE);
	return r;
}

static const struct cairn_io_ops cairn_probe_ops = {
	.read = cairn_probe_read,
};

static void cairn_kpool_put_devs(struct cairn_kpool *kp)
{
	unsigned int i;

	for (i = 0; i < kp->nr_devs; i++) {
		blkdev_put(kp->bdev[i], CAIRN_BDEV_MODE);
		kfree(kp->path[i]);
	}
	kp->nr_devs = 0;
}

/* Stop everything that may run on its own and look at the pool. */
static void cairn_kpool_quiesce(struct cairn_kpool *kp)
{
	if (!kp->wq)
		return;
	cancel_delayed_work_sync(&kp->nospace_timer);
	flush_workqueue(kp->wq);
	cancel_work_sync(&kp->event_work);
}

/* The core has been closed or freed (or never assembled). */
static void cairn_kpool_free(struct cairn_kpool *kp)
{
	struct cairn_kvol *kv, *tmp;

	cairn_kpool_quiesce(kp);
	list_for_each_entry_safe(kv, tmp, &kp->vols, list)
		cairn_kvol_del(kv);
	if (kp->wq)
		destroy_workqueue(kp->wq);
	mempool_destroy(kp->cell_pool);
	bioset_exit(&kp->bs);
	free_percpu(kp->counters);
	cairn_kpool_put_devs(kp);
	if (kp->io_page)
		__free_page(kp->io_page);
	kfree(kp);
}

static void cairn_commit_worker(struct work_struct *work);
static void cairn_nospace_timeout(struct work_struct *work);
static void cairn_event_worker(struct work_struct *work);

static struct cairn_kpool *cairn_kpool_alloc(void)
{
	struct cairn_kpool *kp = kzalloc(sizeof(*kp), GFP_KERNEL);
	unsigned int i;

	if (!kp)
		return NULL;
	mutex_init(&kp->lock);
	init_rwsem(&kp->txn_sem);
	spin_lock_init(&kp->meta_lock);
	INIT_LIST_HEAD(&kp->list);
	INIT_LIST_HEAD(&kp->vols);
	spin_lock_init(&kp->bio_lock);
	spin_lock_init(&kp->ev_lock);
	INIT_WORK(&kp->commit_work, cairn_commit_worker);
	INIT_DELAYED_WORK(&kp->nospace_timer, cairn_nospace_timeout);
	INIT_WORK(&kp->event_work, cairn_event_worker);
	for (i = 0; i < CAIRN_CELL_BUCKETS; i++) {
		spin_lock_init(&kp->cells[i].lock);
		INIT_HLIST_HEAD(&kp->cells[i].head);
	}
	kp->io_page = alloc_page(GFP_KERNEL);
	kp->wq = alloc_ordered_workqueue("cairn_pool", WQ_MEM_RECLAIM);
	kp->counters = __alloc_percpu(sizeof(u64) * __CAIRN_CNT_MAX, __alignof__(u64));
	kp->cell_pool = mempool_create_kmalloc_pool(64, sizeof(struct cairn_cell));
	if (!kp->io_page || !kp->wq || !kp->counters || !kp->cell_pool ||
	    bioset_init(&kp->bs, 64, 0, 0)) {
		cairn_kpool_free(kp);
		return NULL;
	}
	return kp;
}

/*
 * Open @path exclusively as the next device of @kp.  Refuses a device that
 * is in use, is already one of the pool's, or is not a block device.
 */
static int cairn_kpool_get_dev(struct cairn_kpool *kp, const char *path,
			       const char **why)
{
	struct block_device *bdev;
	unsigned int i;

	bdev = blkdev_get_by_path(path, CAIRN_BDEV_MODE, kp);
	if (IS_ERR(bdev)) {
		switch (PTR_ERR(bdev)) {
		case -EBUSY:
			*why = "device in use (mounted, or held by another driver)";
			break;
		case -ENOENT:
			*why = "no such device";
			break;
		case -ENOTBLK:
			*why = "not a block device";
			break;
		default:
			*why = "cannot open device";
		}
		return PTR_ERR(bdev);
	}
	for (i = 0; i < kp->nr_devs; i++) {
		if (kp->bdev[i]->bd_dev == bdev->bd_dev) {
			blkdev_put(bdev, CAIRN_BDEV_MODE);
			*why = "device listed twice";
			return -EEXIST;
		}
	}
	kp->path[kp->nr_devs] = kstrdup(path, GFP_KERNEL);
	if (!kp->path[kp->nr_devs]) {
		blkdev_put(bdev, CAIRN_BDEV_MODE);
		*why = "out of memory";
		return -ENOMEM;
	}
	kp->bdev[kp->nr_devs++] = bdev;
	return 0;
}

/*
 * Refuse a device that holds a Cairn superblock (any pool's, any format
 * version, damaged or not) or that can not be read.
 */
static int cairn_kpool_check_blank(struct cairn_kpool *kp, unsigned int dev,
				   const char **why)
{
	struct cairn_probe pr = { .kp = kp };
	struct cairn_super *sb;
	unsigned int slot;
	const char *w;
	void *buf;
	int r;

	sb = kzalloc(sizeof(*sb), GFP_KERNEL);
	buf = kzalloc(CAIRN_BLOCK_SIZE, GFP_KERNEL);
	pr.page = alloc_page(GFP_KERNEL);
	if (!sb || !buf || !pr.page) {
		r = -ENOMEM;
		*why = "out of memory";
		goto out;
	}
	r = cairn_super_probe(&cairn_probe_ops, &pr, dev, buf, sb, &slot, &w);
	if (r == -EINVAL) {
		r = 0;			/* no Cairn superblock: blank */
	} else if (!r || r == -EBADMSG || r == -EOPNOTSUPP || r == -EUCLEAN) {
		*why = "device is a member of a Cairn pool";
		r = -EEXIST;
	} else {
		*why = "cannot read device";
	}
out:
	if (pr.page)
		__free_page(pr.page);
	kfree(buf);
	kfree(sb);
	return r;
}

/* What the volume objects need of an assembled pool. */
static void cairn_kpool_identify(struct cairn_kpool *kp)
{
	kp->chunk_shift = kp->core->sb.chunk_shift - SECTOR_SHIFT;
	strscpy(kp->name, kp->core->sb.pool_name, sizeof(kp->name));
}

static void cairn_kpool_register(struct cairn_kpool *kp, u32 event)
{
	cairn_kpool_identify(kp);
	list_add_tail(&kp->list, &cairn_registry.pools);
	cairn_registry.nr_pools++;
	__module_get(THIS_MODULE);
	DMINFO("%s: pool %s, %u member(s), %llu chunks of %u KiB", kp->name,
	       event == CAIRN_EVENT_POOL_CREATED ? "created" : "opened",
	       kp->nr_devs, kp->core->capacity,
	       1U << (kp->core->sb.chunk_shift - 10));
	cairn_nl_event(kp->name, event, 0,
		       kp->core->capacity << kp->core->sb.chunk_shift,
		       kp->core->allocated << kp->core->sb.chunk_shift);
}

int cairn_kpool_create(const char *name, char **paths, unsigned int nr,
		       u32 chunk_shift, u32 threshold, u32 policy, u32 timeout,
		       struct cairn_kpool **kpp, const char **bad,
		       const char **why)
{
	struct cairn_pool_params *p;
	struct cairn_kpool *kp;
	u64 *sizes;
	unsigned int i;
	int r;

	if (cairn_kpool_find(name)) {
		*why = "a pool of that name is already open";
		return -EEXIST;
	}
	kp = cairn_kpool_alloc();
	p = kzalloc(sizeof(*p), GFP_KERNEL);
	sizes = kcalloc(nr, sizeof(*sizes), GFP_KERNEL);
	if (!kp || !p || !sizes) {
		*why = "out of memory";
		r = -ENOMEM;
		goto out;
	}

	/* Everything is checked before anything is written. */
	for (i = 0; i < nr; i++) {
		*bad = paths[i];
		r = cairn_kpool_get_dev(kp, paths[i], why);
		if (r)
			goto out;
		sizes[i] = bdev_nr_bytes(kp->bdev[i]) >> CAIRN_BLOCK_SHIFT;
		if (sizes[i] < (CAIRN_MIN_MEMBER_BYTES >> CAIRN_BLOCK_SHIFT)) {
			*why = "device smaller than 64 MiB";
			r = -ENOSPC;
			goto out;
		}
		r = cairn_kpool_check_blank(kp, i, why);
		if (r)
			goto out;
	}

	*bad = NULL;
	p->name = name;
	p->chunk_shift = chunk_shift;
	p->low_water_pct = threshold;
	p->nospace_policy = policy;
	p->nospace_timeout_s = timeout;
	generate_random_uuid(p->pool_uuid);
	for (i = 0; i < nr; i++)
		generate_random_uuid(p->member_uuid[i]);

	mutex_lock(&kp->lock);
	r = cairn_pool_create(&cairn_kio_ops, kp, nr, sizes, p, &kp->core, why);
	mutex_unlock(&kp->lock);
	if (r)
		goto out;
	cairn_kpool_register(kp, CAIRN_EVENT_POOL_CREATED);
	*kpp = kp;
	kp = NULL;
out:
	kfree(sizes);
	kfree(p);
	if (kp)
		cairn_kpool_free(kp);
	return r;
}

int cairn_kpool_open(char **paths, unsigned int nr, struct cairn_kpool **kpp,
		     const char **bad, const char **why)
{
	struct cairn_pool *core;
	struct cairn_kpool *kp;
	unsigned int i;
	int r;

	kp = cairn_kpool_alloc();
	if (!kp) {
		*why = "out of memory";
		return -ENOMEM;
	}
	for (i = 0; i < nr; i++) {
		*bad = paths[i];
		r = cairn_kpool_get_dev(kp, paths[i], why);
		if (r)
			goto out;
	}
	*bad = NULL;
	mutex_lock(&kp->lock);
	r = cairn_pool_open(&cairn_kio_ops, kp, nr, false, &kp->core, why);
	mutex_unlock(&kp->lock);
	if (r)
		goto out;
	if (cairn_kpool_find(kp->core->sb.pool_name)) {
		*why = "a pool of that name is already open";
		r = -EEXIST;
		goto out_free_core;
	}
	cairn_kpool_identify(kp);
	r = cairn_kvols_init(kp, why);
	if (r)
		goto out_free_core;
	cairn_kpool_register(kp, CAIRN_EVENT_POOL_OPENED);
	*kpp = kp;
	return 0;
out_free_core:
	core = kp->core;
	cairn_kpool_free(kp);	/* the volume objects first */
	cairn_pool_free(core);
	return r;
out:
	cairn_kpool_free(kp);
	return r;
}

int cairn_kpool_close(struct cairn_kpool *kp, const char **why)
{
	struct cairn_kvol *kv;
	u64 capacity, allocated;
	int r;

	if (kp->nr_volumes_open) {
		*why = "the pool has open volumes";
		return -EBUSY;
	}
	/* What the RAM caches hold goes to the members first. */
	r = cairn_cache_close_pool(kp, why);
	if (r)
		return r;
	capacity = kp->core->capacity << kp->core->sb.chunk_shift;
	allocated = kp->core->allocated << kp->core->sb.chunk_shift;
	/* Links first: a peer's writes must not arrive during the close. */
	list_for_each_entry(kv, &kp->vols, list)
		cairn_mirror_destroy(kv);
	/* Nothing may run and look at the core once it is gone. */
	cairn_kpool_quiesce(kp);
	cairn_kpool_lock(kp);
	r = cairn_pool_close(kp->core);
	kp->core = NULL;
	cairn_kpool_unlock(kp);
	flush_work(&kp->event_work);	/* what the close raised */
	if (r) {
		DMERR("%s: final commit failed (%d): pool closed at its last commit",
		      kp->name, r);
		*why = "the final metadata commit failed: the pool was closed at its last commit";
	}
	list_del(&kp->list);
	cairn_registry.nr_pools--;
	DMINFO("%s: pool closed", kp->name);
	cairn_nl_event(kp->name, CAIRN_EVENT_POOL_CLOSED, 0, capacity, allocated);
	cairn_kpool_free(kp);
	module_put(THIS_MODULE);
	return r;
}

/* Control operations have the pool to themselves (see cairn.h). */
void cairn_kpool_lock(struct cairn_kpool *kp)
{
	mutex_lock(&kp->lock);
	down_write(&kp->txn_sem);
}

void cairn_kpool_unlock(struct cairn_kpool *kp)
{
	up_write(&kp->txn_sem);
	mutex_unlock(&kp->lock);
}

/* The largest logical block size of the pool's first @n devices. */
static unsigned int cairn_kpool_lbs(struct cairn_kpool *kp, unsigned int n)
{
	unsigned int lbs = 512, i;

	for (i = 0; i < n; i++)
		lbs = max(lbs, bdev_logical_block_size(kp->bdev[i]));
	return lbs;
}

int cairn_kpool_add_member(struct cairn_kpool *kp, const char *path,
			   const char **why)
{
	unsigned int dev = kp->nr_devs;
	u8 uuid[CAIRN_UUID_SIZE];
	u64 blocks;
	int r;

	if (dev == CAIRN_MAX_MEMBERS) {
		*why = "the pool already has 64 members";
		return -E2BIG;
	}
	r = cairn_kpool_get_dev(kp, path, why);
	if (r == -EEXIST)
		*why = "device is already a member of this pool";
	if (r)
		return r;
	blocks = bdev_nr_bytes(kp->bdev[dev]) >> CAIRN_BLOCK_SHIFT;
	r = cairn_kpool_check_blank(kp, dev, why);
	if (!r && kp->nr_volumes_open &&
	    bdev_logical_block_size(kp->bdev[dev]) > cairn_kpool_lbs(kp, dev)) {
		*why = "device has a larger logical block size than the pool's open volumes";
		r = -EINVAL;
	}
	if (!r) {
		generate_random_uuid(uuid);
		cairn_kpool_lock(kp);
		r = cairn_pool_add_member(kp->core, dev, blocks, uuid, why);
		cairn_kpool_unlock(kp);
		/*
		 * Formatted and named in the core's member table even if the
		 * metadata write then failed (the pool is read-only now): the
		 * pool keeps the device, whose path POOL_GET reports.
		 */
		if (r && kp->core->sb.nr_members > dev)
			return r;
	}
	if (r) {
		kp->nr_devs--;
		blkdev_put(kp->bdev[dev], CAIRN_BDEV_MODE);
		kfree(kp->path[dev]);
		return r;
	}
	mutex_lock(&kp->lock);
	cairn_kvols_link_members(kp);
	mutex_unlock(&kp->lock);
	DMINFO("%s: member %u added (%s)", kp->name, dev, path);
	cairn_kpool_space_changed(kp);	/* parked writes try again */
	cairn_nl_event(kp->name, CAIRN_EVENT_MEMBER_ADDED, dev,
		       kp->core->capacity << kp->core->sb.chunk_shift,
		       kp->core->allocated << kp->core->sb.chunk_shift);
	return 0;
}

/* ---- the data path's pool side: commits, parked writes, events ---- */

void cairn_kpool_member_error(struct cairn_kpool *kp, u32 member)
{
	cairn_count(kp, CAIRN_CNT_IO_ERRORS);
	atomic_inc(&kp->member_errors[member]);
	schedule_work(&kp->event_work);
}

u64 cairn_kpool_counter(struct cairn_kpool *kp, enum cairn_counter c)
{
	u64 n = 0;
	int cpu;

	for_each_possible_cpu(cpu)
		n += per_cpu_ptr(kp->counters, cpu)[c];
	return n;
}

/* @io waits on @list for the next group commit. */
static void cairn_kpool_wait_commit(struct cairn_kpool *kp,
				    struct cairn_io_list *list,
				    struct cairn_io *io)
{
	unsigned long flags;

	spin_lock_irqsave(&kp->bio_lock, flags);
	cairn_io_list_add(list, io);
	spin_unlock_irqrestore(&kp->bio_lock, flags);
	queue_work(kp->wq, &kp->commit_work);
}

/* An empty flush: completed by the next group commit. */
void cairn_kpool_flush(struct cairn_kpool *kp, struct cairn_io *io)
{
	cairn_kpool_wait_commit(kp, &kp->flushes, io);
}

/* @io goes on (cairn_vol_resubmit()) once the next commit is durable. */
void cairn_kpool_after_commit(struct cairn_kpool *kp, struct cairn_io *io)
{
	cairn_kpool_wait_commit(kp, &kp->after_commit, io);
}

/* Writes waiting for space try again. */
void cairn_kpool_space_changed(struct cairn_kpool *kp)
{
	struct cairn_io *io, *next;
	unsigned long flags;

	spin_lock_irqsave(&kp->bio_lock, flags);
	io = cairn_io_list_take(&kp->nospace);
	spin_unlock_irqrestore(&kp->bio_lock, flags);
	for (; io; io = next) {
		next = io->next;
		cairn_vol_resubmit(io);
	}
}

/*
 * A discard freed chunks: they become allocatable at the next commit.  If
 * writes wait for space, that commit is made now.
 */
void cairn_kpool_space_freed(struct cairn_kpool *kp)
{
	unsigned long flags;
	bool waiting;

	spin_lock_irqsave(&kp->bio_lock, flags);
	waiting = kp->nospace.head;
	if (waiting)
		kp->commit_wanted = true;
	spin_unlock_irqrestore(&kp->bio_lock, flags);
	if (waiting)
		queue_work(kp->wq, &kp->commit_work);
}

/*
 * Writes that wait for space (nospace=wait) wait in one line, kp->nospace,
 * and are served in turn: cairn_kpool_space_changed() sends the whole line
 * again, oldest first.  A write that needs a chunk while the line is not
 * empty joins its end without trying (cairn_kpool_park_behind()), so it
 * can not take the chunk a commit just freed from under a write that has
 * waited longer; otherwise, under steady load, the oldest write would
 * expire at the pool's timeout while newer ones went on.  Writes that find
 * their chunk mapped do not wait.
 *
 * A write that found no space (cairn_kpool_park()) looks again, under the
 * meta lock, and joins the line under it: a commit frees chunks under that
 * lock and only then sends the line again.  So either the look sees the
 * commit's free and the write tries again at once, or the commit frees
 * after the write joined, and its cairn_kpool_space_changed() finds the
 * write in line.  Without the second look, a write whose first look came
 * just before the free and whose joining just after the line was sent
 * would wait for the next change, or fail at its timeout.
 */
static blk_status_t cairn_kpool_enqueue(struct cairn_kpool *kp,
					struct cairn_io *io)
{
	struct cairn_kvol *kv = io->kv;

	lockdep_assert_held(&kp->bio_lock);
	if (kv->requeue)
		return BLK_STS_DM_REQUEUE;
	if (kv->suspending)
		return BLK_STS_NOSPC;
	if (!io->queued)
		io->queued = jiffies ?: 1;
	cairn_io_list_add(&kp->nospace, io);
	return BLK_STS_OK;
}

/* After cairn_kpool_enqueue(): end a refused @io, or time the line. */
static void cairn_kpool_queued(struct cairn_kpool *kp, struct cairn_io *io,
			       blk_status_t status)
{
	if (status)
		cairn_vol_end(io, status);
	else
		queue_delayed_work(kp->wq, &kp->nospace_timer, HZ);
}

/* @io found no space: it waits in line (process context). */
void cairn_kpool_park(struct cairn_kpool *kp, struct cairn_io *io)
{
	blk_status_t status = BLK_STS_OK;
	unsigned long flags;
	bool left;

	cairn_meta_lock(kp);
	left = cairn_space_left(kp->core);
	if (!left) {
		spin_lock_irqsave(&kp->bio_lock, flags);
		status = cairn_kpool_enqueue(kp, io);
		spin_unlock_irqrestore(&kp->bio_lock, flags);
	}
	cairn_meta_unlock(kp);
	if (left)
		cairn_vol_resubmit(io);		/* space came back meanwhile */
	else
		cairn_kpool_queued(kp, io, status);
}

/*
 * @io needs a chunk: if writes wait for space, it waits behind them and
 * true is returned; false if none waits.
 */
bool cairn_kpool_park_behind(struct cairn_kpool *kp, struct cairn_io *io)
{
	blk_status_t status;
	unsigned long flags;

	spin_lock_irqsave(&kp->bio_lock, flags);
	if (!kp->nospace.head) {
		spin_unlock_irqrestore(&kp->bio_lock, flags);
		return false;
	}
	status = cairn_kpool_enqueue(kp, io);
	spin_unlock_irqrestore(&kp->bio_lock, flags);
	if (!status)
		cairn_count(kp, CAIRN_CNT_NOSPACE);
	cairn_kpool_queued(kp, io, status);
	return true;
}

/* Fail the writes that waited for space longer than the pool allows. */
static void cairn_nospace_timeout(struct work_struct *work)
{
	struct cairn_kpool *kp = container_of(to_delayed_work(work),
					      struct cairn_kpool, nospace_timer);
	unsigned long timeout = READ_ONCE(kp->core->sb.nospace_timeout_s) * HZ;
	struct cairn_io_list keep = { }, expired = { };
	struct cairn_io *io, *next;
	bool again;

	spin_lock_irq(&kp->bio_lock);
	for (io = cairn_io_list_take(&kp->nospace); io; io = next) {
		next = io->next;
		if (time_after(jiffies, io->queued + timeout))
			cairn_io_list_add(&expired, io);
		else
			cairn_io_list_add(&keep, io);
	}
	kp->nospace = keep;
	again = kp->nospace.head;
	spin_unlock_irq(&kp->bio_lock);

	for (io = expired.head; io; io = next) {
		next = io->next;
		cairn_vol_end(io, BLK_STS_NOSPC);
	}
	if (again)
		queue_delayed_work(kp->wq, &kp->nospace_timer, HZ);
}

/* Member I/O errors counted in end_io (any context) become events here. */
static void cairn_event_worker(struct work_struct *work)
{
	struct cairn_kpool *kp = container_of(work, struct cairn_kpool, event_work);
	struct cairn_kevent_rec evq[CAIRN_EVQ_LEN];
	unsigned int i, nev, dropped;

	spin_lock(&kp->ev_lock);
	nev = kp->evq_n;
	dropped = kp->evq_dropped;
	memcpy(evq, kp->evq, nev * sizeof(evq[0]));
	kp->evq_n = 0;
	kp->evq_dropped = 0;
	spin_unlock(&kp->ev_lock);
	for (i = 0; i < nev; i++)
		cairn_nl_event(kp->name, evq[i].type, evq[i].value,
			       evq[i].capacity, evq[i].allocated);
	if (dropped)
		DMWARN_LIMIT("%s: %u events dropped (queue full)", kp->name, dropped);

	for (i = 0; i < CAIRN_MAX_MEMBERS && kp->core; i++) {
		int n = atomic_xchg(&kp->member_errors[i], 0);

		if (n)
			cairn_nl_event(kp->name, CAIRN_EVENT_MEMBER_IO_ERROR, i,
				       kp->core->capacity << kp->core->sb.chunk_shift,
				       kp->core->allocated << kp->core->sb.chunk_shift);
	}
}

/*
 * One group commit: the open transaction is taken under the spinlock, then
 * written with only the read side of txn_sem held, so provisions go on
 * recording into the next one meanwhile.  The members are flushed only if
 * something was written since the last commit.  A checkpoint, when due,
 * needs the pool to itself.
 */
static int cairn_group_commit(struct cairn_kpool *kp)
{
	struct cairn_commit_snap snap;
	bool due;
	int r;

	cairn_meta_lock(kp);
	r = cairn_commit_begin(kp->core, &snap);
	if (r) {		/* read-only: nothing is committed any more */
		cairn_meta_unlock(kp);
		return r;
	}
	snap.flush_members = xchg(&kp->dirty, 0);
	WRITE_ONCE(kp->committing, true);
	cairn_meta_spin_unlock(kp);
	if (snap.flush_members || snap.bytes) {
		r = cairn_commit_write(kp->core, &snap);
		cairn_count(kp, CAIRN_CNT_COMMITS);
		if (snap.flush_members)
			cairn_count(kp, CAIRN_CNT_MEMBER_FLUSHES);
	}
	cairn_meta_spin_lock(kp);
	r = cairn_commit_end(kp->core, &snap, r);
	WRITE_ONCE(kp->committing, false);
	due = cairn_checkpoint_due(kp->core);
	cairn_meta_unlock(kp);
	if (!r && due) {
		down_write(&kp->txn_sem);
		r = cairn_commit(kp->core);
		up_write(&kp->txn_sem);
	}
	return r;
}

static void cairn_commit_worker(struct work_struct *work)
{
	struct cairn_kpool *kp = container_of(work, struct cairn_kpool, commit_work);
	struct cairn_io *flushes, *after, *io, *next;
	blk_status_t status;
	bool wanted;
	int r;

	spin_lock_irq(&kp->bio_lock);
	flushes = cairn_io_list_take(&kp->flushes);
	after = cairn_io_list_take(&kp->after_commit);
	wanted = kp->commit_wanted;
	kp->commit_wanted = false;
	spin_unlock_irq(&kp->bio_lock);
	if (!flushes && !after && !wanted)
		return;

	r = cairn_group_commit(kp);
	status = r == -ENOSPC ? BLK_STS_NOSPC : r ? BLK_STS_IOERR : BLK_STS_OK;
	for (io = flushes; io; io = next) {
		next = io->next;
		cairn_count(kp, CAIRN_CNT_FLUSHES);
		cairn_vol_end(io, status);
	}
	for (io = after; io; io = next) {
		next = io->next;
		if (r)
			cairn_vol_end(io, status);
		else
			cairn_vol_resubmit(io);
	}
	if (!r)
		cairn_kpool_space_changed(kp);
}
