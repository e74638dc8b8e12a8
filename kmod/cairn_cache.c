// SPDX-License-Identifier: GPL-2.0
/*
 * The RAM cache: a node-wide budget of 4 KiB blocks shared by the volumes
 * that enable it, between the mirror and the thin map:
 *
 *   bio -> volume -> [mirror] -> cache (here) -> thin map -> members
 *
 * cairn_vol_map() is the cache's entry point: a volume without a cache goes
 * straight to the thin map (one pointer load), and everything that enters
 * a volume -- host I/O, the mirror's local half, the peer's writes on the
 * secondary, resync -- sees the same cached data.
 *
 * Memory
 * ------
 * CACHE_SET allocates the budget up front: one struct cairn_cblock and one
 * page per block, on a free list.  The I/O path never allocates a block: it
 * takes one from the free list or evicts a clean one (from the volume that
 * holds the most clean blocks), so the budget can not be exceeded, and the
 * only allocation on the way to the members is a destage bio and its
 * request, from a bioset and a mempool (GFP_NOIO, in a worker: progress
 * under memory pressure).  A smaller budget gives up clean blocks, and can
 * not go below what the caches hold dirty; budget 0 (no volume with a
 * cache left) frees every page.  A cache turned off gives its blocks back
 * to the node's free list, not to the kernel.
 *
 * A volume's blocks
 * -----------------
 * vc->tree (an rbtree by volume block) holds every block of the volume:
 * CLEAN (equal to what the layer below holds), DIRTY (newer than that) or
 * DESTAGING (being written below; its page does not change meanwhile).
 * Clean blocks are on two lists, a segmented LRU: a block enters on
 * probation (read or destaged once) and is protected once hit again;
 * eviction takes probation's tail first, and protected blocks beyond three
 * quarters of the clean ones go back to probation.  So a scan that reads
 * everything once only cycles probation (and sequential streams, past the
 * cutoff, are not cached at all).  Dirty blocks are on vc->dirty in the
 * order they became dirty, each with the sequence number (vc->wseq) of that
 * moment: the head is the oldest.  A block read by a read that went below
 * is pinned (pins) until that read completed.
 *
 * Writes
 * ------
 * In write-back, a write of at most CAIRN_CACHE_MAX_IO blocks that is not
 * FUA (with flush=disk) and not part of a sequential stream longer than the
 * cutoff is absorbed: copied into blocks (new ones for whole blocks; a
 * block it covers in part must be cached already) and completed at once.
 * A write that finds one of its blocks DESTAGING waits for that destage
 * (vc->waiting, redriven by the worker).  Every other write (write-through
 * mode, FUA, sequential, too large, partial over an uncached block, no
 * block to be had, discards, write zeroes) bypasses: before it goes below,
 * the blocks it covers whole are dropped (a dirty one is superseded), the
 * clean ones it covers in part are dropped, and a dirty one it covers in
 * part is destaged first (urgent) -- so nothing older can land below after
 * it, and nothing cached is older than the members once it completed.
 *
 * Reads
 * -----
 * A read whose blocks are all cached is copied from RAM.  Any other read
 * goes below with the cached blocks of its range pinned (not evicted, not
 * dropped by a bypass, which waits), and on completion the cached blocks
 * are copied over what came from below (a cached block is never older than
 * the members).  Its whole blocks that were not cached are then admitted as
 * CLEAN on probation -- unless a bypassing write was in flight or started
 * meanwhile (vc->bypass_gen, bypass_inflight), or a block written after the
 * read went below has left the cache since (vc->gone_seq: absorbed,
 * destaged and evicted under the read, as bcache checks a key before it
 * inserts what a read brought): what the read brought may already be older
 * than the members, and a stale clean block would outlive the write.
 *
 * Destage
 * -------
 * One worker per volume walks the tree in volume order from where it last
 * stopped (an elevator), takes a dirty block due for destage and the dirty
 * blocks adjacent to it (within one chunk, CAIRN_CACHE_MAX_IO at most) into
 * one write, CAIRN_CACHE_DEPTH writes in flight (CAIRN_CACHE_FLUSH_DEPTH
 * while a flush waits: its destage is one round trip to the members, with
 * FUA, so that no member flush follows when nothing else was written).  A
 * block is due when its sequence is at most vc->goal, or it is urgent.
 * The goal rises:
 *   - to everything for a pending FLUSH (flush=disk) and when draining;
 *   - to everything while the node's dirty blocks are above half the
 *     budget, until they fall below a quarter (watermarks);
 *   - every tick (1 s) to what was dirty a tick ago: nothing stays dirty
 *     for more than two seconds without a reason.
 * A write to a block being destaged waits for it; a destage that fails
 * leaves its blocks dirty, fails the pending flushes, and is tried again
 * at the next tick.
 *
 * Flush semantics
 * ---------------
 * flush=disk (the default): a volatile write cache, like a disk with
 * WCE=1.  A FLUSH waits until no block that was dirty when it arrived is
 * still dirty (the head of vc->dirty is newer, or none), then goes below,
 * where it commits the pool; FUA writes bypass.  LIO reports WCE=1 from
 * the dm device's flush support, which is what this is.
 *
 * flush=mirror: with the mirror above on both nodes, a write is in both
 * nodes' RAM when the host sees it complete, so a FLUSH completes at once
 * and FUA writes are absorbed -- while the mirror is connected and in sync
 * (cairn_mirror_in_sync()).  Otherwise the volume is write-through at
 * once (new writes bypass, flushes wait for the destage) and drains; a
 * returning peer is trusted again only once it is in sync.  The mirror's
 * activity log must then not forget a region the cache has not made
 * durable: it keeps every region while cairn_cache_durable() says no (some
 * block dirty, or destaged and not yet committed: the worker commits after
 * a destage in this mode), so a node that loses its RAM resyncs them.
 *
 * Turning a cache off drains it, in a work item (cairn_cache_off_work():
 * not in the netlink request, which holds genl_mutex and would hold up
 * cairnd's lease renewals meanwhile): the volume bypasses from the request
 * on, every dirty block is destaged (a failing member is retried every
 * second: nothing acknowledged is dropped), then the cache is unhooked and,
 * once the I/O inside it left (vc->active, after an RCU grace period),
 * freed.  VOLUME_GET shows it, mode off, until then.  A pool closes only
 * after its caches drained; a deleted volume's cache is dropped.
 *
 * Locks: vc->lock (irq-safe: map() is also called from completions)
 * protects a volume's blocks, lists and counters; cairn_cache.vc_lock the
 * list of caches, taken before a vc->lock by eviction; cairn_cache.free_lock
 * (innermost) the free list.  cairn_cache.mutex serialises budget,
 * enable, disable and freeing (so VOLUME_GET reads a cache under it).
 * Data is copied under vc->lock (at most CAIRN_CACHE_MAX_IO
 * blocks), never across I/O.
 */
#include <linux/module.h>
#include <linux/device-mapper.h>
#include <linux/rbtree.h>
#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/rcupdate.h>
#include <linux/delay.h>
#include <net/genetlink.h>

#include "cairn.h"

#define CAIRN_CB_SHIFT		3	/* sectors per block, log2 */
#define CAIRN_CACHE_MAX_IO	64	/* blocks: a write absorbed, a destage */
#define CAIRN_CACHE_DEPTH	16	/* destage writes in flight, per volume */
#define CAIRN_CACHE_FLUSH_DEPTH	256	/* ...while a flush waits for them */
#define CAIRN_CACHE_TICK_MS	1000
#define CAIRN_CACHE_DEF_CUTOFF	BIT(20)

enum {
	CAIRN_CB_CLEAN,
	CAIRN_CB_DIRTY,
	CAIRN_CB_DESTAGING,
};

/* What an I/O's cairn_io.cache says it holds. */
enum {
	CAIRN_CIO_ACTIVE = 1,		/* counted in vc->active */
	CAIRN_CIO_BYPASS = 2,		/* a bypassing write, in flight below */
	CAIRN_CIO_READ = 4,		/* a read below, its cached blocks pinned */
};

struct cairn_cblock {
	struct rb_node node;		/* in vc->tree */
	struct list_head list;		/* free, probation, protected, dirty */
	struct page *page;
	u64 blk;
	u64 seq;			/* dirty since */
	u16 pins;			/* reads below over it */
	u8 state;
	bool protected;
	bool urgent;			/* a bypass waits for its destage */
};

enum {
	CAIRN_CS_READ_HITS,
	CAIRN_CS_READ_MISSES,
	CAIRN_CS_WRITE_HITS,
	CAIRN_CS_BYPASSED,
	CAIRN_CS_DESTAGE_WRITES,
	CAIRN_CS_DESTAGED,
	CAIRN_CS_EVICTIONS,
	CAIRN_CS_NR,
};

struct cairn_vcache {
	struct cairn_kvol *kv;
	struct list_head node_list;	/* in cairn_cache.vcaches */
	spinlock_t lock;		/* everything below but what says otherwise */
	struct rb_root tree;
	struct list_head probation, protected, dirty;
	u64 nr_blocks, nr_clean, nr_protected, nr_dirty;
	u64 peak;			/* most blocks held at once */
	u64 wseq;			/* the last write's sequence */
	u64 goal;			/* destage what is dirty since <= goal */
	u64 tick_seq;			/* wseq at the last tick */
	u64 cursor;			/* the elevator's next block */
	unsigned int destaging;		/* destage writes in flight */
	unsigned int urgent;		/* blocks a bypass waits for */
	struct cairn_io_list waiting;	/* for a busy block */
	struct cairn_io_list flushes;	/* for the destage (target: io->cgen) */
	u64 bypass_gen;
	unsigned int bypass_inflight;
	u64 gone_seq;			/* newest dirtying of a block removed */
	u64 destaged_ctr, committed_ctr;	/* destages done; at the last commit */
	bool committing;
	blk_status_t error;		/* the last destage's, until a tick */
	u32 mode, flush, seq_cutoff;	/* written under cairn_cache.mutex */
	bool draining;
	bool off;			/* being turned off (cairn_cache.mutex) */
	bool abandon;			/* ...and its volume deleted meanwhile */
	sector_t seq_next;		/* the sequential detector (racy) */
	u64 seq_bytes;
	u64 stats[CAIRN_CS_NR];
	atomic_t active;		/* I/O inside the cache */
	wait_queue_head_t idle;
	struct work_struct work;
	struct delayed_work tick;
};

/* A destage write or a commit, from the worker. */
struct cairn_dreq {
	struct cairn_io io;
	struct cairn_vcache *vc;
	u64 ctr;			/* a commit: destaged_ctr when issued */
	unsigned int n;
	struct cairn_cblock *cb[CAIRN_CACHE_MAX_IO];
};

static struct {
	struct mutex mutex;		/* budget, enable, disable */
	spinlock_t free_lock;		/* free, nr_free */
	struct list_head free;
	u64 nr_blocks, nr_free, peak;
	atomic64_t nr_dirty;
	bool pressure;			/* above the high watermark */
	spinlock_t vc_lock;		/* vcaches */
	struct list_head vcaches;
	u64 retired[CAIRN_CS_NR];	/* counters of caches disabled */
	struct workqueue_struct *wq;
	struct bio_set bs;
	mempool_t *dreq_pool;
} cairn_cache;

/* ---- blocks ---- */

static struct cairn_cblock *cairn_cb_find(struct cairn_vcache *vc, u64 blk)
{
	struct rb_node *n = vc->tree.rb_node;

	while (n) {
		struct cairn_cblock *cb = rb_entry(n, struct cairn_cblock, node);

		if (blk < cb->blk)
			n = n->rb_left;
		else if (blk > cb->blk)
			n = n->rb_right;
		else
			return cb;
	}
	return NULL;
}

/* The first block at or after @blk, or NULL. */
static struct cairn_cblock *cairn_cb_ceil(struct cairn_vcache *vc, u64 blk)
{
	struct rb_node *n = vc->tree.rb_node;
	struct cairn_cblock *best = NULL;

	while (n) {
		struct cairn_cblock *cb = rb_entry(n, struct cairn_cblock, node);

		if (blk <= cb->blk) {
			best = cb;
			if (blk == cb->blk)
				break;
			n = n->rb_left;
		} else {
			n = n->rb_right;
		}
	}
	return best;
}

static struct cairn_cblock *cairn_cb_next(struct cairn_cblock *cb)
{
	struct rb_node *n = rb_next(&cb->node);

	return n ? rb_entry(n, struct cairn_cblock, node) : NULL;
}

static void cairn_cb_insert(struct cairn_vcache *vc, struct cairn_cblock *new)
{
	struct rb_node **p = &vc->tree.rb_node, *parent = NULL;

	while (*p) {
		struct cairn_cblock *cb = rb_entry(*p, struct cairn_cblock, node);

		parent = *p;
		p = new->blk < cb->blk ? &(*p)->rb_left : &(*p)->rb_right;
	}
	rb_link_node(&new->node, parent, p);
	rb_insert_color(&new->node, &vc->tree);
	if (++vc->nr_blocks > vc->peak)
		vc->peak = vc->nr_blocks;
}

/* A clean block on probation (new) or protected (hit again). */
static void cairn_cb_clean(struct cairn_vcache *vc, struct cairn_cblock *cb,
			   bool hit)
{
	if (hit) {
		if (!cb->protected) {
			cb->protected = true;
			vc->nr_protected++;
		}
		list_move(&cb->list, &vc->protected);
		if (vc->nr_protected > vc->nr_clean * 3 / 4) {
			struct cairn_cblock *old;

			old = list_last_entry(&vc->protected,
					      struct cairn_cblock, list);
			old->protected = false;
			vc->nr_protected--;
			list_move(&old->list, &vc->probation);
		}
	} else {
		list_move(&cb->list, &vc->probation);
	}
}

/* Take @cb off its list and out of the tree (a clean or dirty block). */
static void cairn_cb_remove(struct cairn_vcache *vc, struct cairn_cblock *cb)
{
	if (cb->state == CAIRN_CB_DIRTY) {
		vc->nr_dirty--;
		atomic64_dec(&cairn_cache.nr_dirty);
		if (cb->urgent)
			vc->urgent--;
	} else {
		vc->nr_clean--;
		if (cb->protected)
			vc->nr_protected--;
	}
	cb->protected = false;
	cb->urgent = false;
	/* A read below since it was written must not admit its old data. */
	vc->gone_seq = max(vc->gone_seq, cb->seq);
	list_del_init(&cb->list);
	rb_erase(&cb->node, &vc->tree);
	vc->nr_blocks--;
}

static void cairn_cb_free_list(struct list_head *l)
{
	unsigned long flags;
	unsigned int n = 0;
	struct list_head *p;

	if (list_empty(l))
		return;
	list_for_each(p, l)
		n++;
	spin_lock_irqsave(&cairn_cache.free_lock, flags);
	list_splice_init(l, &cairn_cache.free);
	cairn_cache.nr_free += n;
	spin_unlock_irqrestore(&cairn_cache.free_lock, flags);
}

/*
 * Give up to @want clean, unpinned blocks of the cache holding the most
 * clean blocks; onto @out.  Called with no vc->lock held.
 */
static unsigned int cairn_cache_evict(unsigned int want, struct list_head *out)
{
	struct cairn_vcache *vc, *victim = NULL;
	struct list_head *lists[2];
	unsigned long flags;
	unsigned int got = 0, i;

	spin_lock_irqsave(&cairn_cache.vc_lock, flags);
	list_for_each_entry(vc, &cairn_cache.vcaches, node_list)
		if (READ_ONCE(vc->nr_clean) &&
		    (!victim || vc->nr_clean > victim->nr_clean))
			victim = vc;
	if (!victim) {
		spin_unlock_irqrestore(&cairn_cache.vc_lock, flags);
		return 0;
	}
	spin_lock(&victim->lock);
	lists[0] = &victim->probation;
	lists[1] = &victim->protected;
	for (i = 0; i < 2 && got < want; i++) {
		struct cairn_cblock *cb, *prev;

		list_for_each_entry_safe_reverse(cb, prev, lists[i], list) {
			if (got == want)
				break;
			if (cb->pins)
				continue;
			cairn_cb_remove(victim, cb);
			list_add(&cb->list, out);
			victim->stats[CAIRN_CS_EVICTIONS]++;
			got++;
		}
	}
	spin_unlock(&victim->lock);
	spin_unlock_irqrestore(&cairn_cache.vc_lock, flags);
	return got;
}

/* Up to @want blocks onto @out: free ones, else evicted ones.  No sleep. */
static unsigned int cairn_cache_alloc(unsigned int want, struct list_head *out)
{
	unsigned long flags;
	unsigned int got = 0, n;

	spin_lock_irqsave(&cairn_cache.free_lock, flags);
	while (got < want && !list_empty(&cairn_cache.free)) {
		list_move(cairn_cache.free.next, out);
		cairn_cache.nr_free--;
		got++;
	}
	if (cairn_cache.nr_blocks - cairn_cache.nr_free > cairn_cache.peak)
		cairn_cache.peak = cairn_cache.nr_blocks - cairn_cache.nr_free;
	spin_unlock_irqrestore(&cairn_cache.free_lock, flags);
	while (got < want) {
		n = cairn_cache_evict(want - got, out);
		if (!n)
			break;
		got += n;
	}
	return got;
}

static struct cairn_cblock *cairn_cb_take(struct list_head *l, u64 blk)
{
	struct cairn_cblock *cb = list_first_entry(l, struct cairn_cblock, list);

	list_del_init(&cb->list);
	cb->blk = blk;
	cb->seq = 0;		/* never dirty here (an absorb sets it) */
	cb->pins = 0;
	cb->protected = false;
	cb->urgent = false;
	return cb;
}

/* ---- copying ---- */

/*
 * Copy between @bio's data (from @iter) and the cached blocks of its range:
 * to the cache (@to_cache) into @cb[i] = block first + i, every one
 * present; from the cache, each block found in the tree (missing ones are
 * left as they are in the bio).  vc->lock held.
 */
static void cairn_cache_copy(struct cairn_vcache *vc, struct bio *bio,
			     struct bvec_iter start, struct cairn_cblock **cb,
			     bool to_cache)
{
	u64 first = start.bi_sector >> CAIRN_CB_SHIFT;
	u64 pos = (start.bi_sector & ((1 << CAIRN_CB_SHIFT) - 1)) << SECTOR_SHIFT;
	struct cairn_cblock *b = NULL;
	struct bvec_iter iter;
	struct bio_vec bv;
	u64 cur = U64_MAX;

	__bio_for_each_segment(bv, bio, iter, start) {
		unsigned int done = 0;
		char *p = bvec_kmap_local(&bv);

		while (done < bv.bv_len) {
			u64 i = pos >> PAGE_SHIFT;
			unsigned int off = pos & (PAGE_SIZE - 1);
			unsigned int len = min_t(unsigned int, bv.bv_len - done,
						 PAGE_SIZE - off);

			if (i != cur) {
				cur = i;
				b = cb ? cb[i] : cairn_cb_find(vc, first + i);
			}
			if (b && to_cache)
				memcpy(page_address(b->page) + off, p + done, len);
			else if (b)
				memcpy(p + done, page_address(b->page) + off, len);
			done += len;
			pos += len;
		}
		kunmap_local(p);
	}
}

/* ---- entering and leaving ---- */

static void cairn_cache_put(struct cairn_vcache *vc)
{
	if (atomic_dec_and_test(&vc->active))
		wake_up_all(&vc->idle);
}

static void cairn_cache_kick(struct cairn_vcache *vc)
{
	queue_work(cairn_cache.wq, &vc->work);
}

static void cairn_cache_kick_all(void)
{
	struct cairn_vcache *vc;
	unsigned long flags;

	spin_lock_irqsave(&cairn_cache.vc_lock, flags);
	list_for_each_entry(vc, &cairn_cache.vcaches, node_list)
		cairn_cache_kick(vc);
	spin_unlock_irqrestore(&cairn_cache.vc_lock, flags);
}

/* The I/O leaves the cache for the thin map (cache flags cleared but @keep). */
static int cairn_cache_below(struct cairn_io *io, u8 keep)
{
	struct cairn_vcache *vc = io->vc;
	int r;

	io->cache &= keep;
	if (!(io->cache & CAIRN_CIO_ACTIVE))
		io->vc = NULL;
	r = cairn_thin_map(io->kv, io->bio, io);
	if (!keep)
		cairn_cache_put(vc);
	else if (r == DM_MAPIO_KILL)	/* no end_io will come */
		cairn_cache_end_io(io, BLK_STS_IOERR);
	return r;
}

/* An I/O the cache ends itself. */
static int cairn_cache_done(struct cairn_io *io, blk_status_t status)
{
	struct cairn_vcache *vc = io->vc;

	io->cache = 0;
	io->vc = NULL;
	io->bio->bi_status = status;
	bio_endio(io->bio);
	cairn_cache_put(vc);
	return DM_MAPIO_SUBMITTED;
}

/* Park @io until the worker redrives it (vc->lock held). */
static int cairn_cache_wait(struct cairn_vcache *vc, struct cairn_io *io)
{
	cairn_io_list_add(&vc->waiting, io);
	return DM_MAPIO_SUBMITTED;
}

/*
 * Does the volume acknowledge writes from RAM now?  Not under vc->lock
 * (the mirror's lock comes first).
 */
static bool cairn_cache_wb(struct cairn_vcache *vc)
{
	if (READ_ONCE(vc->mode) != CAIRN_CACHE_WRITEBACK ||
	    READ_ONCE(vc->draining))
		return false;
	if (READ_ONCE(vc->flush) == CAIRN_CACHE_FLUSH_DISK)
		return true;
	return cairn_mirror_in_sync(vc->kv);
}

/* Part of a sequential stream longer than the cutoff?  (Racy: a hint.) */
static bool cairn_cache_sequential(struct cairn_vcache *vc, struct bio *bio)
{
	u32 cutoff = READ_ONCE(vc->seq_cutoff);
	sector_t start = bio->bi_iter.bi_sector;
	u64 run;

	run = start == READ_ONCE(vc->seq_next) ?
	      READ_ONCE(vc->seq_bytes) + bio->bi_iter.bi_size :
	      bio->bi_iter.bi_size;
	WRITE_ONCE(vc->seq_bytes, run);
	WRITE_ONCE(vc->seq_next, bio_end_sector(bio));
	return cutoff && run > cutoff;
}

/* ---- flushes ---- */

static int cairn_cache_flush(struct cairn_vcache *vc, struct cairn_io *io,
			     bool wb)
{
	unsigned long flags;

	if (wb && READ_ONCE(vc->flush) == CAIRN_CACHE_FLUSH_MIRROR)
		return cairn_cache_done(io, BLK_STS_OK);	/* in both RAMs */
	spin_lock_irqsave(&vc->lock, flags);
	if (!vc->nr_dirty) {
		spin_unlock_irqrestore(&vc->lock, flags);
		return cairn_cache_below(io, 0);
	}
	io->cgen = vc->wseq;
	vc->goal = max(vc->goal, vc->wseq);
	cairn_io_list_add(&vc->flushes, io);
	spin_unlock_irqrestore(&vc->lock, flags);
	cairn_cache_kick(vc);
	return DM_MAPIO_SUBMITTED;
}

/* ---- writes ---- */

#define CAIRN_ABSORB_NO	(-1)	/* not a DM_MAPIO_* */

/*
 * Absorb a write into RAM: DM_MAPIO_SUBMITTED (completed or waiting), or
 * CAIRN_ABSORB_NO to bypass.
 */
static int cairn_cache_absorb(struct cairn_vcache *vc, struct cairn_io *io)
{
	struct bio *bio = io->bio;
	sector_t start = bio->bi_iter.bi_sector, end = bio_end_sector(bio);
	u64 first = start >> CAIRN_CB_SHIFT, last = (end - 1) >> CAIRN_CB_SHIFT;
	unsigned int n = last - first + 1, need = 0, got = 0, i;
	struct cairn_cblock *cb[CAIRN_CACHE_MAX_IO];
	unsigned long flags;
	LIST_HEAD(spare);
	bool high;

	if (n > CAIRN_CACHE_MAX_IO)
		return CAIRN_ABSORB_NO;
	for (;;) {
		spin_lock_irqsave(&vc->lock, flags);
		need = 0;
		for (i = 0; i < n; i++) {
			u64 blk = first + i;
			bool whole = (blk << CAIRN_CB_SHIFT) >= start &&
				     ((blk + 1) << CAIRN_CB_SHIFT) <= end;

			cb[i] = cairn_cb_find(vc, blk);
			if (cb[i] && cb[i]->state == CAIRN_CB_DESTAGING) {
				cairn_cache_wait(vc, io);
				spin_unlock_irqrestore(&vc->lock, flags);
				cairn_cb_free_list(&spare);
				return DM_MAPIO_SUBMITTED;
			}
			if (!cb[i] && !whole)
				goto no;
			if (!cb[i])
				need++;
		}
		if (need <= got)
			break;
		spin_unlock_irqrestore(&vc->lock, flags);
		got += cairn_cache_alloc(need - got, &spare);
		if (got < need) {
			cairn_cb_free_list(&spare);
			cairn_cache_kick_all();
			return CAIRN_ABSORB_NO;
		}
	}
	/* Under vc->lock, every block there or one in spare for it. */
	for (i = 0; i < n; i++) {
		struct cairn_cblock *b = cb[i];

		if (!b) {
			b = cairn_cb_take(&spare, first + i);
			cairn_cb_insert(vc, b);
			INIT_LIST_HEAD(&b->list);
			b->state = CAIRN_CB_CLEAN;	/* made dirty below */
			vc->nr_clean++;
			cb[i] = b;
		}
		if (b->state == CAIRN_CB_CLEAN) {
			vc->nr_clean--;
			if (b->protected)
				vc->nr_protected--;
			b->protected = false;
			b->state = CAIRN_CB_DIRTY;
			b->seq = ++vc->wseq;
			list_move_tail(&b->list, &vc->dirty);
			vc->nr_dirty++;
			atomic64_inc(&cairn_cache.nr_dirty);
		}
	}
	cairn_cache_copy(vc, bio, bio->bi_iter, cb, true);
	vc->stats[CAIRN_CS_WRITE_HITS]++;
	spin_unlock_irqrestore(&vc->lock, flags);
	cairn_cb_free_list(&spare);

	high = atomic64_read(&cairn_cache.nr_dirty) >
	       READ_ONCE(cairn_cache.nr_blocks) / 2;
	if (high && !READ_ONCE(cairn_cache.pressure)) {
		WRITE_ONCE(cairn_cache.pressure, true);
		cairn_cache_kick_all();
	}
	return cairn_cache_done(io, BLK_STS_OK);
no:
	spin_unlock_irqrestore(&vc->lock, flags);
	cairn_cb_free_list(&spare);
	return CAIRN_ABSORB_NO;
}

/*
 * A write that goes below (see "Writes"): waits while one of its blocks is
 * being destaged or pinned, or is dirty and covered in part (destaged
 * first); drops the others it covers.
 */
static int cairn_cache_bypass(struct cairn_vcache *vc, struct cairn_io *io)
{
	struct bio *bio = io->bio;
	sector_t start = bio->bi_iter.bi_sector, end = bio_end_sector(bio);
	u64 first = start >> CAIRN_CB_SHIFT, last = (end - 1) >> CAIRN_CB_SHIFT;
	struct cairn_cblock *cb, *next;
	bool wait = false, kick = false;
	unsigned long flags;
	LIST_HEAD(dropped);

	spin_lock_irqsave(&vc->lock, flags);
	for (cb = cairn_cb_ceil(vc, first); cb && cb->blk <= last;
	     cb = cairn_cb_next(cb)) {
		bool whole = (cb->blk << CAIRN_CB_SHIFT) >= start &&
			     ((cb->blk + 1) << CAIRN_CB_SHIFT) <= end;

		if (cb->state == CAIRN_CB_DESTAGING || cb->pins) {
			wait = true;
		} else if (cb->state == CAIRN_CB_DIRTY && !whole) {
			wait = true;
			if (!cb->urgent) {
				cb->urgent = true;
				vc->urgent++;
				kick = true;
			}
		}
	}
	if (wait) {
		cairn_cache_wait(vc, io);
		spin_unlock_irqrestore(&vc->lock, flags);
		if (kick)
			cairn_cache_kick(vc);
		return DM_MAPIO_SUBMITTED;
	}
	for (cb = cairn_cb_ceil(vc, first); cb && cb->blk <= last; cb = next) {
		next = cairn_cb_next(cb);
		cairn_cb_remove(vc, cb);
		list_add(&cb->list, &dropped);
	}
	vc->bypass_gen++;
	vc->bypass_inflight++;
	vc->stats[CAIRN_CS_BYPASSED]++;
	spin_unlock_irqrestore(&vc->lock, flags);
	cairn_cb_free_list(&dropped);
	io->cache |= CAIRN_CIO_BYPASS;
	return cairn_cache_below(io, CAIRN_CIO_ACTIVE | CAIRN_CIO_BYPASS);
}

/* ---- reads ---- */

static int cairn_cache_read(struct cairn_vcache *vc, struct cairn_io *io)
{
	struct bio *bio = io->bio;
	sector_t start = bio->bi_iter.bi_sector, end = bio_end_sector(bio);
	u64 first = start >> CAIRN_CB_SHIFT, last = (end - 1) >> CAIRN_CB_SHIFT;
	bool seq = cairn_cache_sequential(vc, bio);
	struct cairn_cblock *cb;
	unsigned long flags;
	u64 found = 0;

	spin_lock_irqsave(&vc->lock, flags);
	for (cb = cairn_cb_ceil(vc, first); cb && cb->blk <= last;
	     cb = cairn_cb_next(cb))
		found++;
	if (found == last - first + 1) {
		cairn_cache_copy(vc, bio, bio->bi_iter, NULL, false);
		for (cb = cairn_cb_ceil(vc, first); cb && cb->blk <= last;
		     cb = cairn_cb_next(cb))
			if (cb->state == CAIRN_CB_CLEAN)
				cairn_cb_clean(vc, cb, true);
		vc->stats[CAIRN_CS_READ_HITS]++;
		spin_unlock_irqrestore(&vc->lock, flags);
		return cairn_cache_done(io, BLK_STS_OK);
	}
	vc->stats[CAIRN_CS_READ_MISSES]++;
	if (!found && (seq || last - first >= CAIRN_CACHE_MAX_IO)) {
		/* Nothing to overlay, nothing to admit. */
		spin_unlock_irqrestore(&vc->lock, flags);
		return cairn_cache_below(io, 0);
	}
	for (cb = cairn_cb_ceil(vc, first); cb && cb->blk <= last;
	     cb = cairn_cb_next(cb))
		cb->pins++;
	/* Admit what it brings only if no bypassing write overlaps it. */
	io->cgen = vc->bypass_inflight || seq ||
		   last - first >= CAIRN_CACHE_MAX_IO ? U64_MAX : vc->bypass_gen;
	io->citer = bio->bi_iter;
	io->cwseq = vc->wseq;
	spin_unlock_irqrestore(&vc->lock, flags);
	io->cache |= CAIRN_CIO_READ;
	return cairn_cache_below(io, CAIRN_CIO_ACTIVE | CAIRN_CIO_READ);
}

/* A read that went below completed: overlay, unpin, admit. */
static void cairn_cache_read_done(struct cairn_vcache *vc, struct cairn_io *io,
				  blk_status_t status)
{
	struct bio *bio = io->bio;
	sector_t start = io->citer.bi_sector;
	sector_t end = start + (io->citer.bi_size >> SECTOR_SHIFT);
	u64 first = start >> CAIRN_CB_SHIFT, last = (end - 1) >> CAIRN_CB_SHIFT;
	struct cairn_cblock *cb, *new[CAIRN_CACHE_MAX_IO];
	unsigned int want = 0, got, i;
	bool admit = !status && io->cgen != U64_MAX;
	unsigned long flags;
	LIST_HEAD(spare);

	if (admit) {
		for (i = 0; i <= last - first; i++) {
			u64 blk = first + i;

			if ((blk << CAIRN_CB_SHIFT) >= start &&
			    ((blk + 1) << CAIRN_CB_SHIFT) <= end)
				want++;
		}
		got = cairn_cache_alloc(want, &spare);
		admit = got;
	}
	spin_lock_irqsave(&vc->lock, flags);
	for (cb = cairn_cb_ceil(vc, first); cb && cb->blk <= last;
	     cb = cairn_cb_next(cb))
		if (cb->pins)
			cb->pins--;
	if (!status)
		cairn_cache_copy(vc, bio, io->citer, NULL, false);
	/*
	 * What came from below is admitted only if nothing newer can have
	 * landed below meanwhile: no bypassing write, and no block written
	 * since the read went below that is gone from the cache already (an
	 * absorbed write destaged and evicted under the read: its block is
	 * not in the tree to say so).  Still cached blocks are skipped below.
	 */
	if (admit && io->cgen == vc->bypass_gen && !vc->bypass_inflight &&
	    vc->gone_seq <= io->cwseq) {
		memset(new, 0, sizeof(new));
		for (i = 0; i <= last - first && !list_empty(&spare); i++) {
			u64 blk = first + i;

			if ((blk << CAIRN_CB_SHIFT) < start ||
			    ((blk + 1) << CAIRN_CB_SHIFT) > end ||
			    cairn_cb_find(vc, blk))
				continue;
			new[i] = cairn_cb_take(&spare, blk);
		}
		cairn_cache_copy(vc, bio, io->citer, new, true);
		for (i = 0; i <= last - first; i++) {
			if (!new[i])
				continue;
			cairn_cb_insert(vc, new[i]);
			INIT_LIST_HEAD(&new[i]->list);
			new[i]->state = CAIRN_CB_CLEAN;
			vc->nr_clean++;
			cairn_cb_clean(vc, new[i], false);
		}
	}
	spin_unlock_irqrestore(&vc->lock, flags);
	cairn_cb_free_list(&spare);
	if (READ_ONCE(vc->waiting.head))
		cairn_cache_kick(vc);
}

/* ---- the entry point ---- */

static int cairn_cache_do(struct cairn_io *io)
{
	struct cairn_vcache *vc = io->vc;
	struct bio *bio = io->bio;
	bool wb = cairn_cache_wb(vc);
	int r;

	if (op_is_flush(bio->bi_opf) && !bio_sectors(bio))
		return cairn_cache_flush(vc, io, wb);
	if (bio_op(bio) == REQ_OP_READ)
		return cairn_cache_read(vc, io);
	if (bio_op(bio) == REQ_OP_WRITE && wb &&
	    (!(bio->bi_opf & REQ_FUA) ||
	     READ_ONCE(vc->flush) == CAIRN_CACHE_FLUSH_MIRROR) &&
	    !cairn_cache_sequential(vc, bio)) {
		r = cairn_cache_absorb(vc, io);
		if (r != CAIRN_ABSORB_NO)
			return r;
	}
	return cairn_cache_bypass(vc, io);
}

/*
 * The volume's entry point (see cairn.h): through the cache when the
 * volume has one, else the thin map.
 */
int cairn_vol_map(struct cairn_kvol *kv, struct bio *bio, struct cairn_io *io)
{
	struct cairn_vcache *vc;

	io->kv = kv;
	io->bio = bio;
	io->cache = 0;
	io->vc = NULL;
	io->epoch = CAIRN_EPOCH_NONE;
	io->member = U32_MAX;
	if (likely(!READ_ONCE(kv->cache)))
		return cairn_thin_map(kv, bio, io);
	rcu_read_lock();
	vc = READ_ONCE(kv->cache);
	if (vc)
		atomic_inc(&vc->active);
	rcu_read_unlock();
	if (!vc)
		return cairn_thin_map(kv, bio, io);
	io->vc = vc;
	io->cache = CAIRN_CIO_ACTIVE;
	if (bio_op(bio) != REQ_OP_READ && bio_op(bio) != REQ_OP_WRITE &&
	    !op_is_flush(bio->bi_opf) && bio_op(bio) != REQ_OP_DISCARD &&
	    bio_op(bio) != REQ_OP_WRITE_ZEROES)
		return cairn_cache_below(io, 0);
	return cairn_cache_do(io);
}

/* From cairn_vol_end_io(): an I/O that went below with cache state. */
void cairn_cache_end_io(struct cairn_io *io, blk_status_t status)
{
	struct cairn_vcache *vc = io->vc;
	unsigned long flags;

	if (io->cache & CAIRN_CIO_READ)
		cairn_cache_read_done(vc, io, status);
	if (io->cache & CAIRN_CIO_BYPASS) {
		spin_lock_irqsave(&vc->lock, flags);
		vc->bypass_inflight--;
		spin_unlock_irqrestore(&vc->lock, flags);
	}
	io->cache = 0;
	io->vc = NULL;
	cairn_cache_put(vc);
}

/* Run a parked I/O again, from the worker (no dm core to submit it). */
static void cairn_cache_redrive(struct cairn_io *io)
{
	struct bio *bio = io->bio;

	cairn_vol_dispatch(bio, cairn_cache_do(io));
}

/* ---- destage ---- */

static void cairn_cache_dreq_endio(struct bio *bio)
{
	struct cairn_dreq *dr = bio->bi_private;
	struct cairn_vcache *vc = dr->vc;
	blk_status_t status = bio->bi_status;
	unsigned long flags;
	unsigned int i;

	cairn_vol_end_io(&dr->io, &status);
	spin_lock_irqsave(&vc->lock, flags);
	if (!dr->n) {			/* a commit */
		vc->committing = false;
		if (!status)
			vc->committed_ctr = dr->ctr;
		spin_unlock_irqrestore(&vc->lock, flags);
		goto out;
	}
	for (i = 0; i < dr->n; i++) {
		struct cairn_cblock *cb = dr->cb[i];

		if (cb->urgent) {
			cb->urgent = false;
			vc->urgent--;
		}
		if (status) {
			cb->state = CAIRN_CB_DIRTY;
			continue;
		}
		cb->state = CAIRN_CB_CLEAN;
		vc->nr_dirty--;
		atomic64_dec(&cairn_cache.nr_dirty);
		vc->nr_clean++;
		cairn_cb_clean(vc, cb, false);
	}
	vc->destaging--;
	vc->stats[CAIRN_CS_DESTAGE_WRITES]++;
	if (status) {
		vc->error = status;
	} else {
		vc->stats[CAIRN_CS_DESTAGED] += dr->n;
		vc->destaged_ctr++;
	}
	spin_unlock_irqrestore(&vc->lock, flags);
	if (status)
		DMERR_LIMIT("%s/%s: destaging %u cached blocks failed: they stay dirty",
			    vc->kv->kp->name, vc->kv->vol->name, dr->n);
out:
	bio_put(bio);
	mempool_free(dr, cairn_cache.dreq_pool);
	cairn_cache_kick(vc);
	cairn_cache_put(vc);
}

/* Send @bio (a destage write or a commit) through the thin map. */
static void cairn_cache_dreq_submit(struct cairn_dreq *dr, struct bio *bio)
{
	atomic_inc(&dr->vc->active);
	bio->bi_end_io = cairn_cache_dreq_endio;
	bio->bi_private = dr;
	dr->io.cache = 0;
	dr->io.vc = NULL;
	dr->io.kv = dr->vc->kv;
	dr->io.bio = bio;
	cairn_vol_dispatch(bio, cairn_thin_map(dr->vc->kv, bio, &dr->io));
}

/*
 * The next run of dirty blocks due for destage, from the elevator's
 * position on (wrapping once), marked DESTAGING; 0 if none.
 */
static unsigned int cairn_cache_pick(struct cairn_vcache *vc,
				     struct cairn_cblock **run)
{
	unsigned int chunk_blocks = 1U << (vc->kv->kp->chunk_shift -
					   CAIRN_CB_SHIFT);
	unsigned int max = min_t(unsigned int, CAIRN_CACHE_MAX_IO, chunk_blocks);
	struct cairn_cblock *cb, *prev;
	unsigned int n = 0, pass;
	struct rb_node *p;

	for (pass = 0; pass < 2 && !n; pass++) {
		cb = pass ? (vc->tree.rb_node ?
			     rb_entry(rb_first(&vc->tree), struct cairn_cblock, node) :
			     NULL) : cairn_cb_ceil(vc, vc->cursor);
		for (; cb; cb = cairn_cb_next(cb)) {
			if (pass && cb->blk >= vc->cursor)
				break;
			if (cb->state == CAIRN_CB_DIRTY &&
			    (cb->seq <= vc->goal || cb->urgent))
				break;
		}
		if (!cb || (pass && cb->blk >= vc->cursor))
			continue;
		/* Back to the start of its dirty run, within the chunk. */
		for (;;) {
			p = rb_prev(&cb->node);
			if (!p)
				break;
			prev = rb_entry(p, struct cairn_cblock, node);
			if (prev->blk + 1 != cb->blk ||
			    prev->state != CAIRN_CB_DIRTY ||
			    (prev->blk & (chunk_blocks - 1)) == chunk_blocks - 1)
				break;
			cb = prev;
		}
		while (cb && n < max && cb->state == CAIRN_CB_DIRTY &&
		       (!n || (run[n - 1]->blk + 1 == cb->blk &&
			       (cb->blk & (chunk_blocks - 1))))) {
			cb->state = CAIRN_CB_DESTAGING;
			run[n++] = cb;
			cb = cairn_cb_next(cb);
		}
	}
	if (n)
		vc->cursor = run[n - 1]->blk + 1;
	return n;
}

static void cairn_cache_destage(struct cairn_vcache *vc)
{
	struct cairn_dreq *dr;
	struct bio *bio;
	unsigned int i;
	bool flush;

	for (;;) {
		dr = mempool_alloc(cairn_cache.dreq_pool, GFP_NOIO);
		dr->vc = vc;
		spin_lock_irq(&vc->lock);
		/* A waiting flush has them all sent in one round trip. */
		flush = vc->flushes.head;
		dr->n = vc->destaging < (flush ? CAIRN_CACHE_FLUSH_DEPTH :
					 CAIRN_CACHE_DEPTH) ?
			cairn_cache_pick(vc, dr->cb) : 0;
		if (dr->n)
			vc->destaging++;
		spin_unlock_irq(&vc->lock);
		if (!dr->n) {
			mempool_free(dr, cairn_cache.dreq_pool);
			return;
		}
		/*
		 * For a waiting flush, FUA: each write is durable when it
		 * completes, and the flush needs no member flush after them.
		 */
		bio = bio_alloc_bioset(NULL, dr->n,
				       REQ_OP_WRITE | (flush ? REQ_FUA : 0),
				       GFP_NOIO, &cairn_cache.bs);
		bio->bi_iter.bi_sector = dr->cb[0]->blk << CAIRN_CB_SHIFT;
		for (i = 0; i < dr->n; i++)
			__bio_add_page(bio, dr->cb[i]->page, PAGE_SIZE, 0);
		cairn_cache_dreq_submit(dr, bio);
	}
}

/* flush=mirror: make what was destaged durable (see cairn_cache_durable()). */
static void cairn_cache_commit(struct cairn_vcache *vc)
{
	struct cairn_dreq *dr;

	spin_lock_irq(&vc->lock);
	if (vc->committing || vc->destaging ||
	    vc->destaged_ctr == vc->committed_ctr) {
		spin_unlock_irq(&vc->lock);
		return;
	}
	vc->committing = true;
	spin_unlock_irq(&vc->lock);
	dr = mempool_alloc(cairn_cache.dreq_pool, GFP_NOIO);
	dr->vc = vc;
	dr->n = 0;
	dr->ctr = READ_ONCE(vc->destaged_ctr);
	cairn_cache_dreq_submit(dr, bio_alloc_bioset(NULL, 0,
						     REQ_OP_WRITE | REQ_PREFLUSH,
						     GFP_NOIO, &cairn_cache.bs));
}

static void cairn_cache_work(struct work_struct *work)
{
	struct cairn_vcache *vc = container_of(work, struct cairn_vcache, work);
	struct cairn_io *io, *next, *fail = NULL, *ready = NULL, **tail = &ready;
	struct cairn_io_list keep = { };
	bool wb = cairn_cache_wb(vc);
	blk_status_t error;
	u64 oldest;

	spin_lock_irq(&vc->lock);
	if (!wb || READ_ONCE(cairn_cache.pressure))
		vc->goal = vc->wseq;
	oldest = list_empty(&vc->dirty) ? U64_MAX :
		 list_first_entry(&vc->dirty, struct cairn_cblock, list)->seq;
	error = vc->error;
	for (io = cairn_io_list_take(&vc->flushes); io; io = next) {
		next = io->next;
		if (io->cgen < oldest) {
			*tail = io;
			tail = &io->next;
			io->next = NULL;
		} else if (error) {
			io->next = fail;
			fail = io;
		} else {
			cairn_io_list_add(&keep, io);
		}
	}
	vc->flushes = keep;
	if (error)
		vc->error = 0;
	io = cairn_io_list_take(&vc->waiting);
	spin_unlock_irq(&vc->lock);

	if (atomic64_read(&cairn_cache.nr_dirty) <
	    READ_ONCE(cairn_cache.nr_blocks) / 4)
		WRITE_ONCE(cairn_cache.pressure, false);

	for (; ready; ready = next) {
		struct bio *bio = ready->bio;	/* @ready may be gone after */

		next = ready->next;
		cairn_vol_dispatch(bio, cairn_cache_below(ready, 0));
	}
	for (; fail; fail = next) {
		next = fail->next;
		cairn_cache_done(fail, error);
	}
	for (; io; io = next) {
		next = io->next;
		cairn_cache_redrive(io);
	}
	cairn_cache_destage(vc);
	if (READ_ONCE(vc->flush) == CAIRN_CACHE_FLUSH_MIRROR)
		cairn_cache_commit(vc);
	wake_up_all(&vc->idle);
}

static void cairn_cache_tick(struct work_struct *work)
{
	struct cairn_vcache *vc = container_of(to_delayed_work(work),
					       struct cairn_vcache, tick);

	spin_lock_irq(&vc->lock);
	vc->goal = max(vc->goal, vc->tick_seq);
	vc->tick_seq = vc->wseq;
	spin_unlock_irq(&vc->lock);
	cairn_cache_kick(vc);
	queue_delayed_work(cairn_cache.wq, &vc->tick,
			   msecs_to_jiffies(CAIRN_CACHE_TICK_MS));
}

/* ---- what the mirror asks ---- */

/*
 * Is everything written to the volume on its members and committed (as
 * far as the cache goes)?  The mirror's activity log keeps its regions
 * until so.  Lock-free; any context.
 */
bool cairn_cache_durable(struct cairn_kvol *kv)
{
	struct cairn_vcache *vc;
	bool durable = true;

	rcu_read_lock();
	vc = READ_ONCE(kv->cache);
	if (vc)
		durable = !READ_ONCE(vc->nr_dirty) &&
			  READ_ONCE(vc->destaged_ctr) ==
			  READ_ONCE(vc->committed_ctr);
	rcu_read_unlock();
	return durable;
}

/*
 * Does the cache hold data of sectors [@start, @last] that the thin map may
 * not show yet: a block dirty, or being destaged (its chunk may be being
 * provisioned)?  A clean block is what the map holds already.
 */
static bool cairn_cache_holds(struct cairn_kvol *kv, sector_t start,
			      sector_t last)
{
	struct cairn_cblock *cb;
	struct cairn_vcache *vc;
	unsigned long flags;
	bool holds = false;

	rcu_read_lock();
	vc = READ_ONCE(kv->cache);
	if (vc) {
		spin_lock_irqsave(&vc->lock, flags);
		for (cb = cairn_cb_ceil(vc, start >> CAIRN_CB_SHIFT);
		     cb && cb->blk <= last >> CAIRN_CB_SHIFT && !holds;
		     cb = cairn_cb_next(cb))
			holds = cb->state != CAIRN_CB_CLEAN;
		spin_unlock_irqrestore(&vc->lock, flags);
	}
	rcu_read_unlock();
	return holds;
}

/*
 * Does the volume hold data in sectors [@start, @last] of one chunk?  Asked
 * at the top of the stack, as every "what is here" question must be (the
 * mirror's resync and the grains it serves): the cache first, then the thin
 * map -- in that order, since a block leaves the cache only after its
 * destage published the chunk's mapping.  Unmapped and not cached: zeros.
 */
bool cairn_vol_holds(struct cairn_kvol *kv, sector_t start, sector_t last)
{
	u64 pchunk;
	u32 member;
	bool mapped;

	if (cairn_cache_holds(kv, start, last))
		return true;
	rcu_read_lock();
	mapped = cairn_lookup(kv->vol, start >> kv->kp->chunk_shift, &member,
			      &pchunk);
	rcu_read_unlock();
	return mapped;
}

/*
 * Does @kv's cache complete FLUSHes from RAM when its mirror is connected
 * (write-back, flush=mirror)?  Lock-free: the mirror asks under its lock.
 */
bool cairn_cache_mirror_ram(struct cairn_kvol *kv)
{
	struct cairn_vcache *vc;
	bool ram = false;

	rcu_read_lock();
	vc = READ_ONCE(kv->cache);
	if (vc)
		ram = READ_ONCE(vc->mode) == CAIRN_CACHE_WRITEBACK &&
		      READ_ONCE(vc->flush) == CAIRN_CACHE_FLUSH_MIRROR &&
		      !READ_ONCE(vc->draining);
	rcu_read_unlock();
	return ram;
}

/* The mirror's link changed: a volume in flush=mirror may drain now. */
void cairn_cache_link_changed(struct cairn_kvol *kv)
{
	struct cairn_vcache *vc;

	rcu_read_lock();
	vc = READ_ONCE(kv->cache);
	if (vc)
		cairn_cache_kick(vc);
	rcu_read_unlock();
}

/* ---- control ---- */

static bool cairn_cache_drained(struct cairn_vcache *vc)
{
	bool done;

	spin_lock_irq(&vc->lock);
	done = !vc->nr_dirty && !vc->destaging && !vc->waiting.head &&
	       !vc->flushes.head;
	spin_unlock_irq(&vc->lock);
	return done;
}

/* Unhook and free @vc (drained, or abandoned); cairn_cache.mutex held. */
static void cairn_cache_free(struct cairn_vcache *vc)
{
	struct cairn_kvol *kv = vc->kv;
	struct cairn_cblock *cb, *next;
	LIST_HEAD(blocks);
	unsigned int i;

	WRITE_ONCE(kv->cache, NULL);
	synchronize_rcu();
	for (;;) {
		cairn_cache_kick(vc);
		if (wait_event_timeout(vc->idle, !atomic_read(&vc->active), HZ))
			break;
	}
	/* Out of the list first: kick_all() and eviction find it there. */
	spin_lock_irq(&cairn_cache.vc_lock);
	list_del(&vc->node_list);
	spin_unlock_irq(&cairn_cache.vc_lock);
	cancel_delayed_work_sync(&vc->tick);
	cancel_work_sync(&vc->work);
	rbtree_postorder_for_each_entry_safe(cb, next, &vc->tree, node) {
		list_del_init(&cb->list);
		list_add(&cb->list, &blocks);
	}
	if (vc->nr_dirty)
		DMERR("%s/%s: %llu dirty cached blocks dropped with the volume",
		      kv->kp->name, kv->vol->name, vc->nr_dirty);
	atomic64_sub(vc->nr_dirty, &cairn_cache.nr_dirty);
	for (i = 0; i < CAIRN_CS_NR; i++)
		cairn_cache.retired[i] += vc->stats[i];
	cairn_cb_free_list(&blocks);
	kfree(vc);
}

/*
 * Turning a cache off (kv->cache_off, so that it outlives the cache): the
 * volume bypasses from the request on; every dirty block is destaged --
 * tried again every second if the members fail, for nothing acknowledged
 * may be lost -- then the cache is freed.  VOLUME_GET shows it (mode off,
 * its dirty blocks) until then.  Outside the netlink request, which would
 * otherwise hold genl_mutex, and cairnd's lease renewals, for the drain.
 */
void cairn_cache_off_work(struct work_struct *work)
{
	struct cairn_kvol *kv = container_of(work, struct cairn_kvol, cache_off);
	struct cairn_vcache *vc = kv->cache;	/* only this work frees it */

	while (!READ_ONCE(vc->abandon)) {
		cairn_cache_kick(vc);
		if (wait_event_timeout(vc->idle, cairn_cache_drained(vc), HZ))
			break;
		if (READ_ONCE(vc->error))
			DMERR_LIMIT("%s/%s: turning the cache off: destaging fails, retrying",
				    kv->kp->name, kv->vol->name);
	}
	mutex_lock(&cairn_cache.mutex);
	DMINFO("%s/%s: RAM cache off", kv->kp->name, kv->vol->name);
	cairn_cache_free(vc);
	mutex_unlock(&cairn_cache.mutex);
}

/*
 * Turn @kv's cache on (@mode writethrough or writeback), change it (@flush
 * < 0: as it is), or off (see cairn_cache_off_work()).  Under kp->lock.
 */
int cairn_cache_set(struct cairn_kvol *kv, u32 mode, int flush, u32 cutoff,
		    bool has_cutoff, const char **why)
{
	struct cairn_vcache *vc;
	int r = 0;

	mutex_lock(&cairn_cache.mutex);
	vc = kv->cache;
	if (vc && vc->off) {
		if (mode != CAIRN_CACHE_OFF) {
			*why = "the cache is being turned off (draining): wait until it is gone";
			r = -EBUSY;
		}
		goto out;
	}
	if (mode == CAIRN_CACHE_OFF) {
		if (vc) {
			vc->off = true;
			WRITE_ONCE(vc->mode, CAIRN_CACHE_OFF);
			WRITE_ONCE(vc->draining, true);
			queue_work(system_long_wq, &kv->cache_off);
		}
		goto out;
	}
	if (flush < 0)
		flush = vc ? vc->flush : CAIRN_CACHE_FLUSH_DISK;
	if (flush == CAIRN_CACHE_FLUSH_MIRROR && !kv->mir) {
		*why = "flush=mirror needs a mirrored volume";
		r = -EINVAL;
		goto out;
	}
	if (vc) {
		WRITE_ONCE(vc->mode, mode);
		WRITE_ONCE(vc->flush, flush);
		if (has_cutoff)
			WRITE_ONCE(vc->seq_cutoff, cutoff);
		cairn_cache_kick(vc);	/* write-through now: drain */
		goto out;
	}
	if (!cairn_cache.nr_blocks) {
		*why = "the node has no cache budget: set one first";
		r = -ENOSPC;
		goto out;
	}
	vc = kzalloc(sizeof(*vc), GFP_KERNEL);
	if (!vc) {
		*why = "out of memory";
		r = -ENOMEM;
		goto out;
	}
	vc->kv = kv;
	spin_lock_init(&vc->lock);
	vc->tree = RB_ROOT;
	INIT_LIST_HEAD(&vc->probation);
	INIT_LIST_HEAD(&vc->protected);
	INIT_LIST_HEAD(&vc->dirty);
	vc->mode = mode;
	vc->flush = flush;
	vc->seq_cutoff = has_cutoff ? cutoff : CAIRN_CACHE_DEF_CUTOFF;
	atomic_set(&vc->active, 0);
	init_waitqueue_head(&vc->idle);
	INIT_WORK(&vc->work, cairn_cache_work);
	INIT_DELAYED_WORK(&vc->tick, cairn_cache_tick);
	spin_lock_irq(&cairn_cache.vc_lock);
	list_add_tail(&vc->node_list, &cairn_cache.vcaches);
	spin_unlock_irq(&cairn_cache.vc_lock);
	WRITE_ONCE(kv->cache, vc);
	queue_delayed_work(cairn_cache.wq, &vc->tick,
			   msecs_to_jiffies(CAIRN_CACHE_TICK_MS));
	DMINFO("%s/%s: RAM cache on", kv->kp->name, kv->vol->name);
out:
	mutex_unlock(&cairn_cache.mutex);
	return r;
}

/*
 * The volume is going away (deleted, or its pool failed to open): what
 * its cache holds goes with it.  Under kp->lock.
 */
void cairn_cache_destroy(struct cairn_kvol *kv)
{
	/*
	 * No cache (a delete checked with cairn_cache_busy()): not a wait for
	 * cairn_cache.mutex, which another volume's drain may hold while its
	 * destage waits for the txn_sem this caller may hold.
	 */
	if (!READ_ONCE(kv->cache)) {
		flush_work(&kv->cache_off);	/* past its free: it returns */
		return;
	}
	mutex_lock(&cairn_cache.mutex);
	if (kv->cache && kv->cache->off)
		WRITE_ONCE(kv->cache->abandon, true);
	mutex_unlock(&cairn_cache.mutex);
	flush_work(&kv->cache_off);
	mutex_lock(&cairn_cache.mutex);
	if (kv->cache)
		cairn_cache_free(kv->cache);
	mutex_unlock(&cairn_cache.mutex);
}

/*
 * Has @kv a cache, or is one being turned off or freed?  Never waits: the
 * caller holds kp->lock and txn_sem, which a drain's destage may wait for.
 * A cache is freed whole under cairn_cache.mutex, so with the mutex taken
 * and no cache, none is in flight.  (The mutex busy with another volume
 * says busy too: try again.)
 */
bool cairn_cache_busy(struct cairn_kvol *kv)
{
	bool busy;

	if (!mutex_trylock(&cairn_cache.mutex))
		return true;
	busy = !!kv->cache;
	mutex_unlock(&cairn_cache.mutex);
	return busy;
}

#define CAIRN_CACHE_CLOSE_WAIT	(60 * HZ)

/*
 * Before a pool closes: every cache of its volumes drained and gone, or
 * the close is refused (a minute without the members taking the dirty
 * blocks; the drain goes on).  Under kp->lock.
 */
int cairn_cache_close_pool(struct cairn_kpool *kp, const char **why)
{
	unsigned long end = jiffies + CAIRN_CACHE_CLOSE_WAIT;
	struct cairn_kvol *kv;

	list_for_each_entry(kv, &kp->vols, list)
		if (kv->cache)
			cairn_cache_set(kv, CAIRN_CACHE_OFF, 0, 0, false, why);
	list_for_each_entry(kv, &kp->vols, list) {
		while (READ_ONCE(kv->cache) && time_before(jiffies, end))
			msleep(100);
		if (READ_ONCE(kv->cache)) {
			*why = "a volume's RAM cache could not be destaged: it is still draining";
			return -EIO;
		}
	}
	return 0;
}

static void cairn_cache_free_blocks(struct list_head *l)
{
	struct cairn_cblock *cb, *next;

	list_for_each_entry_safe(cb, next, l, list) {
		list_del(&cb->list);
		__free_page(cb->page);
		kfree(cb);
	}
}

/* CACHE_SET: the node's budget, in bytes (a MiB multiple). */
int cairn_cache_budget(u64 bytes, const char **why)
{
	u64 want = bytes >> PAGE_SHIFT, have, i, peak;
	LIST_HEAD(blocks);
	int r = 0;

	if (bytes & ((1ULL << 20) - 1)) {
		*why = "the cache budget must be a multiple of 1 MiB";
		return -EINVAL;
	}
	if (want > totalram_pages() / 2) {
		*why = "the cache budget may be at most half of the node's RAM";
		return -EINVAL;
	}
	mutex_lock(&cairn_cache.mutex);
	have = cairn_cache.nr_blocks;
	if (!want && !list_empty(&cairn_cache.vcaches)) {
		*why = "volumes have a RAM cache: turn them off before the budget goes";
		r = -EBUSY;
		goto out;
	}
	if (want > have) {
		for (i = have; i < want; i++) {
			struct cairn_cblock *cb = kzalloc(sizeof(*cb), GFP_KERNEL);

			if (cb)
				cb->page = alloc_page(GFP_KERNEL | __GFP_NOWARN);
			if (!cb || !cb->page) {
				kfree(cb);
				cairn_cache_free_blocks(&blocks);
				*why = "not enough memory for that cache budget";
				r = -ENOMEM;
				goto out;
			}
			list_add(&cb->list, &blocks);
		}
		spin_lock_irq(&cairn_cache.free_lock);
		list_splice(&blocks, &cairn_cache.free);
		cairn_cache.nr_free += want - have;
		cairn_cache.nr_blocks = want;
		spin_unlock_irq(&cairn_cache.free_lock);
		goto out;
	}
	/* Shrink: free blocks first, then clean ones (not a use: no peak). */
	spin_lock_irq(&cairn_cache.free_lock);
	peak = cairn_cache.peak;
	spin_unlock_irq(&cairn_cache.free_lock);
	i = cairn_cache_alloc(have - want, &blocks);
	spin_lock_irq(&cairn_cache.free_lock);
	cairn_cache.peak = peak;
	spin_unlock_irq(&cairn_cache.free_lock);
	if (i < have - want) {
		cairn_cb_free_list(&blocks);
		*why = "the caches hold more than that dirty or in use: disable some first";
		r = -EBUSY;
		goto out;
	}
	spin_lock_irq(&cairn_cache.free_lock);
	cairn_cache.nr_blocks = want;
	spin_unlock_irq(&cairn_cache.free_lock);
	cairn_cache_free_blocks(&blocks);
out:
	mutex_unlock(&cairn_cache.mutex);
	return r;
}

static int cairn_cache_put_stats(struct sk_buff *msg, const u64 *s)
{
	static const u16 attr[CAIRN_CS_NR] = {
		[CAIRN_CS_READ_HITS] = CAIRN_CACHE_READ_HITS,
		[CAIRN_CS_READ_MISSES] = CAIRN_CACHE_READ_MISSES,
		[CAIRN_CS_WRITE_HITS] = CAIRN_CACHE_WRITE_HITS,
		[CAIRN_CS_BYPASSED] = CAIRN_CACHE_BYPASSED,
		[CAIRN_CS_DESTAGE_WRITES] = CAIRN_CACHE_DESTAGE_WRITES,
		[CAIRN_CS_DESTAGED] = CAIRN_CACHE_DESTAGED,
		[CAIRN_CS_EVICTIONS] = CAIRN_CACHE_EVICTIONS,
	};
	unsigned int i;

	for (i = 0; i < CAIRN_CS_NR; i++)
		if (nla_put_u64_64bit(msg, attr[i], s[i], CAIRN_CACHE_PAD))
			return -EMSGSIZE;
	return 0;
}

/* A volume's cache into a VOLUME_GET reply (kp->lock held). */
int cairn_cache_fill(struct sk_buff *msg, struct cairn_kvol *kv)
{
	u64 s[CAIRN_CS_NR], blocks, dirty, peak;
	u32 mode, flush, cutoff;
	struct cairn_vcache *vc;
	struct nlattr *nest;
	bool wb;

	/* The off work frees a cache under the mutex, not kp->lock. */
	mutex_lock(&cairn_cache.mutex);
	vc = kv->cache;
	if (!vc) {
		mutex_unlock(&cairn_cache.mutex);
		return 0;
	}
	wb = cairn_cache_wb(vc);
	mode = vc->mode;
	flush = vc->flush;
	cutoff = vc->seq_cutoff;
	spin_lock_irq(&vc->lock);
	memcpy(s, vc->stats, sizeof(s));
	blocks = vc->nr_blocks;
	dirty = vc->nr_dirty;
	peak = vc->peak;
	spin_unlock_irq(&vc->lock);
	mutex_unlock(&cairn_cache.mutex);
	nest = nla_nest_start(msg, CAIRN_ATTR_CACHE);
	if (!nest ||
	    nla_put_u32(msg, CAIRN_CACHE_MODE, mode) ||
	    nla_put_u32(msg, CAIRN_CACHE_FLUSH, flush) ||
	    nla_put_u32(msg, CAIRN_CACHE_WRITE_BACK, wb) ||
	    nla_put_u32(msg, CAIRN_CACHE_SEQ_CUTOFF, cutoff) ||
	    nla_put_u64_64bit(msg, CAIRN_CACHE_BLOCKS, blocks, CAIRN_CACHE_PAD) ||
	    nla_put_u64_64bit(msg, CAIRN_CACHE_DIRTY, dirty, CAIRN_CACHE_PAD) ||
	    nla_put_u64_64bit(msg, CAIRN_CACHE_PEAK, peak, CAIRN_CACHE_PAD) ||
	    cairn_cache_put_stats(msg, s))
		return -EMSGSIZE;
	nla_nest_end(msg, nest);
	return 0;
}

/* CACHE_GET: the budget and the node's sums. */
int cairn_cache_fill_node(struct sk_buff *msg)
{
	u64 s[CAIRN_CS_NR], blocks, budget, peak;
	struct cairn_vcache *vc;
	struct nlattr *nest;
	unsigned int i, nr = 0;

	mutex_lock(&cairn_cache.mutex);
	memcpy(s, cairn_cache.retired, sizeof(s));
	spin_lock_irq(&cairn_cache.vc_lock);
	list_for_each_entry(vc, &cairn_cache.vcaches, node_list) {
		spin_lock(&vc->lock);
		for (i = 0; i < CAIRN_CS_NR; i++)
			s[i] += vc->stats[i];
		spin_unlock(&vc->lock);
		nr++;
	}
	spin_unlock_irq(&cairn_cache.vc_lock);
	spin_lock_irq(&cairn_cache.free_lock);
	blocks = cairn_cache.nr_blocks - cairn_cache.nr_free;
	budget = cairn_cache.nr_blocks << PAGE_SHIFT;
	peak = cairn_cache.peak;
	spin_unlock_irq(&cairn_cache.free_lock);
	mutex_unlock(&cairn_cache.mutex);

	if (nla_put_u64_64bit(msg, CAIRN_ATTR_CACHE_BUDGET, budget,
			      CAIRN_ATTR_PAD))
		return -EMSGSIZE;
	nest = nla_nest_start(msg, CAIRN_ATTR_CACHE);
	if (!nest ||
	    nla_put_u64_64bit(msg, CAIRN_CACHE_BLOCKS, blocks, CAIRN_CACHE_PAD) ||
	    nla_put_u64_64bit(msg, CAIRN_CACHE_DIRTY,
			      atomic64_read(&cairn_cache.nr_dirty), CAIRN_CACHE_PAD) ||
	    nla_put_u64_64bit(msg, CAIRN_CACHE_PEAK, peak, CAIRN_CACHE_PAD) ||
	    nla_put_u32(msg, CAIRN_CACHE_VOLUMES, nr) ||
	    cairn_cache_put_stats(msg, s))
		return -EMSGSIZE;
	nla_nest_end(msg, nest);
	return 0;
}

int __init cairn_cache_init(void)
{
	int r;

	mutex_init(&cairn_cache.mutex);
	spin_lock_init(&cairn_cache.free_lock);
	spin_lock_init(&cairn_cache.vc_lock);
	INIT_LIST_HEAD(&cairn_cache.free);
	INIT_LIST_HEAD(&cairn_cache.vcaches);
	atomic64_set(&cairn_cache.nr_dirty, 0);
	cairn_cache.wq = alloc_workqueue("cairn_cache", WQ_MEM_RECLAIM, 0);
	if (!cairn_cache.wq)
		return -ENOMEM;
	r = bioset_init(&cairn_cache.bs, BIO_POOL_SIZE, 0, BIOSET_NEED_BVECS);
	if (r)
		goto out_wq;
	cairn_cache.dreq_pool = mempool_create_kmalloc_pool(CAIRN_CACHE_DEPTH,
							    sizeof(struct cairn_dreq));
	if (!cairn_cache.dreq_pool) {
		r = -ENOMEM;
		goto out_bs;
	}
	return 0;
out_bs:
	bioset_exit(&cairn_cache.bs);
out_wq:
	destroy_workqueue(cairn_cache.wq);
	return r;
}

void cairn_cache_exit(void)
{
	/* No pool is left, so no cache: only the budget. */
	cairn_cache_free_blocks(&cairn_cache.free);
	mempool_destroy(cairn_cache.dreq_pool);
	bioset_exit(&cairn_cache.bs);
	destroy_workqueue(cairn_cache.wq);
}
