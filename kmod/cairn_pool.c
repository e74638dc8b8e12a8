// SPDX-License-Identifier: GPL-2.0
/*
 * Pools in the kernel: the core's pool (core/pool.c) on block devices.
 *
 * Members are opened exclusively (FMODE_EXCL, the pool as holder), so a
 * device that is mounted, used by another device-mapper table or by md is
 * refused, and nothing else can open it while it is a member.  Metadata
 * I/O is synchronous 4 KiB bios through a bounce page, issued with the
 * pool's mutex held, from process context (netlink handlers now, the
 * volume workers later).
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

static int cairn_kio(struct cairn_kpool *kp, unsigned int dev, u64 block,
		     blk_opf_t opf)
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
	__bio_add_page(&bio, kp->io_page, CAIRN_BLOCK_SIZE, 0);
	r = submit_bio_wait(&bio);
	bio_uninit(&bio);
	return r;
}

static int cairn_kread(void *ctx, unsigned int dev, u64 block, void *buf)
{
	struct cairn_kpool *kp = ctx;
	int r;

	r = cairn_kio(kp, dev, block, REQ_OP_READ);
	if (!r)
		memcpy(buf, page_address(kp->io_page), CAIRN_BLOCK_SIZE);
	return r;
}

static int cairn_kwrite(void *ctx, unsigned int dev, u64 block,
			const void *buf)
{
	struct cairn_kpool *kp = ctx;

	memcpy(page_address(kp->io_page), buf, CAIRN_BLOCK_SIZE);
	return cairn_kio(kp, dev, block, REQ_OP_WRITE);
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
	cairn_nl_event(kp->name, type, ev->value, ev->capacity * chunk,
		       ev->allocated * chunk);
}

static const struct cairn_io_ops cairn_kio_ops = {
	.read = cairn_kread,
	.write = cairn_kwrite,
	.flush = cairn_kflush,
	.event = cairn_kevent,
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

static void cairn_kpool_free(struct cairn_kpool *kp)
{
	bioset_exit(&kp->bs);
	if (kp->wq) {
		cancel_delayed_work_sync(&kp->nospace_timer);
		cancel_work_sync(&kp->event_work);
		destroy_workqueue(kp->wq);
	}
	cairn_kpool_put_devs(kp);
	if (kp->io_page)
		__free_page(kp->io_page);
	kfree(kp);
}

static void cairn_worker(struct work_struct *work);
static void cairn_nospace_timeout(struct work_struct *work);
static void cairn_event_worker(struct work_struct *work);

static struct cairn_kpool *cairn_kpool_alloc(void)
{
	struct cairn_kpool *kp = kzalloc(sizeof(*kp), GFP_KERNEL);

	if (!kp)
		return NULL;
	mutex_init(&kp->lock);
	INIT_LIST_HEAD(&kp->list);
	INIT_LIST_HEAD(&kp->volumes);
	spin_lock_init(&kp->bio_lock);
	bio_list_init(&kp->deferred);
	bio_list_init(&kp->nospace);
	INIT_WORK(&kp->worker, cairn_worker);
	INIT_DELAYED_WORK(&kp->nospace_timer, cairn_nospace_timeout);
	INIT_WORK(&kp->event_work, cairn_event_worker);
	kp->io_page = alloc_page(GFP_KERNEL);
	kp->wq = alloc_ordered_workqueue("cairn_pool", WQ_MEM_RECLAIM);
	if (!kp->io_page || !kp->wq || bioset_init(&kp->bs, 16, 0, 0)) {
		bioset_exit(&kp->bs);
		if (kp->wq)
			destroy_workqueue(kp->wq);
		if (kp->io_page)
			__free_page(kp->io_page);
		kfree(kp);
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
	struct cairn_super *sb;
	unsigned int slot;
	const char *w;
	void *buf;
	int r;

	sb = kzalloc(sizeof(*sb), GFP_KERNEL);
	buf = kzalloc(CAIRN_BLOCK_SIZE, GFP_KERNEL);
	if (!sb || !buf) {
		r = -ENOMEM;
		*why = "out of memory";
		goto out;
	}
	r = cairn_super_probe(&cairn_kio_ops, kp, dev, buf, sb, &slot, &w);
	if (r == -EINVAL) {
		r = 0;			/* no Cairn superblock: blank */
	} else if (!r || r == -EBADMSG || r == -EOPNOTSUPP || r == -EUCLEAN) {
		*why = "device is a member of a Cairn pool";
		r = -EEXIST;
	} else {
		*why = "cannot read device";
	}
out:
	kfree(buf);
	kfree(sb);
	return r;
}

static void cairn_kpool_register(struct cairn_kpool *kp, u32 event)
{
	kp->chunk_shift = kp->core->sb.chunk_shift - SECTOR_SHIFT;
	strscpy(kp->name, kp->core->sb.pool_name, sizeof(kp->name));
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
		cairn_pool_free(kp->core);
		goto out;
	}
	cairn_kpool_register(kp, CAIRN_EVENT_POOL_OPENED);
	*kpp = kp;
	return 0;
out:
	cairn_kpool_free(kp);
	return r;
}

int cairn_kpool_close(struct cairn_kpool *kp, const char **why)
{
	u64 capacity, allocated;
	int r;

	if (kp->nr_volumes_open) {
		*why = "the pool has open volumes";
		return -EBUSY;
	}
	capacity = kp->core->capacity << kp->core->sb.chunk_shift;
	allocated = kp->core->allocated << kp->core->sb.chunk_shift;
	mutex_lock(&kp->lock);
	r = cairn_pool_close(kp->core);
	kp->core = NULL;
	mutex_unlock(&kp->lock);
	if (r)
		DMERR("%s: final commit failed (%d): pool closed at its last commit",
		      kp->name, r);
	list_del(&kp->list);
	cairn_registry.nr_pools--;
	DMINFO("%s: pool closed", kp->name);
	cairn_nl_event(kp->name, CAIRN_EVENT_POOL_CLOSED, 0, capacity, allocated);
	cairn_kpool_free(kp);
	module_put(THIS_MODULE);
	return 0;
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
	if (!r) {
		generate_random_uuid(uuid);
		mutex_lock(&kp->lock);
		r = cairn_pool_add_member(kp->core, dev, blocks, uuid, why);
		mutex_unlock(&kp->lock);
	}
	if (r) {
		kp->nr_devs--;
		blkdev_put(kp->bdev[dev], CAIRN_BDEV_MODE);
		kfree(kp->path[dev]);
		return r;
	}
	DMINFO("%s: member %u added (%s)", kp->name, dev, path);
	cairn_nl_event(kp->name, CAIRN_EVENT_MEMBER_ADDED, dev,
		       kp->core->capacity << kp->core->sb.chunk_shift,
		       kp->core->allocated << kp->core->sb.chunk_shift);
	return 0;
}

/* ---- the data path ---- */

/*
 * Data I/O.  Reads and writes of mapped chunks are remapped in the target's
 * map() without a lock (cairn_lookup()); everything else comes here, to the
 * pool's ordered worker:
 *   - a write to an unmapped chunk: allocate (prepare), zero the parts of
 *     the chunk the write does not cover, publish the mapping, submit;
 *   - a FUA write while the pool has uncommitted changes: commit, then
 *     submit (its chunk's mapping is durable before its data completes);
 *   - an empty flush: commit (members flushed, then the journal);
 *   - a discard: unmap the whole chunks it covers, and write zeros over
 *     the parts of mapped chunks it covers partly, so a discarded range
 *     always reads zeros (LIO reports LBPRZ and implements WRITE SAME with
 *     UNMAP as an unmap: both rely on it);
 *   - a write that found no space: fail it, or with the "wait" policy park
 *     it until space appears or the pool's timeout passes.
 */

/* Point @bio (volume-relative) at its place in @member's @pchunk. */
static void cairn_point(struct cairn_kpool *kp, struct bio *bio, u32 member,
			u64 pchunk)
{
	struct cairn_member *m = &kp->core->members[member];
	sector_t mask = (1ULL << kp->chunk_shift) - 1;

	bio_set_dev(bio, kp->bdev[m->dev]);
	bio->bi_iter.bi_sector = (m->info.data_start << (CAIRN_BLOCK_SHIFT - SECTOR_SHIFT)) +
				 (pchunk << kp->chunk_shift) +
				 (bio->bi_iter.bi_sector & mask);
}

void cairn_kpool_remap(struct cairn_kpool *kp, struct bio *bio, u32 member,
		       u64 pchunk)
{
	struct cairn_bio *pb = dm_per_bio_data(bio, sizeof(*pb));

	pb->member = member;
	cairn_point(kp, bio, member, pchunk);
}

void cairn_kpool_member_error(struct cairn_kpool *kp, u32 member)
{
	cairn_count(kp, CAIRN_CNT_IO_ERRORS);
	atomic_inc(&kp->member_errors[member]);
	schedule_work(&kp->event_work);
}

void cairn_kpool_defer(struct cairn_kpool *kp, struct bio *bio)
{
	unsigned long flags;

	spin_lock_irqsave(&kp->bio_lock, flags);
	bio_list_add(&kp->deferred, bio);
	spin_unlock_irqrestore(&kp->bio_lock, flags);
	queue_work(kp->wq, &kp->worker);
}

/* Writes waiting for space try again. */
void cairn_kpool_space_changed(struct cairn_kpool *kp)
{
	unsigned long flags;
	bool any;

	spin_lock_irqsave(&kp->bio_lock, flags);
	any = !bio_list_empty(&kp->nospace);
	bio_list_merge(&kp->deferred, &kp->nospace);
	bio_list_init(&kp->nospace);
	spin_unlock_irqrestore(&kp->bio_lock, flags);
	if (any)
		queue_work(kp->wq, &kp->worker);
}

bool cairn_kvol_busy(struct cairn_kpool *kp, struct cairn_volume *vol)
{
	struct cairn_kvol *kv;

	list_for_each_entry(kv, &kp->volumes, list)
		if (kv->vol == vol)
			return true;
	return false;
}

static void cairn_park_nospace(struct cairn_kpool *kp, struct bio *bio)
{
	struct cairn_bio *pb = dm_per_bio_data(bio, sizeof(*pb));
	unsigned long flags;

	if (!pb->queued)
		pb->queued = jiffies ?: 1;
	spin_lock_irqsave(&kp->bio_lock, flags);
	bio_list_add(&kp->nospace, bio);
	spin_unlock_irqrestore(&kp->bio_lock, flags);
	queue_delayed_work(kp->wq, &kp->nospace_timer, HZ);
}

/* Fail the writes that waited for space longer than the pool allows. */
static void cairn_nospace_timeout(struct work_struct *work)
{
	struct cairn_kpool *kp = container_of(to_delayed_work(work),
					      struct cairn_kpool, nospace_timer);
	unsigned long timeout = READ_ONCE(kp->core->sb.nospace_timeout_s) * HZ;
	struct bio_list keep, expired;
	struct bio *bio;
	bool again;

	bio_list_init(&keep);
	bio_list_init(&expired);
	spin_lock_irq(&kp->bio_lock);
	while ((bio = bio_list_pop(&kp->nospace))) {
		struct cairn_bio *pb = dm_per_bio_data(bio, sizeof(*pb));

		if (time_after(jiffies, pb->queued + timeout))
			bio_list_add(&expired, bio);
		else
			bio_list_add(&keep, bio);
	}
	kp->nospace = keep;
	again = !bio_list_empty(&kp->nospace);
	spin_unlock_irq(&kp->bio_lock);

	while ((bio = bio_list_pop(&expired))) {
		bio->bi_status = BLK_STS_NOSPC;
		bio_endio(bio);
	}
	if (again)
		queue_delayed_work(kp->wq, &kp->nospace_timer, HZ);
}

/* Member I/O errors counted in end_io (any context) become events here. */
static void cairn_event_worker(struct work_struct *work)
{
	struct cairn_kpool *kp = container_of(work, struct cairn_kpool, event_work);
	unsigned int i;

	for (i = 0; i < CAIRN_MAX_MEMBERS; i++) {
		int n = atomic_xchg(&kp->member_errors[i], 0);

		if (n)
			cairn_nl_event(kp->name, CAIRN_EVENT_MEMBER_IO_ERROR, i,
				       kp->core->capacity << kp->core->sb.chunk_shift,
				       kp->core->allocated << kp->core->sb.chunk_shift);
	}
}

/* Zero [from, to) sectors of a freshly allocated chunk. */
static int cairn_zero_range(struct cairn_kpool *kp, u32 member, u64 pchunk,
			    sector_t from, sector_t to)
{
	struct cairn_member *m = &kp->core->members[member];
	sector_t base = (m->info.data_start << (CAIRN_BLOCK_SHIFT - SECTOR_SHIFT)) +
			(pchunk << kp->chunk_shift);

	if (from >= to)
		return 0;
	return blkdev_issue_zeroout(kp->bdev[m->dev], base + from, to - from,
				    GFP_NOIO, BLKDEV_ZERO_NOUNMAP);
}

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

static void cairn_end(struct bio *bio, int r)
{
	bio->bi_status = cairn_errno_to_status(r);
	bio_endio(bio);
}

static void cairn_do_flush(struct cairn_kpool *kp, struct bio *bio)
{
	int r;

	cairn_count(kp, CAIRN_CNT_FLUSHES);
	mutex_lock(&kp->lock);
	r = cairn_commit(kp->core);
	mutex_unlock(&kp->lock);
	cairn_end(bio, r);
	cairn_kpool_space_changed(kp);
}

/*
 * Zero volume sectors [@from, @to), which lie in one chunk, if that chunk
 * is mapped (an unmapped chunk reads zeros already).  Called with the
 * pool's lock held, so the chunk cannot be provisioned meanwhile.
 */
static int cairn_zero_partial(struct cairn_kpool *kp, struct cairn_volume *vol,
			      sector_t from, sector_t to)
{
	u64 vchunk = from >> kp->chunk_shift;
	sector_t mask = (1ULL << kp->chunk_shift) - 1;
	u64 pchunk;
	u32 member;

	if (from >= to || !cairn_lookup(vol, vchunk, &member, &pchunk))
		return 0;
	return cairn_zero_range(kp, member, pchunk, from & mask,
				((to - 1) & mask) + 1);
}

static void cairn_do_discard(struct cairn_kpool *kp, struct bio *bio)
{
	struct cairn_bio *pb = dm_per_bio_data(bio, sizeof(*pb));
	sector_t start = bio->bi_iter.bi_sector;
	sector_t end = bio_end_sector(bio);
	u64 first = (start + (1ULL << kp->chunk_shift) - 1) >> kp->chunk_shift;
	u64 last = end >> kp->chunk_shift;	/* exclusive */
	sector_t head_end = min_t(sector_t, end, first << kp->chunk_shift);
	bool waiting;
	int r = 0;
	u64 c;

	mutex_lock(&kp->lock);
	if (kp->core->mode >= CAIRN_MODE_READ_ONLY) {
		mutex_unlock(&kp->lock);
		cairn_end(bio, -EROFS);
		return;
	}
	/* The partly covered chunks at either end: zeros written. */
	r = cairn_zero_partial(kp, pb->kv->vol, start, head_end);
	if (!r && last >= first)
		r = cairn_zero_partial(kp, pb->kv->vol,
				       max_t(sector_t, head_end,
					     last << kp->chunk_shift), end);
	for (c = first; c < last && !r; c++) {
		u64 before = pb->kv->vol->nr_mapped;

		r = cairn_discard(kp->core, pb->kv->vol, c);
		if (pb->kv->vol->nr_mapped != before)
			cairn_count(kp, CAIRN_CNT_DISCARDS);
	}
	/* Writes waiting for space get the freed chunks at once. */
	spin_lock_irq(&kp->bio_lock);
	waiting = !bio_list_empty(&kp->nospace);
	spin_unlock_irq(&kp->bio_lock);
	if (!r && waiting && first < last)
		r = cairn_commit(kp->core);
	mutex_unlock(&kp->lock);
	cairn_end(bio, r);
	if (waiting)
		cairn_kpool_space_changed(kp);
}

static void cairn_do_write(struct cairn_kpool *kp, struct bio *bio)
{
	struct cairn_bio *pb = dm_per_bio_data(bio, sizeof(*pb));
	struct cairn_volume *vol = pb->kv->vol;
	sector_t mask = (1ULL << kp->chunk_shift) - 1;
	u64 vchunk = bio->bi_iter.bi_sector >> kp->chunk_shift;
	sector_t from = bio->bi_iter.bi_sector & mask;
	sector_t to = from + bio_sectors(bio);
	bool fresh = false;
	u64 pchunk;
	u32 member;
	int r = 0;

	mutex_lock(&kp->lock);
	if (kp->core->mode >= CAIRN_MODE_READ_ONLY) {
		mutex_unlock(&kp->lock);
		cairn_end(bio, -EROFS);
		return;
	}
	if (!cairn_lookup(vol, vchunk, &member, &pchunk)) {
		r = cairn_provision_prepare(kp->core, vol, vchunk, &member, &pchunk);
		if (r) {
			mutex_unlock(&kp->lock);
			if (r == -ENOSPC)
				cairn_count(kp, CAIRN_CNT_NOSPACE);
			if (r == -ENOSPC &&
			    kp->core->sb.nospace_policy == CAIRN_NOSPACE_QUEUE)
				cairn_park_nospace(kp, bio);
			else
				cairn_end(bio, r);
			return;
		}
		/*
		 * The chunk is published only once it holds zeros and this
		 * write's data: if either fails it goes back, unmapped, and
		 * never shows what it held before.  The pool's lock is held
		 * throughout, so that no commit (a control operation's) can
		 * make the mapping durable before the data is on the member.
		 */
		r = cairn_zero_range(kp, member, pchunk, 0, from);
		if (!r)
			r = cairn_zero_range(kp, member, pchunk, to, mask + 1);
		if (!r) {
			struct block_device *bdev =
				kp->bdev[kp->core->members[member].dev];
			struct bio *clone = bio_alloc_clone(bdev, bio, GFP_NOIO, &kp->bs);

			cairn_point(kp, clone, member, pchunk);
			r = submit_bio_wait(clone);
			bio_put(clone);
		}
		if (r) {
			DMERR_LIMIT("%s: writing a new chunk failed (%d)", kp->name, r);
			cairn_kpool_member_error(kp, member);
			cairn_provision_abort(kp->core, vol, vchunk, member, pchunk);
			mutex_unlock(&kp->lock);
			cairn_end(bio, r);
			return;
		}
		cairn_provision_publish(vol, vchunk, member, pchunk);
		cairn_count(kp, CAIRN_CNT_PROVISIONS);
		fresh = true;	/* its data is written already */
	}
	/* FUA: the chunk's mapping must be durable when the write completes. */
	if ((bio->bi_opf & REQ_FUA) && kp->core->txn_bytes)
		r = cairn_commit(kp->core);
	mutex_unlock(&kp->lock);
	if (!r)
		cairn_count(kp, CAIRN_CNT_WRITES);
	if (r || fresh) {
		cairn_end(bio, r);
		return;
	}
	cairn_kpool_remap(kp, bio, member, pchunk);
	submit_bio_noacct(bio);
}

static void cairn_worker(struct work_struct *work)
{
	struct cairn_kpool *kp = container_of(work, struct cairn_kpool, worker);
	struct bio_list bios;
	struct bio *bio;

	spin_lock_irq(&kp->bio_lock);
	bios = kp->deferred;
	bio_list_init(&kp->deferred);
	spin_unlock_irq(&kp->bio_lock);

	while ((bio = bio_list_pop(&bios))) {
		if (op_is_flush(bio->bi_opf) && !bio_sectors(bio))
			cairn_do_flush(kp, bio);
		else if (bio_op(bio) == REQ_OP_DISCARD)
			cairn_do_discard(kp, bio);
		else
			cairn_do_write(kp, bio);
	}
}
