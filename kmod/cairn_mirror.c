// SPDX-License-Identifier: GPL-2.0
/*
 * The mirror: a volume on two nodes, a write complete only when both have
 * it ("protocol C").
 *
 * Roles
 * -----
 * A mirrored volume is primary on one node and secondary on the other.  The
 * primary serves I/O; the secondary's device refuses all I/O, and the
 * secondary only applies what the primary sends, through the same volume
 * entry point (cairn_vol_map()) that host I/O takes, so its writes are
 * provisioned, accounted and committed like any other.
 *
 * The link
 * --------
 * cairnd connects two TCP sockets and authenticates the peer; the module
 * takes them over (MIRROR_CONNECT) after an exchange of HELLO that checks
 * the volume (same UUID and size) and the roles (never two primaries).  The
 * request only takes the sockets: the handshake (HELLO, the bitmaps) runs
 * in connect_work, outside genl_mutex and the pool's lock, since it waits
 * for the peer up to timeout_ms per message and cairnd's lease renewals
 * for every volume must go on meanwhile; its result is an event and
 * VOLUME_GET's CONNECT_DONE/ERR/WHY, which libcairn waits for.  A control
 * call that changes what the handshake looked at (a disconnect, a role
 * change, a detach) ends it first: cairn_connect_abort() shuts its sockets
 * down, so every wait of it ends at once, and waits for the work; the
 * link goes up only if no abort came before (both under mir->lock).  The
 * data socket carries DATA, FLUSH and HELLO from a node to its peer; the
 * meta socket carries the acks and pings, so an ack never waits behind
 * data.  Each node runs a receiver thread per socket; sends come from
 * workers, one sender per socket at a time.  The primary's sender hands
 * TCP what is queued under one hold of the socket's lock (up to
 * CAIRN_TX_BATCH messages, headers and payload pages sent by reference,
 * zero-copy, and pushed to the wire once; safe because a write completes
 * only when the peer has its bytes, and a failed link's data socket is
 * aborted before the writes it carried complete), and the meta receiver
 * takes whatever arrived in one call (a burst of acks is one receive, not
 * two per ack): under load the primary's CPU is what limits the writes it
 * mirrors, and each call into TCP and each byte copied cost it.  For the
 * same reason a write queued while CAIRN_TX_RIDE or more await their ack
 * does not wake the sender: the meta receiver, which wakes for the next
 * ack anyway, kicks it after that ack, and the writes queued by then go
 * out together (at a low queue depth every write wakes the sender at
 * once).  Both nodes ping every ping_ms; a node that hears nothing for
 * timeout_ms, or waits longer for an ack, drops the link: the primary goes
 * on alone ("degraded"), recording what the peer missed.  Nothing waits on
 * a dead link.
 *
 * A write's life (primary)
 * ------------------------
 *   map()  -> the write takes its range in mir->writes (an interval tree);
 *             if an overlapping write is in flight it waits on conflicts
 *             until that one completed on both nodes, so overlapping writes
 *             are applied in the same order on both
 *          -> remote half: a sequence number, then sendq (the sender
 *             worker moves it to sent as it sends it) -- or, without a
 *             link, its range goes into the out-of-sync bitmap at once
 *          -> local half: a clone through cairn_vol_map()
 *   local completion and remote completion (WRITE_ACK, NEG_ACK, or the
 *   link dropped: then its range goes into the bitmap) each drop one
 *   reference; the last one releases the range, wakes the conflicting
 *   writes, and completes the host's bio with the local half's status.
 *   A local failure also marks the range out of sync: the peer may hold
 *   what we do not, and resync makes it ours again.
 * cairn_mreq_put() is the one place where the halves join (DRBD's
 * mod_rq_state() in spirit).
 *
 * FLUSH: a host write completes only after the peer acknowledged it, that
 * is after the peer's own write completed; so when the peer flushes its
 * volume on a FLUSH message, every write the host saw complete is durable
 * there.  A host flush is a local flush joined with a FLUSH/FLUSH_ACK.  A
 * FUA write is sent with FUA and completes once durable on both.
 *
 * Resync
 * ------
 * The bitmap (a bit per grain: the pool's chunk, at most 1 MiB) says what
 * the peer may lack.  A new mirror starts with every bit set; a connected
 * primary sends the set bits one grain at a time, a few at once, taking
 * the grain's range in mir->writes like a write (so host writes and resync
 * of one grain exclude each other), and clears a bit when the peer has
 * acknowledged it.  Thin-aware: a grain the volume holds nothing of is
 * sent as a range without data (UNMAPPED: the peer discards it), and not
 * at all when the peer's volume holds nothing.  "Holds nothing" is asked
 * at the top of the stack (cairn_vol_holds()): neither the RAM cache, which
 * may hold a grain's only data dirty, nor the thin map.  When no bit is
 * left the primary says so in a HELLO, and the secondary calls its data
 * consistent.
 *
 * Generations
 * -----------
 * Which node has which data is decided from generation identifiers, as
 * DRBD does with its UUIDs.  gen_current names a node's data (a random
 * number; 0: unknown, never synced).  A primary that writes what its peer
 * will not get (no link) starts a new generation the first time: the old
 * one becomes gen_bitmap, "the bitmap counts from there".  A secondary
 * that finished a resync takes the primary's gen_current.  At every
 * handshake, whatever the roles, both nodes decide from the two HELLOs
 * with one table (core/handshake.c, checked against a model of two nodes
 * by tests/unit/test_handshake.c).  With P the primary and S the secondary:
 *   S unknown (0)                      -> full resync (thin-aware)
 *   S == P.current or S == P.bitmap     -> resync of P's bitmap
 *   P.current == S.bitmap               -> S has newer data: refused
 *   anything else                       -> split brain: refused
 * Two secondaries exchange their bits (each takes the other's), and one
 * whose data is behind a consistent peer's (its generation is the peer's
 * bitmap or history) is outdated: it is not promoted without force, and
 * whichever is promoted later resyncs every region where either may
 * differ.  A secondary whose connected peer becomes primary checks that
 * the primary's data descends from its own and that it has its bits
 * (cairn_hs_promoted()); if not, the link is dropped.
 * A primary under cairnd's quorum that is demoted having acknowledged no
 * write of its new generation (it was fenced: see "Leases") goes back to
 * the old one; its bits bring the regions it wrote back from the peer.
 * Split brain (both wrote while apart) is never merged: the link is
 * refused on both nodes with an event and a log line naming the volume,
 * until one side's changes are discarded (MIRROR_SET secondary with
 * FORCE: its data becomes unknown, and it takes a full resync).
 *
 * A generation the primary's bitmap no longer counts from (one of its
 * gen_history, the bitmap generations of earlier resyncs) on the secondary
 * means a full resync, as does an unknown one.
 *
 * On-demand resync
 * ----------------
 * Out-of-sync bits mean "the nodes may differ here" on both nodes: at the
 * handshake the secondary sends its bits to the primary, and a primary
 * that pushes sends all of its own back once connected (BITMAP), so the
 * sync target knows what it lacks (mir->lack_known once all arrived); it
 * clears a bit when a resync DATA covering the grain is written, and
 * forgets them all when the primary says all is in sync.
 *
 * A sync target connected to a consistent secondary (its source was
 * demoted half way through) may be promoted without force: a primary
 * whose data is not consistent "pulls" (dm-clone's idea).  Its resync
 * worker asks for each grain it lacks (RS_REQUEST, the grain's range in
 * mir->writes as for a pushed grain, so host writes and the pull of a
 * grain exclude each other); the source reads it (or finds it unmapped)
 * and answers with resync DATA under the request's cookie, which the
 * target writes through the volume and acks -- its ack clears the
 * source's bit, its write the target's.  A host read of a grain the
 * target lacks waits in mir->readers (map() never sleeps) and its grains
 * are pulled before any other; a host write goes to both nodes as usual
 * (the grain, pulled later, carries it).  When no bit is left and a flush
 * of both nodes made the pulled data durable, the target takes its
 * source's generation and is consistent.  Both nodes' grains must be
 * equal to pull (so a grain is one chunk of the source).
 *
 * A pulling primary is no copy on its own: without its source its reads
 * of what it lacks and all its writes fail (a write the source did not
 * get fails too); on reconnect it pulls again, the bits of both nodes
 * together.  Its unflushed epochs are not marked when the link drops:
 * the source's data is the reference, and a source that crashes while
 * it is pulled from may lose writes it acknowledged but had not flushed
 * (DRBD's sync target is no more redundant than this).
 *
 * Leases and fencing
 * -------------------
 * With cairnd's quorum (userland/lib/quorum.c: a witness, and leases that
 * make two primaries impossible) the kernel enforces what cairnd decides,
 * so that a stalled daemon can not let a fenced node serve:
 * MIRROR_QUORUM gives the primary a lease (lease_end); once it lapsed,
 * every I/O fails at map(), and a delayed work fails what is held.  With
 * a lease, a write or flush the peer did not get (no link, or the link
 * dropped under it) is not completed but held (mir->held) -- the peer,
 * not outdated yet, may be promoted with the witness's vote -- until
 * cairnd says the witness recorded the peer outdated (ALONE), or until
 * the lease lapses or the volume is demoted (then it fails), or until a
 * new link's resync has carried it to the peer and a flush of both nodes
 * made that durable (cairn_unhold_work).  DRBD's "fencing resource-only"
 * with suspended I/O does the same.  A new link clears ALONE: the next
 * loss needs the witness again.
 *
 * Background resync, push or pull, is paced by the resync_kbps module
 * parameter (0: as fast as CAIRN_RESYNC_DEPTH transfers in flight go);
 * pulls for waiting reads are not paced.
 *
 * Persistence
 * -----------
 * Each mirrored volume has a slot in the pool's mirror area (core/mmeta.c,
 * struct cairn_disk_mirror): its generations, data state, role and peer,
 * and a bitmap of dirty regions (a region is a grain, or more on a volume
 * of over 31232 grains).  The invariant: every region where this node's
 * data may differ from its peer's is dirty in the slot.  So:
 *   - a host write's regions are made durable as dirty before the write
 *     starts (mir->al: regions durable; a write to one that is not waits
 *     on al_wait while the meta worker writes the slot) -- the activity
 *     log, so a primary that crashes resyncs the regions its writes were
 *     in flight to, and no others;
 *   - a write the peer will not get (degraded) also waits until the new
 *     generation it starts is durable;
 *   - a resync transfer waits the same way for its region;
 *   - a write is durable on a node only once the node flushed after it:
 *     regions written since the last flush completed on both nodes are
 *     tracked in RAM (two epochs, see cairn_epoch_start()), and when the
 *     link drops they go out of sync -- the peer may have lost what it
 *     acknowledged (DRBD marks its transfer log's unacknowledged epochs
 *     out of sync the same way);
 *   - every few seconds a sweep drops the regions that went idle and are
 *     in sync (nothing written since the last sweep, nothing in flight, no
 *     bit out of sync, flushed on both nodes since the last write: the
 *     sweep flushes both nodes itself when regions wait only for that),
 *     and adds those with bits out of sync;
 *   - at detach (pool close) nothing is in flight: the slot keeps exactly
 *     the regions out of sync;
 *   - a node whose RAM cache may hold what it acknowledged (flush=mirror
 *     completes a FLUSH from RAM, so the primary's epochs forget those
 *     regions) says inconsistent in its slot meanwhile
 *     (cairn_slot_volatile(): written before a primary's write starts,
 *     before a secondary's ack leaves), and a secondary also covers the
 *     regions of what it acknowledges (cairn_ack_cover()), so a node that
 *     lost its RAM comes back a sync target of its dirty regions, never a
 *     node that may be promoted without them; both lost: neither is
 *     consistent (flush=mirror is durable against one node's loss);
 *   - a sync target is consistent only once a flush of both nodes made
 *     the resync durable (cairn_synced_work()).
 * The slot is written by one worker at a time (meta_mutex), a whole block
 * with FUA, copies A and B in turn, so a torn write leaves the other.
 * When a pool opens, a volume with a slot comes back mirrored, secondary
 * (its device refuses I/O) until promoted, its dirty regions out of sync.
 * At the handshake a secondary with bits out of sync sends them (BITMAP)
 * and the primary adds them to its own before the resync: the regions a
 * crashed primary had writes in flight to come from the new primary.  The
 * secondary forgets its bits only once the primary says all is in sync.
 * A failed write of the slot fails the volume's writes from then on:
 * nothing is acknowledged that the slot may not cover.
 *
 * Locks: mir->lock (a spinlock, taken in completion context) protects the
 * mirror's lists, tree, bitmaps and state; link->data_tx and link->meta_tx
 * (mutexes) serialise the senders of a socket; meta_mutex the writers of
 * the slot (the meta worker, and control calls flushing it); no spinlock
 * is held across I/O, and no mutex across data I/O.
 */
#include <linux/module.h>
#include <linux/device-mapper.h>
#include <linux/kthread.h>
#include <linux/net.h>
#include <linux/file.h>
#include <linux/vmalloc.h>
#include <net/genetlink.h>

#include "cairn.h"
#include "core/handshake.h"

static struct workqueue_struct *cairn_mirror_wq;
static struct bio_set cairn_mirror_bs;

/* Writes awaiting their ack from which new ones ride on the acks. */
#define CAIRN_TX_RIDE	8

enum cairn_mreq_kind {
	CAIRN_MREQ_HOST,		/* a host write or flush */
	CAIRN_MREQ_RESYNC,		/* a grain sent by resync */
	CAIRN_MREQ_PULL,		/* a grain a pulling primary asked for */
	CAIRN_MREQ_SERVE,		/* a grain the peer asked us for */
};

static unsigned int resync_kbps;
module_param(resync_kbps, uint, 0644);
MODULE_PARM_DESC(resync_kbps,
		 "Background resync rate of each mirrored volume, KiB/s (0: unlimited; on-demand pulls are not limited)");

#define CAIRN_RESYNC_DEPTH	4
#define CAIRN_BITMAP_MAX	(64UL << 20)	/* bytes: 512 TiB at 1 MiB */
#define CAIRN_SWEEP_MS		5000	/* an idle, in-sync region stays dirty this long */

/* The bytes of @mr's range. */
static u32 cairn_mreq_bytes(const struct cairn_mreq *mr)
{
	return (mr->it.last - mr->it.start + 1) << SECTOR_SHIFT;
}

static const char *cairn_mirror_pool(struct cairn_mirror *mir)
{
	return mir->kv->kp->name;
}

static const char *cairn_mirror_vol(struct cairn_mirror *mir)
{
	return mir->kv->vol->name;
}

static void cairn_mirror_event(struct cairn_mirror *mir, u32 event, u64 value)
{
	cairn_nl_vol_event(cairn_mirror_pool(mir), cairn_mirror_vol(mir), event,
			   value);
}

/* ---- the out-of-sync bitmap (mir->lock held) ---- */

static void cairn_oos_mark(struct cairn_mirror *mir, sector_t start,
			   sector_t last)
{
	u64 b = start >> mir->grain_shift, e = last >> mir->grain_shift;

	for (; b <= e && b < mir->nr_bits; b++)
		if (!__test_and_set_bit(b, mir->oos))
			mir->oos_bits++;
}

/* All of dirty region @r (mir->lock held, or the mirror not yet seen). */
static void cairn_oos_mark_region(struct cairn_mirror *mir, u32 r)
{
	sector_t vol_sectors = mir->kv->vol->size >> SECTOR_SHIFT;
	sector_t start = (sector_t)r << mir->region_shift;

	cairn_oos_mark(mir, start,
		       min_t(sector_t, start + (1ULL << mir->region_shift),
			     vol_sectors) - 1);
}

static void cairn_oos_mark_mreq(struct cairn_mirror *mir,
				struct cairn_mreq *mr)
{
	if (mr->in_tree && mr->kind == CAIRN_MREQ_HOST)
		cairn_oos_mark(mir, mr->it.start, mr->it.last);
}

/* The bits of the grains wholly inside [@start, @end) (sectors). */
static void cairn_oos_clear(struct cairn_mirror *mir, sector_t start,
			    sector_t end)
{
	sector_t vol_sectors = mir->kv->vol->size >> SECTOR_SHIFT;
	u64 b = DIV_ROUND_UP_ULL(start, 1ULL << mir->grain_shift);

	for (; b < mir->nr_bits; b++) {
		sector_t gend = min_t(sector_t, (b + 1) << mir->grain_shift,
				      vol_sectors);

		if (gend > end)
			break;
		if (__test_and_clear_bit(b, mir->oos))
			mir->oos_bits--;
	}
}

/* Is a bit of [@start, @last] set?  (mir->lock held) */
static bool cairn_oos_any(struct cairn_mirror *mir, sector_t start,
			  sector_t last)
{
	u64 b = start >> mir->grain_shift;
	u64 end = min((last >> mir->grain_shift) + 1, mir->nr_bits);

	return b < end && find_next_bit(mir->oos, end, b) < end;
}

/*
 * A primary whose data is not consistent: it was promoted while a sync
 * target (see "On-demand resync") and pulls what it lacks from its peer;
 * its bits are what it lacks.  (mir->lock held)
 */
static bool cairn_pulling(struct cairn_mirror *mir)
{
	return mir->role == CAIRN_ROLE_PRIMARY &&
	       mir->disk != CAIRN_MDISK_CONSISTENT;
}

/* ... and its source is there to pull from.  (mir->lock held) */
static bool cairn_pull_possible(struct cairn_mirror *mir)
{
	struct cairn_link *link = mir->link;

	return cairn_pulling(mir) && link && !link->dead &&
	       link->peer.role == CAIRN_WIRE_SECONDARY &&
	       link->peer.disk == CAIRN_WIRE_CONSISTENT;
}

/*
 * The primary writes what the peer will not get: a new generation, the
 * bitmap counting from the old one (mir->lock held).
 */
static void cairn_meta_kick(struct cairn_mirror *mir);
static bool cairn_peer_takes(struct cairn_mirror *mir);

static void cairn_gen_diverge(struct cairn_mirror *mir)
{
	if (mir->gen_bitmap || mir->role != CAIRN_ROLE_PRIMARY ||
	    mir->disk != CAIRN_MDISK_CONSISTENT)
		return;
	mir->gen_bitmap = mir->gen_current;
	do
		mir->gen_current = get_random_u64();
	while (!mir->gen_current);
	mir->gen_acked = false;
	cairn_meta_kick(mir);
}

/* The bitmap counts from nothing any more (mir->lock held). */
static void cairn_gen_bitmap_done(struct cairn_mirror *mir)
{
	if (!mir->gen_bitmap)
		return;
	mir->gen_history[1] = mir->gen_history[0];
	mir->gen_history[0] = mir->gen_bitmap;
	mir->gen_bitmap = 0;
	cairn_meta_kick(mir);
}

/* ---- persistence: the slot and the dirty regions ---- */

static u32 cairn_region(struct cairn_mirror *mir, sector_t sector)
{
	return sector >> mir->region_shift;
}

/* Are @mr's regions durable as dirty?  (mir->lock held) */
static bool cairn_al_covers_range(struct cairn_mirror *mir, sector_t start,
				  sector_t last)
{
	u32 r, e = cairn_region(mir, last);

	for (r = cairn_region(mir, start); r <= e; r++)
		if (!test_bit(r, mir->al))
			return false;
	return true;
}

static bool cairn_al_covers(struct cairn_mirror *mir, struct cairn_mreq *mr)
{
	return cairn_al_covers_range(mir, mr->it.start, mr->it.last);
}

static void cairn_al_mark_range(struct cairn_mirror *mir, unsigned long *map,
				sector_t start, sector_t last)
{
	u32 r, e = cairn_region(mir, last);

	for (r = cairn_region(mir, start); r <= e; r++)
		__set_bit(r, map);
}

static void cairn_al_mark(struct cairn_mirror *mir, unsigned long *map,
			  struct cairn_mreq *mr)
{
	cairn_al_mark_range(mir, map, mr->it.start, mr->it.last);
}

/*
 * Epochs (mir->lock held).  A write is durable on a node only once that
 * node flushed after it, so a region stays dirty until both nodes flushed
 * after its last write.  Writes mark their regions in the bitmap of the
 * epoch they complete in; a flush that finds no epoch being flushed ends
 * the current one (the other bitmap, empty, becomes current) and,
 * completed on both nodes, empties the ended one -- otherwise its regions
 * go back to the current.
 */
static void cairn_epoch_start(struct cairn_mirror *mir, struct cairn_mreq *mr)
{
	if (mir->uf_flushing)
		return;
	mir->uf_flushing = true;
	mir->uf_cur ^= 1;
	mr->epoch = true;
}

static void cairn_epoch_end(struct cairn_mirror *mir, bool durable)
{
	unsigned long *ended = mir->unflushed[!mir->uf_cur];

	if (!durable)
		bitmap_or(mir->unflushed[mir->uf_cur], mir->unflushed[mir->uf_cur],
			  ended, mir->nr_regions);
	bitmap_zero(ended, mir->nr_regions);
	mir->uf_flushing = false;
}

static bool cairn_unflushed(struct cairn_mirror *mir, u32 r)
{
	return test_bit(r, mir->unflushed[0]) || test_bit(r, mir->unflushed[1]);
}

/* State to write (mir->lock held): the meta worker writes it soon. */
static void cairn_meta_kick(struct cairn_mirror *mir)
{
	mir->meta_stale = true;
	queue_work(cairn_mirror_wq, &mir->meta_work);
}

/*
 * A region may leave mir->al once it is idle and in sync: not written
 * since the last sweep, nothing in flight, no bit out of sync, and flushed
 * on both nodes since its last write.  Regions with bits out of sync that
 * are not yet durable as dirty are wanted.  Returns whether some region
 * waits only for a flush.  (mir->lock held.)
 */
static bool cairn_al_sweep(struct cairn_mirror *mir)
{
	unsigned int gpr = mir->region_shift - mir->grain_shift;
	/* A RAM cache not yet durable keeps every region (cairn_cache.c). */
	bool cached = !cairn_cache_durable(mir->kv);
	bool need_flush = false;
	u64 first, end;
	u32 r;

	for (r = 0; r < mir->nr_regions; r++) {
		sector_t start = (sector_t)r << mir->region_shift;

		first = (u64)r << gpr;
		end = min_t(u64, mir->nr_bits, first + (1ULL << gpr));
		if (find_next_bit(mir->oos, end, first) < end) {
			if (!test_bit(r, mir->al))
				__set_bit(r, mir->al_want);
			continue;
		}
		if (!test_bit(r, mir->al) || test_bit(r, mir->al_hot) ||
		    interval_tree_iter_first(&mir->writes, start,
					     start + (1ULL << mir->region_shift) - 1))
			continue;
		if (cairn_unflushed(mir, r)) {
			need_flush = true;
			continue;
		}
		if (cached)
			continue;
		__clear_bit(r, mir->al);
	}
	bitmap_zero(mir->al_hot, mir->nr_regions);
	return need_flush;
}

static u32 cairn_mirror_link_state(struct cairn_mirror *mir);

/*
 * A consistent node whose RAM cache in flush=mirror may hold what it
 * acknowledged -- connected, a FLUSH completes from RAM; alone, until it
 * drained: its data is consistent only while this node is up.  Its slot
 * says inconsistent meanwhile, so that a crash brings it back a sync
 * target of its dirty regions, never a node that may be promoted without
 * them -- primary or secondary: a primary that crashed must not win the
 * next election over the peer that holds its writes.  (In flush=disk a
 * FLUSH waits for the destage on both nodes: the primary's epochs cover
 * what is not durable yet.)  (mir->lock held.)
 */
static bool cairn_slot_volatile(struct cairn_mirror *mir)
{
	return mir->disk == CAIRN_MDISK_CONSISTENT &&
	       cairn_cache_mirror_ram(mir->kv) &&
	       (!cairn_cache_durable(mir->kv) ||
		cairn_mirror_link_state(mir) == CAIRN_LINK_CONNECTED);
}

/* What the slot is to say (mir->lock held); whether it says volatile. */
static bool cairn_meta_fill(struct cairn_mirror *mir,
			    struct cairn_mirror_meta *m,
			    const unsigned long *regions)
{
	bool vol = cairn_slot_volatile(mir);
	u32 r;

	m->volume = mir->kv->vol->id;
	memcpy(m->uuid, mir->kv->vol->uuid, sizeof(m->uuid));
	m->role = mir->role;
	m->disk = vol ? CAIRN_MDISK_INCONSISTENT : mir->disk;
	strscpy(m->peer, mir->peer_name, sizeof(m->peer));
	m->gen_current = mir->gen_current;
	m->gen_bitmap = mir->gen_bitmap;
	m->gen_history[0] = mir->gen_history[0];
	m->gen_history[1] = mir->gen_history[1];
	m->region_shift = mir->region_shift + SECTOR_SHIFT;
	m->nr_regions = mir->nr_regions;
	memset(m->bits, 0, sizeof(m->bits));
	for_each_set_bit(r, regions, mir->nr_regions)
		m->bits[r / 8] |= 1U << (r % 8);
	return vol;
}

static void cairn_mreq_start(struct cairn_mirror *mir, struct cairn_mreq *mr);

/*
 * Write the slot when something changed: the state, and as dirty regions
 * those already durable, those writes wait for, minus those a sweep found
 * idle and in sync.  Then the writes that waited are started again.
 */
static void cairn_meta_work(struct work_struct *work)
{
	struct cairn_mirror *mir = container_of(work, struct cairn_mirror,
						meta_work);
	struct cairn_kpool *kp = mir->kv->kp;
	struct cairn_mirror_meta *m = mir->meta;
	unsigned long *next = mir->al_next;
	struct cairn_mreq *mr, *tmp;
	bool changed, vol = false;
	LIST_HEAD(go);
	u64 gen = 0;
	int r = 0;

	mutex_lock(&mir->meta_mutex);
	spin_lock_irq(&mir->lock);
	bitmap_or(next, mir->al, mir->al_want, mir->nr_regions);
	bitmap_zero(mir->al_want, mir->nr_regions);
	changed = mir->meta_stale || !bitmap_equal(next, mir->al_disk,
						   mir->nr_regions) ||
		  cairn_slot_volatile(mir) != mir->slot_volatile;
	mir->meta_stale = false;
	if (changed) {
		vol = cairn_meta_fill(mir, m, next);
		gen = mir->gen_current;
	} else {
		bitmap_copy(mir->al, next, mir->nr_regions);
	}
	spin_unlock_irq(&mir->lock);

	if (changed) {
		u64 block = cairn_mmeta_next(kp->core, mir->mslot, m,
					     page_address(mir->meta_page));

		r = READ_ONCE(mir->meta_failed) ? -EIO :
		    cairn_kpool_meta_write(kp, mir->meta_page, block);
		if (!r)
			cairn_mmeta_done(kp->core, mir->mslot, m);
		else if (!READ_ONCE(mir->meta_failed))
			DMERR("%s/%s: writing the mirror state failed (%d): writes fail",
			      cairn_mirror_pool(mir), cairn_mirror_vol(mir), r);
	}

	spin_lock_irq(&mir->lock);
	if (r) {
		mir->meta_failed = true;
	} else if (changed) {
		bitmap_copy(mir->al, next, mir->nr_regions);
		bitmap_copy(mir->al_disk, next, mir->nr_regions);
		mir->gen_durable = gen;
		mir->slot_volatile = vol;
	}
	list_splice_init(&mir->al_wait, &go);
	spin_unlock_irq(&mir->lock);
	mutex_unlock(&mir->meta_mutex);
	if (changed && READ_ONCE(mir->role) == CAIRN_ROLE_PRIMARY)
		queue_work(cairn_mirror_wq, &mir->resync_work);

	list_for_each_entry_safe(mr, tmp, &go, list) {
		list_del_init(&mr->list);
		cairn_mreq_start(mir, mr);
	}
}

static void cairn_flush_endio(struct bio *bio)
{
	complete(bio->bi_private);
}

/*
 * A flush of the volume from the mirror itself, as a host flush would be:
 * on both nodes, or on this one without a peer.  0 when it completed on
 * both.  A primary's only.
 */
static int cairn_mirror_flush(struct cairn_mirror *mir)
{
	DECLARE_COMPLETION_ONSTACK(done);
	struct cairn_mreq *mr;
	struct bio *bio;
	int r = -EIO;

	mr = kzalloc(sizeof(*mr), GFP_NOIO);
	if (!mr)
		return -ENOMEM;
	bio = bio_alloc(NULL, 0, REQ_OP_WRITE | REQ_PREFLUSH, GFP_NOIO);
	bio->bi_end_io = cairn_flush_endio;
	bio->bi_private = &done;
	if (cairn_mirror_map(mir->kv, bio, mr) == DM_MAPIO_SUBMITTED) {
		wait_for_completion(&done);
		r = !bio->bi_status && mr->remote_ok ? 0 : -EIO;
	}
	bio_put(bio);
	kfree(mr);
	return r;
}

/*
 * Let the regions that went idle and in sync go: a primary first flushes
 * both nodes when regions wait only for that, then sweeps once more.
 */
static void cairn_sweep(struct cairn_mirror *mir)
{
	bool need_flush;

	spin_lock_irq(&mir->lock);
	need_flush = cairn_al_sweep(mir) && mir->role == CAIRN_ROLE_PRIMARY &&
		     cairn_peer_takes(mir);
	spin_unlock_irq(&mir->lock);
	if (need_flush && !cairn_mirror_flush(mir)) {
		spin_lock_irq(&mir->lock);
		cairn_al_sweep(mir);
		spin_unlock_irq(&mir->lock);
	}
	queue_work(cairn_mirror_wq, &mir->meta_work);
}

static void cairn_sweep_work(struct work_struct *work)
{
	struct cairn_mirror *mir = container_of(to_delayed_work(work),
						struct cairn_mirror, sweep_work);

	cairn_sweep(mir);
	queue_delayed_work(system_long_wq, &mir->sweep_work,
			   msecs_to_jiffies(CAIRN_SWEEP_MS));
}

/* Write the state now; 0 once it is durable. */
static int cairn_meta_sync(struct cairn_mirror *mir)
{
	spin_lock_irq(&mir->lock);
	cairn_meta_kick(mir);
	spin_unlock_irq(&mir->lock);
	flush_work(&mir->meta_work);
	return READ_ONCE(mir->meta_failed) ? -EIO : 0;
}

/* ---- joining the halves ---- */

static void cairn_mirror_dec_inflight(struct cairn_mirror *mir)
{
	unsigned long flags;

	spin_lock_irqsave(&mir->lock, flags);
	if (!--mir->inflight)
		wake_up_all(&mir->idle);
	spin_unlock_irqrestore(&mir->lock, flags);
}

static void cairn_resync_finish(struct cairn_mreq *mr);
static void cairn_readers_redrive(struct cairn_mirror *mir);

/*
 * The mirror's own flush (cairn_mirror_flush(): a sweep, a resync's end)?
 * It is never held: no host waits for it, it fails instead.
 */
static bool cairn_mreq_internal(struct cairn_mreq *mr)
{
	return mr->master->bi_end_io == cairn_flush_endio;
}

static void cairn_mreq_put(struct cairn_mreq *mr)
{
	struct cairn_mirror *mir = mr->mir;
	bool redrive = false, held;
	unsigned long flags;

	if (!atomic_dec_and_test(&mr->pending))
		return;
	if (mr->kind != CAIRN_MREQ_HOST) {
		cairn_resync_finish(mr);
		return;
	}
	spin_lock_irqsave(&mir->lock, flags);
	if (mr->local && mr->cmd == CAIRN_W_DATA)
		cairn_oos_mark_mreq(mir, mr);
	/*
	 * A pulling primary is no copy on its own: a write its source did
	 * not get fails (what it left there is pulled again).
	 */
	if (mr->cmd == CAIRN_W_DATA && !mr->remote_ok && cairn_pulling(mir))
		mr->local = BLK_STS_IOERR;
	if (mr->epoch)
		cairn_epoch_end(mir, !mr->local && mr->remote_ok);
	if (mr->in_tree) {
		/*
		 * Its epoch is the one it completes in: a flush covers what
		 * completed before it was issued, nothing still in flight.
		 */
		cairn_al_mark(mir, mir->unflushed[mir->uf_cur], mr);
		interval_tree_remove(&mr->it, &mir->writes);
		/*
		 * Writes that waited for it, and reads of a pulling primary:
		 * the pull of a grain waits for the writes in it
		 * (cairn_demand_bit()), so its readers may wait for this one.
		 */
		redrive = !list_empty(&mir->conflicts) ||
			  !list_empty(&mir->readers);
	}
	/*
	 * The peer lacks it and is not outdated: held (see "Leases"); it
	 * fails if the lease's work has run already (fenced), or if this
	 * node is no primary any more (demoted: the peer may serve).
	 */
	held = !mr->remote_ok && !mr->local && mir->quorum && !mir->alone &&
	       !cairn_mreq_internal(mr);
	if (held && (mir->role != CAIRN_ROLE_PRIMARY ||
		     time_after_eq(jiffies, mir->lease_end))) {
		held = false;
		mr->local = BLK_STS_IOERR;
	}
	/* Acknowledged, and the peer lacks it: the new generation is real. */
	if (!held && !mr->local && !mr->remote_ok && mr->cmd == CAIRN_W_DATA)
		mir->gen_acked = true;
	if (held) {
		list_add_tail(&mr->list, &mir->held);
		mir->nr_held++;
		mir->held_gen++;
	}
	spin_unlock_irqrestore(&mir->lock, flags);
	if (redrive)
		queue_work(cairn_mirror_wq, &mir->redrive_work);
	if (held)
		return;
	mr->master->bi_status = mr->local;
	bio_endio(mr->master);
	cairn_mirror_dec_inflight(mir);
}

/* The remote half is over: the peer has it (@ok), or it never will. */
static void cairn_remote_done(struct cairn_mirror *mir, struct cairn_mreq *mr,
			      bool ok)
{
	unsigned long flags;

	mr->remote_ok = ok;
	if (!ok) {
		spin_lock_irqsave(&mir->lock, flags);
		cairn_oos_mark_mreq(mir, mr);
		spin_unlock_irqrestore(&mir->lock, flags);
	}
	cairn_mreq_put(mr);
}

/*
 * Map @bio through the volume and send it on (the mirror's own I/O, from a
 * worker or completion: no dm core to do it); a refusal ends it in error.
 */
static void cairn_vol_submit(struct cairn_kvol *kv, struct bio *bio,
			     struct cairn_io *io)
{
	cairn_vol_dispatch(bio, cairn_vol_map(kv, bio, io));
}

static void cairn_local_endio(struct bio *clone)
{
	struct cairn_mreq *mr = clone->bi_private;
	blk_status_t status = clone->bi_status;

	cairn_vol_end_io(&mr->lio, &status);
	bio_put(clone);
	mr->local = status;
	cairn_mreq_put(mr);
}

/* Start @mr's local half: its clone through the volume. */
static void cairn_mreq_local(struct cairn_mreq *mr)
{
	struct cairn_kvol *kv = mr->mir->kv;
	struct bio *clone = mr->clone;

	mr->clone = NULL;
	clone->bi_iter = mr->iter;
	clone->bi_end_io = cairn_local_endio;
	clone->bi_private = mr;
	cairn_vol_submit(kv, clone, &mr->lio);
}

/* Is a peer connected to take our writes?  (mir->lock held) */
static bool cairn_peer_takes(struct cairn_mirror *mir)
{
	struct cairn_link *link = mir->link;

	return link && !link->dead && link->peer.role == CAIRN_WIRE_SECONDARY;
}

/*
 * Start @mr's remote half, mir->lock held: onto the send queue while a
 * peer is connected as secondary; otherwise it is over at once (and its
 * range out of sync).
 */
static bool cairn_remote_start(struct cairn_mirror *mir, struct cairn_mreq *mr)
{
	if (!cairn_peer_takes(mir)) {
		if (mr->in_tree)
			cairn_gen_diverge(mir);
		cairn_oos_mark_mreq(mir, mr);
		return false;
	}
	mr->seq = ++mir->seq ?: ++mir->seq;	/* never 0 */
	list_add_tail(&mr->list, &mir->sendq);
	return true;
}

/*
 * Take @mr's range and start both halves; or, if an overlapping write is
 * in flight, queue it behind (it is started again when that completes).
 */
static void cairn_mreq_start(struct cairn_mirror *mir, struct cairn_mreq *mr)
{
	unsigned long flags;
	bool remote, kick, ride;

	/*
	 * Both halves, plus this function's own reference; set before the
	 * sender or an ack can see it.
	 */
	atomic_set(&mr->pending, 3);
	spin_lock_irqsave(&mir->lock, flags);
	if (mr->in_tree &&
	    interval_tree_iter_first(&mir->writes, mr->it.start, mr->it.last)) {
		list_add_tail(&mr->list, &mir->conflicts);
		spin_unlock_irqrestore(&mir->lock, flags);
		return;
	}
	if (mr->in_tree && (mir->meta_failed ||
			    (cairn_pulling(mir) && !cairn_peer_takes(mir)))) {
		spin_unlock_irqrestore(&mir->lock, flags);
		bio_put(mr->clone);
		mr->clone = NULL;
		mr->in_tree = false;
		mr->local = BLK_STS_IOERR;
		atomic_set(&mr->pending, 1);
		cairn_mreq_put(mr);
		return;
	}
	if (mr->in_tree) {
		/*
		 * Its regions durable as dirty first, and without a peer to
		 * take it, the new generation durable too.
		 */
		if (!cairn_peer_takes(mir))
			cairn_gen_diverge(mir);
		if (!cairn_al_covers(mir, mr) ||
		    (!cairn_peer_takes(mir) &&
		     mir->gen_durable != mir->gen_current) ||
		    (cairn_slot_volatile(mir) && !mir->slot_volatile)) {
			cairn_al_mark(mir, mir->al_want, mr);
			list_add_tail(&mr->list, &mir->al_wait);
			spin_unlock_irqrestore(&mir->lock, flags);
			queue_work(cairn_mirror_wq, &mir->meta_work);
			return;
		}
		cairn_al_mark(mir, mir->al_hot, mr);
		interval_tree_insert(&mr->it, &mir->writes);
	} else if (mr->cmd == CAIRN_W_FLUSH) {
		cairn_epoch_start(mir, mr);
	}
	/*
	 * With CAIRN_TX_RIDE or more awaiting their ack, the meta receiver
	 * wakes for the next ack anyway and kicks the sender after it
	 * (cairn_meta_rx_thread): a write queued meanwhile goes out with
	 * the others queued by then, and the submitter is not switched
	 * away from once per write to send it.
	 */
	ride = list_empty(&mir->sendq) && mir->nr_sent >= CAIRN_TX_RIDE;
	kick = list_empty(&mir->sendq) && !ride;
	remote = cairn_remote_start(mir, mr);
	if (remote && ride)
		mir->tx_rides++;
	spin_unlock_irqrestore(&mir->lock, flags);

	if (remote) {
		if (kick)
			queue_work(cairn_mirror_wq, &mir->send_work);
	} else {
		mr->remote_ok = false;
		atomic_dec(&mr->pending);
	}
	cairn_mreq_local(mr);
	cairn_mreq_put(mr);
}

/* The clone could not be had without waiting: get it here, then start. */
static void cairn_mreq_alloc_work(struct work_struct *work)
{
	struct cairn_mreq *mr = container_of(work, struct cairn_mreq, io.work);

	mr->clone = bio_alloc_clone(mr->master->bi_bdev, mr->master, GFP_NOIO,
				    &cairn_mirror_bs);
	cairn_mreq_start(mr->mir, mr);
}

/* Writes that waited for an overlapping one: try them again, in order. */
static void cairn_redrive_work(struct work_struct *work)
{
	struct cairn_mirror *mir = container_of(work, struct cairn_mirror,
						redrive_work);
	struct cairn_mreq *mr, *next;
	LIST_HEAD(again);

	spin_lock_irq(&mir->lock);
	list_splice_init(&mir->conflicts, &again);
	spin_unlock_irq(&mir->lock);
	list_for_each_entry_safe(mr, next, &again, list) {
		list_del_init(&mr->list);
		cairn_mreq_start(mir, mr);
	}
	cairn_readers_redrive(mir);
	queue_work(cairn_mirror_wq, &mir->resync_work);
}

static void cairn_held_end(struct cairn_mirror *mir, struct list_head *go,
			   blk_status_t status)
{
	struct cairn_mreq *mr, *next;

	list_for_each_entry_safe(mr, next, go, list) {
		list_del_init(&mr->list);
		mr->master->bi_status = status;
		bio_endio(mr->master);
		cairn_mirror_dec_inflight(mir);
	}
}

/* Complete the held writes with @status (see "Leases"). */
static void cairn_held_release(struct cairn_mirror *mir, blk_status_t status)
{
	LIST_HEAD(go);

	spin_lock_irq(&mir->lock);
	list_splice_init(&mir->held, &go);
	mir->nr_held = 0;
	spin_unlock_irq(&mir->lock);
	cairn_held_end(mir, &go, status);
}

/*
 * A push resync is over: the peer has every write held for want of it
 * (each marked its grains when the peer missed it, and the resync of a
 * grain waits for the writes to it in mir->writes).  Once a flush of both
 * nodes has made that durable they complete -- unless another write was
 * held since (the link failed again: that one waits for the quorum).
 */
static void cairn_unhold_work(struct work_struct *work)
{
	struct cairn_mirror *mir = container_of(work, struct cairn_mirror,
						unhold_work);
	unsigned int n = 0;
	LIST_HEAD(go);
	u64 gen;

	spin_lock_irq(&mir->lock);
	gen = mir->held_gen;
	spin_unlock_irq(&mir->lock);
	if (!READ_ONCE(mir->nr_held) || cairn_mirror_flush(mir))
		return;
	spin_lock_irq(&mir->lock);
	if (gen == mir->held_gen && !mir->oos_bits && mir->link &&
	    !mir->link->dead && mir->role == CAIRN_ROLE_PRIMARY) {
		list_splice_init(&mir->held, &go);
		n = mir->nr_held;
		mir->nr_held = 0;
	}
	spin_unlock_irq(&mir->lock);
	if (n)
		DMINFO("%s/%s: %u held write(s) complete: resynced to %s",
		       cairn_mirror_pool(mir), cairn_mirror_vol(mir), n,
		       mir->peer_name);
	cairn_held_end(mir, &go, BLK_STS_OK);
}

/* The lease's end: what is held fails. */
static void cairn_lease_work(struct work_struct *work)
{
	struct cairn_mirror *mir = container_of(to_delayed_work(work),
						struct cairn_mirror, lease_work);

	if (!READ_ONCE(mir->quorum) ||
	    time_before(jiffies, READ_ONCE(mir->lease_end)))
		return;
	if (READ_ONCE(mir->nr_held))
		DMERR("%s/%s: lease lapsed: %u write(s) the peer lacks fail",
		      cairn_mirror_pool(mir), cairn_mirror_vol(mir),
		      READ_ONCE(mir->nr_held));
	cairn_held_release(mir, BLK_STS_IOERR);
}

/* ---- the entry point (primary) ---- */

/*
 * A read: from here, unless this primary pulls and lacks part of it; then
 * it waits in mir->readers for the pull of those grains (queued first),
 * or fails when there is no source to pull from.
 */
static int cairn_mirror_read(struct cairn_mirror *mir, struct bio *bio,
			     struct cairn_mreq *mr)
{
	sector_t start = bio->bi_iter.bi_sector, last = bio_end_sector(bio) - 1;
	unsigned long flags;

	/* A primary's data, once consistent, stays so while it is primary. */
	if (READ_ONCE(mir->disk) == CAIRN_MDISK_CONSISTENT)
		return cairn_vol_map(mir->kv, bio, &mr->io);
	spin_lock_irqsave(&mir->lock, flags);
	if (!cairn_pulling(mir) || !cairn_oos_any(mir, start, last)) {
		spin_unlock_irqrestore(&mir->lock, flags);
		return cairn_vol_map(mir->kv, bio, &mr->io);
	}
	if (!cairn_pull_possible(mir)) {
		spin_unlock_irqrestore(&mir->lock, flags);
		DMERR_LIMIT("%s/%s: read of data this node lacks, and no peer to pull it from",
			    cairn_mirror_pool(mir), cairn_mirror_vol(mir));
		return DM_MAPIO_KILL;
	}
	mr->mir = mir;		/* not the volume's I/O until dispatched */
	mr->master = bio;
	mr->it.start = start;
	mr->it.last = last;
	list_add_tail(&mr->list, &mir->readers);
	mir->inflight++;
	mir->demand_pulls++;
	spin_unlock_irqrestore(&mir->lock, flags);
	queue_work(cairn_mirror_wq, &mir->resync_work);
	return DM_MAPIO_SUBMITTED;
}

/*
 * Reads that waited for a pull: to the volume once they lack nothing,
 * failed once nothing can be pulled.
 */
static void cairn_readers_redrive(struct cairn_mirror *mir)
{
	struct cairn_mreq *mr, *next;
	LIST_HEAD(ready);
	LIST_HEAD(fail);

	spin_lock_irq(&mir->lock);
	list_for_each_entry_safe(mr, next, &mir->readers, list) {
		if (!cairn_pull_possible(mir))
			list_move_tail(&mr->list, &fail);
		else if (!cairn_oos_any(mir, mr->it.start, mr->it.last))
			list_move_tail(&mr->list, &ready);
	}
	spin_unlock_irq(&mir->lock);
	list_for_each_entry_safe(mr, next, &ready, list) {
		list_del_init(&mr->list);
		mr->mir = NULL;		/* its end_io ends the volume's I/O */
		cairn_vol_submit(mir->kv, mr->master, &mr->io);
		cairn_mirror_dec_inflight(mir);
	}
	list_for_each_entry_safe(mr, next, &fail, list) {
		list_del_init(&mr->list);
		DMERR_LIMIT("%s/%s: read of data this node lacks failed: its source %s is gone",
			    cairn_mirror_pool(mir), cairn_mirror_vol(mir),
			    mir->peer_name);
		bio_io_error(mr->master);
		cairn_mirror_dec_inflight(mir);
	}
}

int cairn_mirror_map(struct cairn_kvol *kv, struct bio *bio,
		     struct cairn_mreq *mr)
{
	struct cairn_mirror *mir = READ_ONCE(kv->mir);
	unsigned long flags;
	bool empty_flush;

	mr->mir = NULL;
	if (!mir)
		return cairn_vol_map(kv, bio, &mr->io);
	if (READ_ONCE(mir->role) != CAIRN_ROLE_PRIMARY)
		return DM_MAPIO_KILL;
	if (READ_ONCE(mir->quorum) &&
	    time_after_eq(jiffies, READ_ONCE(mir->lease_end))) {
		DMERR_LIMIT("%s/%s: lease lapsed: fenced, I/O fails",
			    cairn_mirror_pool(mir), cairn_mirror_vol(mir));
		return DM_MAPIO_KILL;
	}
	empty_flush = op_is_flush(bio->bi_opf) && !bio_sectors(bio);
	if (!op_is_write(bio_op(bio)) && !empty_flush)
		return cairn_mirror_read(mir, bio, mr);

	mr->mir = mir;
	mr->master = bio;
	mr->iter = bio->bi_iter;
	mr->kind = CAIRN_MREQ_HOST;
	mr->local = BLK_STS_OK;
	mr->remote_ok = false;
	mr->wflags = 0;
	INIT_LIST_HEAD(&mr->list);
	if (empty_flush) {
		mr->cmd = CAIRN_W_FLUSH;
		mr->in_tree = false;
	} else {
		mr->cmd = CAIRN_W_DATA;
		mr->in_tree = true;
		mr->it.start = bio->bi_iter.bi_sector;
		mr->it.last = bio_end_sector(bio) - 1;
		if (bio->bi_opf & REQ_FUA)
			mr->wflags |= CAIRN_WF_FUA;
		if (bio_op(bio) == REQ_OP_DISCARD)
			mr->wflags |= CAIRN_WF_DISCARD;
		else if (bio_op(bio) == REQ_OP_WRITE_ZEROES)
			mr->wflags |= CAIRN_WF_ZEROES;
	}
	spin_lock_irqsave(&mir->lock, flags);
	mir->inflight++;
	spin_unlock_irqrestore(&mir->lock, flags);
	/*
	 * The local half is a clone.  map() never sleeps: if the clone can
	 * not be had at once, a worker waits for the bioset's reserve.
	 */
	mr->clone = bio_alloc_clone(bio->bi_bdev, bio, GFP_NOWAIT,
				    &cairn_mirror_bs);
	if (!mr->clone) {
		INIT_WORK(&mr->io.work, cairn_mreq_alloc_work);
		queue_work(cairn_mirror_wq, &mr->io.work);
		return DM_MAPIO_SUBMITTED;
	}
	cairn_mreq_start(mir, mr);
	return DM_MAPIO_SUBMITTED;
}

void cairn_mirror_end_io(struct cairn_mreq *mr, blk_status_t *err)
{
	/* A mirrored bio's volume I/O was its clone's, accounted there. */
	if (!mr->mir)
		cairn_vol_end_io(&mr->io, err);
}

/* ---- the link: failure ---- */

static void cairn_link_free(struct cairn_link *link)
{
	cairn_link_frags_drain(&link->tx_frags);
	__free_page(link->tx_hdr);
	kfree(link);
}

/* Drop the link (any thread or worker): the down worker tears it down. */
static void cairn_link_fail(struct cairn_mirror *mir, int err)
{
	struct cairn_link *link;
	unsigned long flags;

	spin_lock_irqsave(&mir->lock, flags);
	link = mir->link;
	if (!link || link->dead) {
		spin_unlock_irqrestore(&mir->lock, flags);
		return;
	}
	link->dead = true;
	link->error = err;
	spin_unlock_irqrestore(&mir->lock, flags);
	kernel_sock_shutdown(link->data, SHUT_RDWR);
	kernel_sock_shutdown(link->meta, SHUT_RDWR);
	queue_work(cairn_mirror_wq, &mir->down_work);
}

static void cairn_protocol_error(struct cairn_mirror *mir, const char *why)
{
	DMERR_LIMIT("%s/%s: protocol error from peer %s: %s",
		    cairn_mirror_pool(mir), cairn_mirror_vol(mir),
		    mir->peer_name, why);
	cairn_link_fail(mir, -EPROTO);
}

/* Every bit set: the peer may hold anything (a full, thin-aware resync). */
static void cairn_oos_all(struct cairn_mirror *mir)
{
	bitmap_fill(mir->oos, mir->nr_bits);
	mir->oos_bits = mir->nr_bits;
	mir->resync_pos = 0;
	mir->resync_done_sent = false;
}

/* The regions of both epochs out of sync (mir->lock held). */
static void cairn_oos_unflushed(struct cairn_mirror *mir)
{
	u32 r;

	/*
	 * Whatever the role: a primary demoted on a live link still has the
	 * epochs of what it wrote, which the peer may lose.  Not on a pulling
	 * primary: its peer's data is the reference (see "On-demand resync").
	 */
	if (cairn_pulling(mir))
		return;
	for (r = 0; r < mir->nr_regions; r++)
		if (cairn_unflushed(mir, r))
			cairn_oos_mark_region(mir, r);
	bitmap_zero(mir->unflushed[0], mir->nr_regions);
	bitmap_zero(mir->unflushed[1], mir->nr_regions);
}

static void cairn_down_work(struct work_struct *work)
{
	struct cairn_mirror *mir = container_of(work, struct cairn_mirror,
						down_work);
	struct cairn_mreq *mr, *next;
	struct cairn_link *link;
	LIST_HEAD(lost);

	link = mir->link;
	if (!link)
		return;
	kthread_stop(link->data_rx);
	kthread_stop(link->meta_rx);
	put_task_struct(link->data_rx);
	put_task_struct(link->meta_rx);
	cancel_delayed_work_sync(&mir->ping_work);
	cancel_work_sync(&mir->send_work);
	cancel_work_sync(&mir->resync_work);
	cancel_delayed_work_sync(&mir->rs_delay);
	/*
	 * The data socket may hold pages of writes sent by reference: it sends
	 * nothing more before those writes complete below.
	 */
	cairn_link_sock_abort(link->data);

	spin_lock_irq(&mir->lock);
	mir->link = NULL;
	mir->lack_known = false;
	list_splice_tail_init(&mir->sent, &lost);
	mir->nr_sent = 0;
	list_splice_tail_init(&mir->sendq, &lost);
	if (!list_empty(&lost))
		cairn_gen_diverge(mir);
	/*
	 * What the peer acknowledged but did not flush may be gone with it:
	 * out of sync, like what it never got.
	 */
	cairn_oos_unflushed(mir);
	spin_unlock_irq(&mir->lock);
	/* A RAM cache in flush=mirror is write-through now: it drains. */
	cairn_cache_link_changed(mir->kv);
	/* Acks still to send are dropped: the peer's writes are done. */
	flush_work(&mir->ack_work);
	list_for_each_entry_safe(mr, next, &lost, list) {
		list_del_init(&mr->list);
		cairn_remote_done(mir, mr, false);
	}
	cairn_readers_redrive(mir);	/* nothing to pull from: they fail */
	wait_event(mir->idle, !READ_ONCE(link->busy));
	sockfd_put(link->data);
	sockfd_put(link->meta);
	DMWARN("%s/%s: link to %s down (error %d)%s", cairn_mirror_pool(mir),
	       cairn_mirror_vol(mir), mir->peer_name, link->error,
	       mir->role != CAIRN_ROLE_PRIMARY ? "" :
	       READ_ONCE(mir->quorum) && !READ_ONCE(mir->alone) ?
	       ": writes the peer lacks are held until it is outdated" :
	       ": primary goes on alone");
	cairn_mirror_event(mir, CAIRN_EVENT_LINK_DOWN, -link->error);
	cairn_link_free(link);
}

/* ---- sending (primary) ---- */

/*
 * The sender takes what sendq holds, up to CAIRN_TX_BATCH messages, and
 * hands it to TCP under one hold of the socket's lock: each message's
 * header encoded in its slot of link->tx_hdr, then its payload's pages,
 * all sent by reference and pushed once (cairn_link_tx_begin()).  Under
 * load the primary's CPU is what limits the writes it mirrors.
 */
#define CAIRN_TX_SLOT	round_up(CAIRN_WIRE_HDR_SIZE + CAIRN_WIRE_BODY_MAX, 64)
#define CAIRN_TX_BATCH	16

/* Encode @mr's message into @buf; returns its length, *@size its payload. */
static unsigned int cairn_mreq_encode(struct cairn_mreq *mr, u8 *buf,
				      u32 *size)
{
	struct cairn_wire_msg m = { .cmd = mr->cmd };

	*size = 0;
	if (mr->cmd == CAIRN_W_FLUSH) {
		m.ack.cookie = mr->seq;
		m.ack.seq = mr->seq;
		return cairn_wire_encode(buf, &m);
	}
	m.data.sector = mr->it.start;
	m.data.cookie = mr->seq;
	m.data.size = cairn_mreq_bytes(mr);
	if (mr->cmd == CAIRN_W_DATA) {
		m.data.seq = mr->seq;
		m.data.flags = mr->wflags;
		if (!(mr->wflags & (CAIRN_WF_DISCARD | CAIRN_WF_ZEROES |
				    CAIRN_WF_UNMAPPED)))
			*size = m.data.size;
		m.payload = *size;
	}
	return cairn_wire_encode(buf, &m);
}

/*
 * Send the @n messages of @batch; @more: more follows at once.  *@copied:
 * the bytes that could not go by reference.
 */
static int cairn_send_batch(struct cairn_link *link, struct cairn_mreq **batch,
			    unsigned int n, bool more, size_t *copied)
{
	u8 *hdr = page_address(link->tx_hdr);
	struct bvec_iter iter;
	struct cairn_tx tx;
	struct bio_vec bv;
	unsigned int i;
	u32 size;
	int r;

	mutex_lock(&link->data_tx);
	cairn_link_tx_begin(&tx, link->data, link->tx_vec, CAIRN_LINK_TX_VECS,
			    &link->tx_frags);
	for (i = 0; i < n && !tx.error; i++) {
		struct cairn_mreq *mr = batch[i];
		u8 *buf = hdr + i * CAIRN_TX_SLOT;

		cairn_link_tx_bytes(&tx, buf, cairn_mreq_encode(mr, buf, &size));
		if (!size)
			continue;
		__bio_for_each_segment(bv, mr->master, iter, mr->iter)
			cairn_link_tx_page(&tx, &bv);
	}
	r = cairn_link_tx_end(&tx, more);
	mutex_unlock(&link->data_tx);
	*copied = tx.copied;
	return r;
}

static void cairn_send_work(struct work_struct *work)
{
	struct cairn_mirror *mir = container_of(work, struct cairn_mirror,
						send_work);
	struct cairn_mreq *batch[CAIRN_TX_BATCH], *mr;
	struct cairn_link *link;
	unsigned int i, n;
	size_t copied;
	bool more;
	int r;

	BUILD_BUG_ON(CAIRN_TX_BATCH * CAIRN_TX_SLOT > PAGE_SIZE);
	for (;;) {
		spin_lock_irq(&mir->lock);
		link = mir->link;
		if (!link || link->dead || list_empty(&mir->sendq)) {
			spin_unlock_irq(&mir->lock);
			return;
		}
		for (n = 0; n < CAIRN_TX_BATCH && !list_empty(&mir->sendq); n++) {
			mr = list_first_entry(&mir->sendq, struct cairn_mreq,
					      list);
			list_move_tail(&mr->list, &mir->sent);
			if (mr->kind != CAIRN_MREQ_PULL)	/* acked on meta */
				mir->nr_sent++;
			mr->sent_at = jiffies;
			/* The sender's own reference: the ack may come first. */
			atomic_inc(&mr->pending);
			if (mr->cmd == CAIRN_W_DATA &&
			    mr->kind == CAIRN_MREQ_HOST)
				mir->sent_bytes += cairn_mreq_bytes(mr);
			batch[n] = mr;
		}
		/*
		 * Only this worker takes from sendq: what is left is sent at
		 * once, so the segments of a burst go out together.
		 */
		more = !list_empty(&mir->sendq);
		mir->tx_batches++;
		mir->tx_msgs += n;
		spin_unlock_irq(&mir->lock);
		r = cairn_send_batch(link, batch, n, more, &copied);
		if (copied) {
			spin_lock_irq(&mir->lock);
			mir->tx_copied += copied;
			spin_unlock_irq(&mir->lock);
		}
		for (i = 0; i < n; i++)
			cairn_mreq_put(batch[i]);
		if (r) {
			cairn_link_fail(mir, r);
			return;
		}
	}
}

/* Our HELLO: who we are, our role and data, our bitmap. */
static void cairn_hello_fill(struct cairn_mirror *mir, struct cairn_wire_msg *m)
{
	struct cairn_kvol *kv = mir->kv;
	struct cairn_wire_hello *h = &m->hello;

	memset(m, 0, sizeof(*m));
	m->cmd = CAIRN_W_HELLO;
	memcpy(h->uuid, kv->vol->uuid, sizeof(h->uuid));
	memcpy(h->node_uuid, kv->kp->core->sb.pool_uuid, sizeof(h->node_uuid));
	strscpy(h->name, kv->vol->name, sizeof(h->name));
	h->size = kv->vol->size;
	h->grain_shift = mir->grain_shift + SECTOR_SHIFT;
	h->role = mir->role;
	h->disk = mir->disk;
	h->dirty_bits = mir->oos_bits;
	h->gen_current = mir->gen_current;
	h->gen_bitmap = mir->gen_bitmap;
	h->gen_history[0] = mir->gen_history[0];
	h->gen_history[1] = mir->gen_history[1];
	h->mapped = min(READ_ONCE(kv->vol->nr_mapped) << kv->kp->core->sb.chunk_shift,
			kv->vol->size);
}

static int cairn_send_hello(struct cairn_mirror *mir, struct cairn_link *link)
{
	struct cairn_wire_msg m;
	int r;

	spin_lock_irq(&mir->lock);
	cairn_hello_fill(mir, &m);
	spin_unlock_irq(&mir->lock);
	mutex_lock(&link->data_tx);
	r = cairn_link_send_msg(link->data, &m, false);
	mutex_unlock(&link->data_tx);
	return r;
}

/* ---- resync (primary) ---- */

static void cairn_resync_free(struct cairn_mreq *mr)
{
	struct bio_vec *bv;
	struct bvec_iter_all iter;

	if (mr->master) {
		bio_for_each_segment_all(bv, mr->master, iter)
			__free_page(bv->bv_page);
		bio_put(mr->master);
	}
	kfree(mr);
}

/* A grain sent, skipped, pulled or served is over. */
static void cairn_resync_finish(struct cairn_mreq *mr)
{
	struct cairn_mirror *mir = mr->mir;
	u64 bit = mr->it.start >> mir->grain_shift;
	bool redrive, failed, done = mr->remote_ok && !mr->local;
	u32 bytes = cairn_mreq_bytes(mr);
	unsigned long flags;

	spin_lock_irqsave(&mir->lock, flags);
	if (mr->kind == CAIRN_MREQ_SERVE) {
		/* The peer has it: out of our bits of what it lacks. */
		if (done)
			cairn_oos_clear(mir, mr->it.start, mr->it.last + 1);
		if (!--mir->inflight)
			wake_up_all(&mir->idle);
		spin_unlock_irqrestore(&mir->lock, flags);
		failed = mr->local;
		cairn_resync_free(mr);
		if (failed) {
			DMERR("%s/%s: could not read what peer %s pulls: link dropped",
			      cairn_mirror_pool(mir), cairn_mirror_vol(mir),
			      mir->peer_name);
			cairn_link_fail(mir, -EIO);
		}
		return;
	}
	/* Sent: written there (see cairn_mreq_put()). */
	if (mr->seq && mr->kind == CAIRN_MREQ_RESYNC)
		cairn_al_mark(mir, mir->unflushed[mir->uf_cur], mr);
	interval_tree_remove(&mr->it, &mir->writes);
	mir->resync_busy--;
	if (done) {
		if (__test_and_clear_bit(bit, mir->oos))
			mir->oos_bits--;
		if (mr->seq)	/* sent, not skipped */
			mir->resynced_bytes += bytes;
	}
	redrive = !list_empty(&mir->conflicts) ||
		  (mr->kind == CAIRN_MREQ_PULL && !list_empty(&mir->readers));
	if (!--mir->inflight)
		wake_up_all(&mir->idle);
	spin_unlock_irqrestore(&mir->lock, flags);
	failed = mr->kind == CAIRN_MREQ_PULL && mr->local;
	if (failed) {
		/* Pulled again and again otherwise: its readers fail. */
		DMERR("%s/%s: writing a grain pulled from %s failed: link dropped",
		      cairn_mirror_pool(mir), cairn_mirror_vol(mir),
		      mir->peer_name);
		cairn_link_fail(mir, -EIO);
	}
	cairn_resync_free(mr);
	if (redrive)
		queue_work(cairn_mirror_wq, &mir->redrive_work);
	else
		queue_work(cairn_mirror_wq, &mir->resync_work);
}

/* Queue a resync transfer for sending (or finish it, link gone). */
static void cairn_resync_send(struct cairn_mirror *mir, struct cairn_mreq *mr)
{
	unsigned long flags;
	bool queued, kick;

	spin_lock_irqsave(&mir->lock, flags);
	kick = list_empty(&mir->sendq);
	/*
	 * What we serve goes back under the peer's cookie -- on the link it
	 * was asked on: a request of an old link is nothing to the next.
	 */
	queued = mir->link && !mir->link->dead &&
		 mir->link->gen == mr->link_gen &&
		 (mr->kind == CAIRN_MREQ_SERVE ||
		  mir->link->peer.role == CAIRN_WIRE_SECONDARY);
	if (queued) {
		if (mr->kind != CAIRN_MREQ_SERVE)
			mr->seq = ++mir->seq ?: ++mir->seq;	/* never 0 */
		list_add_tail(&mr->list, &mir->sendq);
	}
	spin_unlock_irqrestore(&mir->lock, flags);
	if (!queued)
		cairn_remote_done(mir, mr, false);
	else if (kick)
		queue_work(cairn_mirror_wq, &mir->send_work);
}

static void cairn_resync_read_endio(struct bio *bio)
{
	struct cairn_mreq *mr = bio->bi_private;
	blk_status_t status = bio->bi_status;

	cairn_vol_end_io(&mr->lio, &status);
	if (status) {
		mr->local = status;
		cairn_remote_done(mr->mir, mr, false);
		return;
	}
	cairn_resync_send(mr->mir, mr);
}

/* Read @mr's grain (mapped) and send it once read. */
static int cairn_resync_read(struct cairn_mirror *mir, struct cairn_mreq *mr)
{
	u32 size = cairn_mreq_bytes(mr);
	unsigned int i, nr = DIV_ROUND_UP(size, PAGE_SIZE);
	struct bio *bio;

	bio = bio_alloc(NULL, nr, REQ_OP_READ, GFP_NOIO);
	for (i = 0; i < nr; i++) {
		struct page *page = alloc_page(GFP_NOIO);
		unsigned int len = min_t(u32, size - i * PAGE_SIZE, PAGE_SIZE);

		if (!page || !bio_add_page(bio, page, len, 0)) {
			if (page)
				__free_page(page);
			mr->master = bio;
			return -ENOMEM;
		}
	}
	bio->bi_iter.bi_sector = mr->it.start;
	bio->bi_end_io = cairn_resync_read_endio;
	bio->bi_private = mr;
	mr->master = bio;
	mr->iter = bio->bi_iter;
	cairn_vol_submit(mir->kv, bio, &mr->lio);
	return 0;
}

/*
 * The next grain to pull for a read waiting in mir->readers, not already
 * being pulled, or U64_MAX.  (mir->lock held)
 */
static u64 cairn_demand_bit(struct cairn_mirror *mir)
{
	sector_t vol_sectors = mir->kv->vol->size >> SECTOR_SHIFT;
	sector_t gsize = 1ULL << mir->grain_shift, gstart, glast;
	struct cairn_mreq *mr;
	u64 b, e;

	list_for_each_entry(mr, &mir->readers, list) {
		e = min((mr->it.last >> mir->grain_shift) + 1, mir->nr_bits);
		for (b = find_next_bit(mir->oos, e, mr->it.start >> mir->grain_shift);
		     b < e; b = find_next_bit(mir->oos, e, b + 1)) {
			gstart = b << mir->grain_shift;
			glast = min_t(sector_t, gstart + gsize, vol_sectors) - 1;
			if (!interval_tree_iter_first(&mir->writes, gstart, glast))
				return b;
		}
	}
	return U64_MAX;
}

/*
 * The background rate (resync_kbps): false, or true with the transfer
 * put off and the worker queued again when it is due.  (mir->lock held)
 */
static bool cairn_resync_throttle(struct cairn_mirror *mir, u32 bytes)
{
	u64 rate = (u64)READ_ONCE(resync_kbps) << 10;
	unsigned long now = jiffies;

	if (!rate)
		return false;
	if (time_before(now, mir->rs_next)) {
		queue_delayed_work(cairn_mirror_wq, &mir->rs_delay,
				   mir->rs_next - now);
		return true;
	}
	mir->rs_next = now + max_t(u64, 1, div64_u64((u64)bytes * HZ, rate));
	return false;
}

static void cairn_rs_delay_work(struct work_struct *work)
{
	struct cairn_mirror *mir = container_of(to_delayed_work(work),
						struct cairn_mirror, rs_delay);

	queue_work(cairn_mirror_wq, &mir->resync_work);
}

static void cairn_mirror_announce(struct cairn_mirror *mir);

/* Start a grain's pull: its RS_REQUEST to the peer. */
static void cairn_pull_start(struct cairn_mirror *mir, struct cairn_mreq *mr)
{
	mr->kind = CAIRN_MREQ_PULL;
	mr->cmd = CAIRN_W_RS_REQUEST;
	cairn_resync_send(mir, mr);
}

/*
 * Start resync transfers while there is room; a few candidates per run.
 * A primary sends its grains (push); a pulling primary asks for the ones
 * it lacks, those that reads wait for first.
 */
static void cairn_resync_work(struct work_struct *work)
{
	struct cairn_mirror *mir = container_of(work, struct cairn_mirror,
						resync_work);
	struct cairn_kvol *kv = mir->kv;
	sector_t vol_sectors = kv->vol->size >> SECTOR_SHIFT;
	struct cairn_link *link;
	unsigned int tries = 64;
	bool wrapped = false, peer_empty, pull, demand;
	struct cairn_mreq *mr;
	u64 bit;

	while (tries--) {
		mr = kzalloc(sizeof(*mr), GFP_NOIO);
		if (!mr)
			return;
		spin_lock_irq(&mir->lock);
		link = mir->link;
		pull = cairn_pulling(mir);
		/* A peer that does not know we are primary refuses a pull. */
		if (!link || link->dead || mir->role != CAIRN_ROLE_PRIMARY ||
		    link->peer.role != CAIRN_WIRE_SECONDARY || !mir->role_told ||
		    (pull && !cairn_pull_possible(mir)) ||
		    mir->resync_busy >= CAIRN_RESYNC_DEPTH)
			goto out_unlock;
		if (!mir->oos_bits) {
			if (mir->resync_busy || mir->resync_done_sent)
				goto out_unlock;
			/*
			 * Done once durable on both (synced_work): not from
			 * here, whose cancel the link's teardown waits for
			 * before it fails the flush's half on the peer.
			 */
			mir->resync_done_sent = true;
			spin_unlock_irq(&mir->lock);
			kfree(mr);
			queue_work(system_long_wq, &mir->synced_work);
			return;
		}
		bit = pull ? cairn_demand_bit(mir) : U64_MAX;
		demand = bit != U64_MAX;
		if (!demand)
			bit = find_next_bit(mir->oos, mir->nr_bits, mir->resync_pos);
		if (bit >= mir->nr_bits) {
			if (wrapped)
				goto out_unlock;
			wrapped = true;
			mir->resync_pos = 0;
			spin_unlock_irq(&mir->lock);
			kfree(mr);
			continue;
		}
		mr->it.start = bit << mir->grain_shift;
		mr->it.last = min_t(sector_t, mr->it.start + (1ULL << mir->grain_shift),
				    vol_sectors) - 1;
		if (!demand) {
			mir->resync_pos = bit + 1;
			if (interval_tree_iter_first(&mir->writes, mr->it.start,
						     mr->it.last)) {
				spin_unlock_irq(&mir->lock);
				kfree(mr);
				continue;	/* a write has it: later */
			}
		}
		if (!cairn_al_covers(mir, mr)) {
			/* Its region durable as dirty first; then again. */
			cairn_al_mark(mir, mir->al_want, mr);
			if (!demand)
				mir->resync_pos = bit;
			spin_unlock_irq(&mir->lock);
			kfree(mr);
			queue_work(cairn_mirror_wq, &mir->meta_work);
			return;
		}
		if (!demand && cairn_resync_throttle(mir, cairn_mreq_bytes(mr))) {
			mir->resync_pos = bit;
			goto out_unlock;
		}
		interval_tree_insert(&mr->it, &mir->writes);
		mr->in_tree = true;
		mir->resync_busy++;
		mir->inflight++;
		peer_empty = !link->peer.mapped;
		spin_unlock_irq(&mir->lock);

		mr->mir = mir;
		mr->kind = CAIRN_MREQ_RESYNC;
		mr->cmd = CAIRN_W_DATA;
		mr->wflags = CAIRN_WF_RESYNC;
		mr->link_gen = link->gen;
		INIT_LIST_HEAD(&mr->list);
		atomic_set(&mr->pending, 1);
		if (pull) {
			cairn_pull_start(mir, mr);
			continue;
		}
		if (cairn_vol_holds(kv, mr->it.start, mr->it.last)) {
			if (cairn_resync_read(mir, mr)) {
				mr->local = BLK_STS_RESOURCE;
				cairn_remote_done(mir, mr, false);
				return;
			}
		} else if (peer_empty) {
			/* Unmapped here and nothing there: in sync. */
			cairn_remote_done(mir, mr, true);
		} else {
			mr->wflags |= CAIRN_WF_UNMAPPED;
			cairn_resync_send(mir, mr);
		}
	}
	return;

out_unlock:
	spin_unlock_irq(&mir->lock);
	kfree(mr);
}

/*
 * A pulling primary lacks nothing any more: once what it pulled is
 * durable (a flush of both nodes), its data is consistent, of its
 * source's generation.
 */
/*
 * A resync pushed or pulled all there was: a flush of both nodes makes it
 * durable, then the sync target is consistent -- a pulling primary takes
 * its source's generation; a pushing one tells its secondary (a HELLO
 * with no bit left).  Not before: a sync target that crashed right after
 * its last grain must not come back consistent without what only its
 * caches held.  On the long workqueue: the link's teardown cancels the
 * resync worker before it fails what was in flight, this flush included.
 */
static void cairn_synced_work(struct work_struct *work)
{
	struct cairn_mirror *mir = container_of(work, struct cairn_mirror,
						synced_work);
	struct cairn_link *link = NULL;
	bool ok, pull, up;
	int r;

	r = cairn_mirror_flush(mir);
	spin_lock_irq(&mir->lock);
	pull = cairn_pulling(mir);
	up = mir->link && !mir->link->dead;
	ok = !r && !mir->oos_bits && !mir->resync_busy &&
	     (pull ? cairn_pull_possible(mir) :
	      mir->role == CAIRN_ROLE_PRIMARY && mir->link && !mir->link->dead);
	if (ok && pull) {
		mir->disk = CAIRN_MDISK_CONSISTENT;
		mir->gen_current = mir->link->peer.gen_current;
		mir->gen_bitmap = 0;
		cairn_meta_kick(mir);
	} else if (ok) {
		cairn_gen_bitmap_done(mir);	/* the peer has all of ours */
		if (mir->nr_held)
			queue_work(system_long_wq, &mir->unhold_work);
		link = mir->link;
		link->busy++;
	} else {
		mir->resync_done_sent = false;
	}
	spin_unlock_irq(&mir->lock);
	if (!ok) {
		/*
		 * A link lost meanwhile says so itself, and a new one
		 * resyncs; on a live one the flush is tried again.
		 */
		if (r && up) {
			DMERR_LIMIT("%s/%s: flushing the resync with %s failed (%d): again in 1 s",
				    cairn_mirror_pool(mir), cairn_mirror_vol(mir),
				    mir->peer_name, r);
			queue_delayed_work(cairn_mirror_wq, &mir->rs_delay, HZ);
		} else if (!r) {
			queue_work(cairn_mirror_wq, &mir->resync_work);
		}
		return;
	}
	if (pull) {
		flush_work(&mir->meta_work);
		DMINFO("%s/%s: pulled all it lacked from %s: consistent (%llu B, %llu reads)",
		       cairn_mirror_pool(mir), cairn_mirror_vol(mir),
		       mir->peer_name, mir->resynced_bytes, mir->demand_pulls);
		cairn_mirror_announce(mir);
	} else {
		DMINFO("%s/%s: in sync with %s (%llu bytes resynced)",
		       cairn_mirror_pool(mir), cairn_mirror_vol(mir),
		       mir->peer_name, mir->resynced_bytes);
		r = cairn_send_hello(mir, link);
		spin_lock_irq(&mir->lock);
		if (!--link->busy)
			wake_up_all(&mir->idle);
		spin_unlock_irq(&mir->lock);
		if (r)
			cairn_link_fail(mir, -EPIPE);
	}
	cairn_mirror_event(mir, CAIRN_EVENT_RESYNC_DONE, mir->resynced_bytes);
}

/* ---- applying the peer's writes (secondary) ---- */

/* A write or flush from the peer, applied here in parts of one chunk. */
struct cairn_preq {
	struct llist_node node;		/* in mir->acks, once done */
	struct cairn_mirror *mir;
	struct cairn_mreq *pull;	/* the pull this DATA answers */
	u64 cookie;
	u32 seq;
	u32 link_gen;			/* the link it came on: acked there only */
	u16 ack;			/* WRITE_ACK or FLUSH_ACK */
	u16 wflags;			/* DATA's CAIRN_WF_* */
	sector_t sector, end;		/* DATA's range */
	atomic_t pending;
	blk_status_t status;
	unsigned int nr_pages;
	struct page **pages;
	unsigned int nr_parts;
	struct cairn_ppart {
		struct cairn_io io;
		struct cairn_preq *preq;
	} parts[];
};

static void cairn_preq_free(struct cairn_preq *pr)
{
	unsigned int i;

	for (i = 0; i < pr->nr_pages; i++)
		if (pr->pages[i])
			__free_page(pr->pages[i]);
	kvfree(pr->pages);
	kfree(pr);
}

static void cairn_preq_put(struct cairn_preq *pr)
{
	struct cairn_mirror *mir = pr->mir;

	if (!atomic_dec_and_test(&pr->pending))
		return;
	llist_add(&pr->node, &mir->acks);
	queue_work(cairn_mirror_wq, &mir->ack_work);
}

static void cairn_ppart_endio(struct bio *bio)
{
	struct cairn_ppart *pp = bio->bi_private;
	struct cairn_preq *pr = pp->preq;
	blk_status_t status = bio->bi_status;

	cairn_vol_end_io(&pp->io, &status);
	if (status)
		WRITE_ONCE(pr->status, status);
	bio_put(bio);
	cairn_preq_put(pr);
}

static void cairn_ppart_submit(struct cairn_mirror *mir, struct cairn_ppart *pp,
			       struct bio *bio)
{
	bio->bi_end_io = cairn_ppart_endio;
	bio->bi_private = pp;
	atomic_inc(&pp->preq->pending);
	cairn_vol_submit(mir->kv, bio, &pp->io);
}

/*
 * A bio for payload bytes [@off, @off + @len) of @pr, written at @sector.
 */
static struct bio *cairn_preq_bio(struct cairn_preq *pr, u32 off, u32 len,
				  sector_t sector, blk_opf_t opf)
{
	unsigned int first = off / PAGE_SIZE;
	unsigned int last = (off + len - 1) / PAGE_SIZE;
	struct bio *bio = bio_alloc(NULL, last - first + 1, opf, GFP_NOIO);

	bio->bi_iter.bi_sector = sector;
	while (len) {
		unsigned int poff = off % PAGE_SIZE;
		unsigned int n = min_t(u32, len, PAGE_SIZE - poff);

		__bio_add_page(bio, pr->pages[off / PAGE_SIZE], n, poff);
		off += n;
		len -= n;
	}
	return bio;
}

/*
 * Apply a DATA (or FLUSH) of the peer: read its payload, submit it through
 * the volume in chunk-sized parts, ack when every part completed.
 */
static int cairn_apply(struct cairn_mirror *mir, struct socket *sock,
		       const struct cairn_wire_msg *m, struct cairn_mreq *pull)
{
	struct cairn_kvol *kv = mir->kv;
	const struct cairn_wire_data *d = &m->data;
	sector_t chunk = 1ULL << kv->kp->chunk_shift;
	sector_t sector = d->sector, end;
	struct cairn_preq *pr;
	unsigned int nr_parts, i;
	blk_opf_t opf;
	u32 off = 0;
	int r;

	if (m->cmd == CAIRN_W_FLUSH) {
		nr_parts = 1;
	} else {
		end = sector + (d->size >> SECTOR_SHIFT);
		if (end > kv->vol->size >> SECTOR_SHIFT) {
			cairn_protocol_error(mir, "DATA past the volume's end");
			return -EPROTO;
		}
		if (d->size > CAIRN_MAX_DISCARD_SECTORS << SECTOR_SHIFT ||
		    (d->flags & CAIRN_WF_ZEROES &&
		     d->size > 1U << CAIRN_MAX_CHUNK_SHIFT)) {
			cairn_protocol_error(mir, "DATA range too large");
			return -EPROTO;
		}
		/* A discard is one (the volume works through its chunks). */
		nr_parts = (d->flags & (CAIRN_WF_DISCARD | CAIRN_WF_UNMAPPED)) ?
			   1 : ((end - 1) >> kv->kp->chunk_shift) -
			   (sector >> kv->kp->chunk_shift) + 1;
	}
	pr = kzalloc(struct_size(pr, parts, nr_parts), GFP_NOIO);
	if (!pr)
		return -ENOMEM;
	pr->mir = mir;
	pr->pull = pull;
	pr->nr_parts = nr_parts;
	pr->link_gen = READ_ONCE(mir->link_gen);	/* a receiver's: its link's */
	atomic_set(&pr->pending, 1);
	if (m->cmd == CAIRN_W_FLUSH) {
		pr->cookie = m->ack.cookie;
		pr->seq = m->ack.seq;
		pr->ack = CAIRN_W_FLUSH_ACK;
	} else {
		pr->cookie = d->cookie;
		pr->seq = d->seq;
		pr->ack = CAIRN_W_WRITE_ACK;
		pr->wflags = d->flags;
		pr->sector = sector;
		pr->end = end;
	}
	if (m->payload) {
		pr->nr_pages = DIV_ROUND_UP(m->payload, PAGE_SIZE);
		pr->pages = kvcalloc(pr->nr_pages, sizeof(*pr->pages), GFP_NOIO);
		if (!pr->pages) {
			kfree(pr);
			return -ENOMEM;
		}
		for (i = 0; i < pr->nr_pages; i++) {
			u32 len = min_t(u32, m->payload - i * PAGE_SIZE, PAGE_SIZE);

			pr->pages[i] = alloc_page(GFP_NOIO);
			r = pr->pages[i] ? cairn_link_recv(sock,
					page_address(pr->pages[i]), len) : -ENOMEM;
			if (r) {
				cairn_preq_free(pr);
				return r;
			}
		}
	}
	for (i = 0; i < nr_parts; i++)
		pr->parts[i].preq = pr;

	spin_lock_irq(&mir->lock);
	mir->inflight++;
	spin_unlock_irq(&mir->lock);

	if (m->cmd == CAIRN_W_FLUSH) {
		cairn_ppart_submit(mir, &pr->parts[0],
				   bio_alloc(NULL, 0, REQ_OP_WRITE | REQ_PREFLUSH,
					     GFP_NOIO));
	} else if (!(d->flags & CAIRN_WF_ZEROES) && !m->payload) {
		struct bio *bio = bio_alloc(NULL, 0, REQ_OP_DISCARD, GFP_NOIO);

		bio->bi_iter.bi_sector = sector;
		bio->bi_iter.bi_size = d->size;
		cairn_ppart_submit(mir, &pr->parts[0], bio);
	} else if (d->flags & CAIRN_WF_ZEROES) {
		/* Zeroes, like data, a chunk at a time (cairn_thin_map()). */
		for (i = 0; i < nr_parts; i++) {
			sector_t next = min_t(sector_t, end,
					      (sector | (chunk - 1)) + 1);
			struct bio *bio = bio_alloc(NULL, 0, REQ_OP_WRITE_ZEROES,
						    GFP_NOIO);

			bio->bi_iter.bi_sector = sector;
			bio->bi_iter.bi_size = (next - sector) << SECTOR_SHIFT;
			cairn_ppart_submit(mir, &pr->parts[i], bio);
			sector = next;
		}
	} else {
		/*
		 * A host write on the primary waits for this one (protocol
		 * C): sync, as its O_DIRECT or flush-bound original; resync
		 * is background.
		 */
		opf = REQ_OP_WRITE | ((d->flags & CAIRN_WF_FUA) ? REQ_FUA : 0) |
		      ((d->flags & CAIRN_WF_RESYNC) ? 0 : REQ_SYNC);
		for (i = 0; i < nr_parts; i++) {
			sector_t next = min_t(sector_t, end,
					      (sector | (chunk - 1)) + 1);
			u32 len = (next - sector) << SECTOR_SHIFT;

			cairn_ppart_submit(mir, &pr->parts[i],
					   cairn_preq_bio(pr, off, len, sector, opf));
			off += len;
			sector = next;
		}
	}
	cairn_preq_put(pr);
	return 0;
}

/*
 * A DATA of the peer is written here (or failed): a pull it answered is
 * over; the bits of what this node lacks follow what it now has.
 */
static void cairn_applied(struct cairn_mirror *mir, struct cairn_preq *pr)
{
	if (pr->pull) {
		pr->pull->local = pr->status;
		cairn_remote_done(mir, pr->pull, true);
		return;
	}
	if (pr->ack != CAIRN_W_WRITE_ACK)
		return;
	spin_lock_irq(&mir->lock);
	if (pr->status)		/* what it holds there is not known */
		cairn_oos_mark(mir, pr->sector, pr->end - 1);
	else if (pr->wflags & CAIRN_WF_RESYNC)
		cairn_oos_clear(mir, pr->sector, pr->end);
	spin_unlock_irq(&mir->lock);
}

/*
 * Before the acks of @list leave a secondary whose RAM cache is not
 * durable: the slot covers them -- their regions dirty (a crash resyncs
 * them from the primary) and the node volatile (cairn_slot_volatile()).
 * Without it a FLUSH completed from RAM on both nodes would let the
 * primary forget its regions, and a secondary that lost its RAM would come
 * back consistent without them (DRBD keeps such an epoch until the peer's
 * barrier ack, sent after a real flush; here the slot says it instead, at
 * a write of the slot when a region or the state first needs it).  0, or
 * the slot could not be written: no ack may leave.
 */
static int cairn_ack_cover(struct cairn_mirror *mir, struct llist_node *list)
{
	struct cairn_preq *pr;
	bool need = false;

	if (!cairn_cache_mirror_ram(mir->kv) || cairn_cache_durable(mir->kv))
		return 0;
	spin_lock_irq(&mir->lock);
	llist_for_each_entry(pr, list, node) {
		if (pr->ack != CAIRN_W_WRITE_ACK || pr->pull || pr->status)
			continue;
		if (cairn_al_covers_range(mir, pr->sector, pr->end - 1))
			continue;
		cairn_al_mark_range(mir, mir->al_want, pr->sector, pr->end - 1);
		need = true;
	}
	need |= cairn_slot_volatile(mir) && !mir->slot_volatile;
	spin_unlock_irq(&mir->lock);
	return need ? cairn_meta_sync(mir) : 0;
}

/* Send the acks of the peer's completed requests, in completion order. */
static void cairn_ack_work(struct work_struct *work)
{
	struct cairn_mirror *mir = container_of(work, struct cairn_mirror,
						ack_work);
	struct llist_node *list = llist_reverse_order(llist_del_all(&mir->acks));
	struct cairn_preq *pr, *next;
	struct cairn_wire_msg m;
	struct cairn_link *link;
	int r = 0;

	spin_lock_irq(&mir->lock);
	link = mir->link;
	if (link && link->dead)
		link = NULL;
	spin_unlock_irq(&mir->lock);

	/* Not covered by the slot: not acknowledged (the link goes). */
	if (link && cairn_ack_cover(mir, list))
		r = -EIO;
	if (link)
		mutex_lock(&link->meta_tx);
	llist_for_each_entry_safe(pr, next, list, node) {
		cairn_applied(mir, pr);
		if (link && !r && pr->link_gen == link->gen) {
			memset(&m, 0, sizeof(m));
			m.cmd = pr->status ? CAIRN_W_NEG_ACK : pr->ack;
			m.ack.cookie = pr->cookie;
			m.ack.seq = pr->seq;
			m.ack.status = pr->status ?
				       -blk_status_to_errno(pr->status) : 0;
			r = cairn_link_send_msg(link->meta, &m, !!next);
		}
		cairn_preq_free(pr);
		cairn_mirror_dec_inflight(mir);
	}
	if (link)
		mutex_unlock(&link->meta_tx);
	if (r)
		cairn_link_fail(mir, r);
}

/* ---- receiving ---- */

/*
 * A connected peer became primary: its data must descend from ours, and it
 * must know our bits (core/handshake.c).  (mir->lock held)
 */
static int cairn_peer_promoted(struct cairn_mirror *mir,
			       const struct cairn_wire_hello *h,
			       const char **why)
{
	struct cairn_wire_msg me;

	cairn_hello_fill(mir, &me);
	return cairn_hs_promoted(&me.hello, h, why);
}

/* The peer's HELLO after the handshake: its role or data changed. */
static void cairn_peer_hello(struct cairn_mirror *mir, struct cairn_link *link,
			     const struct cairn_wire_hello *h)
{
	bool split = false, resync = false, changed = false;
	const char *why = NULL;
	int err = 0;
	u32 disk;

	spin_lock_irq(&mir->lock);
	link->peer = *h;
	if (h->role == CAIRN_WIRE_PRIMARY && mir->role == CAIRN_ROLE_SECONDARY)
		err = cairn_peer_promoted(mir, h, &why);
	if (h->role == CAIRN_WIRE_PRIMARY && mir->role == CAIRN_ROLE_PRIMARY) {
		split = true;
	} else if (h->role == CAIRN_WIRE_PRIMARY &&
		   h->disk != CAIRN_WIRE_CONSISTENT) {
		/* It pulls from us: our data and bits stand. */
	} else if (err) {
		/* Checked again by a new handshake, or refused there. */
	} else if (h->role == CAIRN_WIRE_PRIMARY) {
		disk = h->dirty_bits ? CAIRN_MDISK_INCONSISTENT :
				       CAIRN_MDISK_CONSISTENT;
		changed = disk != mir->disk;
		mir->disk = disk;
		/*
		 * In sync: our data is the primary's generation now, and what
		 * we knew to differ (sent at the handshake) does not.
		 */
		if (!h->dirty_bits) {
			changed |= mir->gen_current != h->gen_current;
			mir->gen_current = h->gen_current;
			cairn_gen_bitmap_done(mir);
			bitmap_zero(mir->oos, mir->nr_bits);
			mir->oos_bits = 0;
		}
		if (changed)
			cairn_meta_kick(mir);
	} else if (mir->role == CAIRN_ROLE_PRIMARY) {
		resync = true;
	}
	spin_unlock_irq(&mir->lock);
	/*
	 * Durable before the resync's data lands: a secondary that stops
	 * half way is never taken for consistent.
	 */
	if (changed)
		flush_work(&mir->meta_work);
	/* The primary shows what we have (and may be promoted on it). */
	if (changed && cairn_send_hello(mir, link))
		cairn_link_fail(mir, -EPIPE);
	if (split) {
		DMERR("%s/%s: peer %s became primary too: link dropped",
		      cairn_mirror_pool(mir), cairn_mirror_vol(mir),
		      mir->peer_name);
		cairn_mirror_event(mir, CAIRN_EVENT_LINK_REFUSED, EBUSY);
		cairn_link_fail(mir, -EBUSY);
	}
	if (err) {
		DMERR("%s/%s: peer %s became primary: %s: link dropped",
		      cairn_mirror_pool(mir), cairn_mirror_vol(mir),
		      mir->peer_name, why);
		if (err != -EAGAIN)
			cairn_mirror_event(mir, CAIRN_EVENT_LINK_REFUSED, -err);
		cairn_link_fail(mir, err);
	}
	if (resync)
		queue_work(cairn_mirror_wq, &mir->resync_work);
}

/*
 * The next message on @sock for a receiver thread: true, or false once the
 * link failed (it was dropped, with the reason logged for a protocol error).
 */
static bool cairn_rx_next(struct cairn_mirror *mir, struct socket *sock,
			  struct cairn_rxbuf *rb, struct cairn_wire_msg *m,
			  u8 *body)
{
	const char *why = NULL;
	int r;

	if (kthread_should_stop())
		return false;
	r = cairn_link_recv_msg(sock, rb, m, body, &why);
	if (r == -EPROTO)
		cairn_protocol_error(mir, why);
	else if (r)
		cairn_link_fail(mir, r);
	if (r)
		return false;
	WRITE_ONCE(mir->link->last_rx, jiffies);
	return true;
}

/*
 * RS_REQUEST: the pulling primary asks for a grain of ours.  We read it
 * (or find it unmapped) and send it back as resync DATA under its cookie;
 * its WRITE_ACK clears our bit.  A source must be consistent, and the
 * grain one of ours whole (both nodes' grains are equal when pulling).
 */
static int cairn_serve(struct cairn_mirror *mir, struct cairn_link *link,
		       const struct cairn_wire_msg *m)
{
	struct cairn_kvol *kv = mir->kv;
	sector_t vol_sectors = kv->vol->size >> SECTOR_SHIFT;
	sector_t start = m->data.sector, gsize = 1ULL << mir->grain_shift;
	struct cairn_mreq *mr;

	if (READ_ONCE(mir->role) != CAIRN_ROLE_SECONDARY ||
	    READ_ONCE(mir->disk) != CAIRN_MDISK_CONSISTENT ||
	    link->peer.role != CAIRN_WIRE_PRIMARY) {
		cairn_protocol_error(mir, "RS_REQUEST to no consistent secondary");
		return -EPROTO;
	}
	if (start & (gsize - 1) || start >= vol_sectors ||
	    m->data.size != min_t(sector_t, gsize, vol_sectors - start) << SECTOR_SHIFT ||
	    !m->data.cookie || m->data.cookie > U32_MAX) {
		cairn_protocol_error(mir, "RS_REQUEST for something other than a grain");
		return -EPROTO;
	}
	mr = kzalloc(sizeof(*mr), GFP_NOIO);
	if (!mr) {
		cairn_link_fail(mir, -ENOMEM);
		return -ENOMEM;
	}
	mr->mir = mir;
	mr->kind = CAIRN_MREQ_SERVE;
	mr->cmd = CAIRN_W_DATA;
	mr->wflags = CAIRN_WF_RESYNC;
	mr->seq = m->data.cookie;
	mr->link_gen = link->gen;
	mr->it.start = start;
	mr->it.last = start + (m->data.size >> SECTOR_SHIFT) - 1;
	INIT_LIST_HEAD(&mr->list);
	atomic_set(&mr->pending, 1);
	spin_lock_irq(&mir->lock);
	mir->inflight++;
	spin_unlock_irq(&mir->lock);
	if (!cairn_vol_holds(kv, mr->it.start, mr->it.last)) {
		mr->wflags |= CAIRN_WF_UNMAPPED;
		cairn_resync_send(mir, mr);
	} else if (cairn_resync_read(mir, mr)) {
		mr->local = BLK_STS_RESOURCE;
		cairn_remote_done(mir, mr, false);
	}
	return 0;
}

/* Resync DATA on a pulling primary: the answer to one of its pulls. */
static int cairn_pull_data(struct cairn_mirror *mir, struct cairn_link *link,
			   const struct cairn_wire_msg *m)
{
	struct cairn_mreq *mr, *found = NULL;
	int r;

	spin_lock_irq(&mir->lock);
	list_for_each_entry(mr, &mir->sent, list) {
		if (mr->seq != m->data.cookie)
			continue;
		if (mr->kind == CAIRN_MREQ_PULL && mr->it.start == m->data.sector &&
		    cairn_mreq_bytes(mr) == m->data.size) {
			found = mr;
			list_del_init(&mr->list);
		}
		break;
	}
	spin_unlock_irq(&mir->lock);
	if (!found) {
		cairn_protocol_error(mir, "resync DATA that was not asked for");
		return -EPROTO;
	}
	r = cairn_apply(mir, link->data, m, found);
	if (r) {
		cairn_link_fail(mir, r);
		cairn_remote_done(mir, found, false);
	}
	return r;
}

/*
 * Set the bits the peer's @buf sets: @nbits of them from bit @first, at
 * the peer's grain, 2^@pgs sectors, which may differ from ours.
 */
static void cairn_bitmap_merge(struct cairn_mirror *mir, u64 first, u32 nbits,
			       const u8 *buf, unsigned int pgs)
{
	sector_t vol_sectors = mir->kv->vol->size >> SECTOR_SHIFT;
	u32 i;

	spin_lock_irq(&mir->lock);
	for (i = 0; i < nbits; i++) {
		sector_t start = (first + i) << pgs;

		if (buf[i / 8] & (1U << (i % 8)))
			cairn_oos_mark(mir, start,
				       min_t(sector_t, start + (1ULL << pgs),
					     vol_sectors) - 1);
	}
	spin_unlock_irq(&mir->lock);
}

/*
 * BITMAP after the connect, on a secondary: the primary's bits, all of
 * what this node may lack, in order.  Once all arrived the node knows
 * what it lacks (and may be promoted to pull it).
 */
static int cairn_bitmap_take(struct cairn_mirror *mir, struct cairn_link *link,
			     const struct cairn_wire_msg *m)
{
	sector_t vol_sectors = mir->kv->vol->size >> SECTOR_SHIFT;
	unsigned int pgs = link->peer.grain_shift - SECTOR_SHIFT;
	u64 nbits = DIV_ROUND_UP_ULL(vol_sectors, 1ULL << pgs);
	u8 *buf;
	int r;

	if (READ_ONCE(mir->role) != CAIRN_ROLE_SECONDARY ||
	    link->peer.role != CAIRN_WIRE_PRIMARY ||
	    m->bitmap.first != mir->bm_next ||
	    m->bitmap.nbits != min_t(u64, nbits - mir->bm_next,
				     CAIRN_WIRE_MAX_BITS)) {
		cairn_protocol_error(mir, "BITMAP out of place");
		return -EPROTO;
	}
	buf = kmalloc(m->payload, GFP_NOIO);	/* at most 8 KiB */
	if (!buf) {
		cairn_link_fail(mir, -ENOMEM);
		return -ENOMEM;
	}
	r = cairn_link_recv(link->data, buf, m->payload);
	if (r) {
		kfree(buf);
		cairn_link_fail(mir, r);
		return r;
	}
	cairn_bitmap_merge(mir, m->bitmap.first, m->bitmap.nbits, buf, pgs);
	kfree(buf);
	spin_lock_irq(&mir->lock);
	mir->bm_next += m->bitmap.nbits;
	if (mir->bm_next == nbits)
		mir->lack_known = true;
	spin_unlock_irq(&mir->lock);
	return 0;
}

/* A receiver that stopped waits for cairn_down_work() to stop it. */
static void cairn_rx_park(void)
{
	while (!kthread_should_stop()) {
		set_current_state(TASK_INTERRUPTIBLE);
		if (!kthread_should_stop())
			schedule();
		__set_current_state(TASK_RUNNING);
	}
}

/*
 * Resync data arrives: this node is a sync target from now on, durably
 * before the first of it lands (a crash half way must not bring it back
 * consistent), and the primary is told.  0, or the link failed.
 */
static int cairn_sync_target(struct cairn_mirror *mir, struct cairn_link *link)
{
	spin_lock_irq(&mir->lock);
	mir->disk = CAIRN_MDISK_INCONSISTENT;
	cairn_meta_kick(mir);
	spin_unlock_irq(&mir->lock);
	flush_work(&mir->meta_work);
	if (READ_ONCE(mir->meta_failed)) {
		cairn_link_fail(mir, -EIO);
		return -EIO;
	}
	if (cairn_send_hello(mir, link)) {
		cairn_link_fail(mir, -EPIPE);
		return -EPIPE;
	}
	return 0;
}

/*
 * The writes of the peer's messages are plugged while more of them are
 * already here, and dispatched from this thread before it waits for the
 * next: a batch reaches the disk in one go (one notification of a
 * virtio disk), and a lone write is issued at once from here rather than
 * by a kblockd worker (what a plug flushed by the scheduler, or an
 * unplugged bio on a queue with an elevator, would take).
 */
static int cairn_data_rx_thread(void *arg)
{
	struct cairn_mirror *mir = arg;
	struct cairn_link *link = mir->link;
	u8 body[CAIRN_WIRE_BODY_MAX];
	struct cairn_wire_msg m;
	struct blk_plug plug;
	int r;

	blk_start_plug(&plug);
	for (;;) {
		if (!cairn_link_sock_pending(link->data)) {
			blk_finish_plug(&plug);
			blk_start_plug(&plug);
		}
		if (!cairn_rx_next(mir, link->data, NULL, &m, body))
			break;
		switch (m.cmd) {
		case CAIRN_W_HELLO:
			cairn_peer_hello(mir, link, &m.hello);
			continue;
		case CAIRN_W_RS_REQUEST:
			if (cairn_serve(mir, link, &m))
				break;
			continue;
		case CAIRN_W_BITMAP:
			if (cairn_bitmap_take(mir, link, &m))
				break;
			continue;
		case CAIRN_W_DATA:
		case CAIRN_W_FLUSH:
			if (READ_ONCE(mir->role) != CAIRN_ROLE_SECONDARY &&
			    m.cmd == CAIRN_W_DATA && m.data.flags & CAIRN_WF_RESYNC) {
				if (cairn_pull_data(mir, link, &m))
					break;
				continue;
			}
			if (READ_ONCE(mir->role) != CAIRN_ROLE_SECONDARY) {
				cairn_protocol_error(mir, "writes sent to the primary");
				break;
			}
			if (m.cmd == CAIRN_W_DATA &&
			    m.data.flags & CAIRN_WF_RESYNC &&
			    READ_ONCE(mir->disk) != CAIRN_MDISK_INCONSISTENT &&
			    cairn_sync_target(mir, link))
				break;
			r = cairn_apply(mir, link->data, &m, NULL);
			if (r) {
				cairn_link_fail(mir, r);
				break;
			}
			continue;
		default:
			cairn_protocol_error(mir, "unexpected message on the data socket");
			break;
		}
		break;
	}
	blk_finish_plug(&plug);
	cairn_rx_park();
	return 0;
}

/* An ack of the peer: find its request (by sequence number) and join it. */
static int cairn_peer_ack(struct cairn_mirror *mir, const struct cairn_wire_msg *m)
{
	struct cairn_mreq *mr, *found = NULL;
	u16 want = m->cmd == CAIRN_W_FLUSH_ACK ? CAIRN_W_FLUSH : CAIRN_W_DATA;
	bool full = false;

	spin_lock_irq(&mir->lock);
	list_for_each_entry(mr, &mir->sent, list) {
		if (mr->seq != m->ack.cookie)
			continue;
		if (m->cmd == CAIRN_W_NEG_ACK || mr->cmd == want) {
			found = mr;
			list_del_init(&mr->list);
			if (mr->kind != CAIRN_MREQ_PULL)
				mir->nr_sent--;
		}
		break;
	}
	if (found && m->cmd == CAIRN_W_NEG_ACK) {
		/* What the peer holds is not known any more. */
		mir->link->peer.mapped = mir->kv->vol->size;
		if (found->cmd == CAIRN_W_FLUSH) {
			cairn_oos_all(mir);
			full = true;
		}
	}
	spin_unlock_irq(&mir->lock);
	if (!found)
		return -EPROTO;
	if (m->cmd == CAIRN_W_NEG_ACK)
		DMERR_LIMIT("%s/%s: peer %s failed a %s (error %u)%s",
			    cairn_mirror_pool(mir), cairn_mirror_vol(mir),
			    mir->peer_name, cairn_wire_cmd_name(found->cmd),
			    m->ack.status, full ? ": full resync" : "");
	cairn_remote_done(mir, found, m->cmd != CAIRN_W_NEG_ACK);
	if (full)
		cairn_link_fail(mir, -EIO);
	return 0;
}

static int cairn_meta_rx_thread(void *arg)
{
	struct cairn_mirror *mir = arg;
	struct cairn_link *link = mir->link;
	u8 body[CAIRN_WIRE_BODY_MAX];
	struct cairn_wire_msg m;
	int r;

	while (cairn_rx_next(mir, link->meta, &link->meta_rb, &m, body)) {
		switch (m.cmd) {
		case CAIRN_W_PING:
			m.cmd = CAIRN_W_PING_ACK;
			mutex_lock(&link->meta_tx);
			r = cairn_link_send_msg(link->meta, &m, false);
			mutex_unlock(&link->meta_tx);
			if (r) {
				cairn_link_fail(mir, r);
				break;
			}
			continue;
		case CAIRN_W_PING_ACK:
			continue;
		case CAIRN_W_WRITE_ACK:
		case CAIRN_W_NEG_ACK:
		case CAIRN_W_FLUSH_ACK:
			if (!cairn_peer_ack(mir, &m)) {
				/*
				 * What was queued behind this ack (see
				 * cairn_mreq_start()); after the first of a
				 * burst, the sender is pending or has
				 * emptied sendq.
				 */
				if (!list_empty_careful(&mir->sendq))
					queue_work(cairn_mirror_wq, &mir->send_work);
				continue;
			}
			cairn_protocol_error(mir, "ack of nothing sent");
			break;
		default:
			cairn_protocol_error(mir, "unexpected message on the meta socket");
			break;
		}
		break;
	}
	cairn_rx_park();
	return 0;
}

/* Pings, and the timeouts of a silent peer and of a missing ack. */
static void cairn_ping_work(struct work_struct *work)
{
	struct cairn_mirror *mir = container_of(to_delayed_work(work),
						struct cairn_mirror, ping_work);
	struct cairn_wire_msg m = { .cmd = CAIRN_W_PING };
	struct cairn_link *link;
	unsigned long timeout;
	bool late = false;
	int r;

	spin_lock_irq(&mir->lock);
	link = mir->link;
	if (!link || link->dead) {
		spin_unlock_irq(&mir->lock);
		return;
	}
	timeout = msecs_to_jiffies(link->timeout_ms);
	if (!list_empty(&mir->sent)) {
		struct cairn_mreq *mr = list_first_entry(&mir->sent,
							 struct cairn_mreq, list);

		late = time_after(jiffies, mr->sent_at + timeout);
	}
	spin_unlock_irq(&mir->lock);
	if (late) {
		DMERR("%s/%s: peer %s did not acknowledge a write within %u ms",
		      cairn_mirror_pool(mir), cairn_mirror_vol(mir),
		      mir->peer_name, link->timeout_ms);
		cairn_link_fail(mir, -ETIMEDOUT);
		return;
	}
	if (time_after(jiffies, READ_ONCE(link->last_rx) + timeout)) {
		DMERR("%s/%s: peer %s silent for %u ms", cairn_mirror_pool(mir),
		      cairn_mirror_vol(mir), mir->peer_name, link->timeout_ms);
		cairn_link_fail(mir, -ETIMEDOUT);
		return;
	}
	m.ack.cookie = jiffies;
	mutex_lock(&link->meta_tx);
	r = cairn_link_send_msg(link->meta, &m, false);
	mutex_unlock(&link->meta_tx);
	if (r) {
		cairn_link_fail(mir, r);
		return;
	}
	queue_delayed_work(cairn_mirror_wq, &mir->ping_work,
			   msecs_to_jiffies(link->ping_ms));
}

/* ---- control (kp->lock held) ---- */

static int cairn_refuse(const char **why, const char *reason, int r)
{
	*why = reason;
	return r;
}

static void cairn_mirror_free(struct cairn_mirror *mir)
{
	if (mir->meta_page)
		__free_page(mir->meta_page);
	kvfree(mir->meta);
	kfree(mir->al);
	kfree(mir->al_want);
	kfree(mir->al_hot);
	kfree(mir->al_disk);
	kfree(mir->al_next);
	kfree(mir->unflushed[0]);
	kfree(mir->unflushed[1]);
	kvfree(mir->oos);
	kfree(mir);
}

/* Data of our own, the reference now: everything to send (mir->lock). */
static void cairn_mirror_reference(struct cairn_mirror *mir)
{
	mir->disk = CAIRN_MDISK_CONSISTENT;
	mir->gen_current = get_random_u64() ?: 1;
	mir->gen_bitmap = 0;
	cairn_oos_all(mir);
	bitmap_fill(mir->al_want, mir->nr_regions);
}

/* Take the slot's state: what was written when last attached. */
static void cairn_mirror_load(struct cairn_mirror *mir,
			      const struct cairn_mirror_meta *m)
{
	u32 r;

	mir->disk = m->disk;
	mir->gen_current = m->gen_current;
	mir->gen_bitmap = m->gen_bitmap;
	mir->gen_history[0] = m->gen_history[0];
	mir->gen_history[1] = m->gen_history[1];
	if (m->region_shift != mir->region_shift + SECTOR_SHIFT ||
	    m->nr_regions != mir->nr_regions) {
		/* Another geometry: no telling what differs. */
		cairn_oos_all(mir);
		bitmap_fill(mir->al_want, mir->nr_regions);
		return;
	}
	for (r = 0; r < m->nr_regions; r++) {
		if (!(m->bits[r / 8] & (1U << (r % 8))))
			continue;
		__set_bit(r, mir->al);
		__set_bit(r, mir->al_disk);
		cairn_oos_mark_region(mir, r);
	}
}

static void cairn_connect_work(struct work_struct *w);
static void cairn_connect_abort(struct cairn_mirror *mir);

/*
 * A volume becomes mirrored: its state from its slot in the pool's mirror
 * area if it has one (it was mirrored before a restart), else a new slot.
 */
static struct cairn_mirror *cairn_mirror_new(struct cairn_kvol *kv, u32 role,
					     const char *peer, bool force,
					     const char **why)
{
	struct cairn_pool *core = kv->kp->core;
	unsigned int chunk_shift = kv->kp->chunk_shift;
	const struct cairn_mirror_meta *saved = NULL;
	struct cairn_mirror *mir;
	size_t rbytes;
	int slot, r;
	u64 nr_bits;

	if (!cairn_mmeta_supported(core)) {
		*why = "pool has no mirror area (made before mirroring): use a new pool";
		return ERR_PTR(-EOPNOTSUPP);
	}
	slot = cairn_mmeta_find(core, kv->vol);
	if (slot >= 0)
		saved = cairn_mmeta_get(core, slot);
	if (saved && role == CAIRN_ROLE_PRIMARY &&
	    saved->disk != CAIRN_MDISK_CONSISTENT && !force) {
		*why = "data not known to be consistent: use force to make it primary";
		return ERR_PTR(-EPERM);
	}
	mir = kzalloc(sizeof(*mir), GFP_KERNEL);
	if (!mir)
		return ERR_PTR(-ENOMEM);
	/* A bit per chunk, or per MiB of a larger chunk. */
	mir->grain_shift = min_t(unsigned int, chunk_shift,
				 ilog2(CAIRN_WIRE_MAX_DATA) - SECTOR_SHIFT);
	nr_bits = DIV_ROUND_UP_ULL(kv->vol->size >> SECTOR_SHIFT,
				   1ULL << mir->grain_shift);
	if (BITS_TO_LONGS(nr_bits) * sizeof(long) > CAIRN_BITMAP_MAX) {
		kfree(mir);
		*why = "volume too large to mirror (its out-of-sync bitmap would exceed 64 MiB)";
		return ERR_PTR(-EFBIG);
	}
	mir->region_shift = cairn_mmeta_region_shift(kv->vol->size,
						     mir->grain_shift + SECTOR_SHIFT) -
			    SECTOR_SHIFT;
	mir->nr_regions = DIV_ROUND_UP_ULL(kv->vol->size >> SECTOR_SHIFT,
					   1ULL << mir->region_shift);
	rbytes = BITS_TO_LONGS(mir->nr_regions) * sizeof(long);
	mir->oos = kvcalloc(BITS_TO_LONGS(nr_bits), sizeof(long), GFP_KERNEL);
	mir->al = kzalloc(rbytes, GFP_KERNEL);
	mir->al_want = kzalloc(rbytes, GFP_KERNEL);
	mir->al_hot = kzalloc(rbytes, GFP_KERNEL);
	mir->al_disk = kzalloc(rbytes, GFP_KERNEL);
	mir->al_next = kzalloc(rbytes, GFP_KERNEL);
	mir->unflushed[0] = kzalloc(rbytes, GFP_KERNEL);
	mir->unflushed[1] = kzalloc(rbytes, GFP_KERNEL);
	mir->meta = kvzalloc(sizeof(*mir->meta), GFP_KERNEL);
	mir->meta_page = alloc_page(GFP_KERNEL);
	if (!mir->oos || !mir->al || !mir->al_want || !mir->al_hot ||
	    !mir->al_disk || !mir->al_next || !mir->unflushed[0] ||
	    !mir->unflushed[1] || !mir->meta || !mir->meta_page) {
		cairn_mirror_free(mir);
		return ERR_PTR(-ENOMEM);
	}
	mir->nr_bits = nr_bits;
	mir->kv = kv;
	mir->role = role;
	if (peer)
		strscpy(mir->peer_name, peer, sizeof(mir->peer_name));
	else if (saved)
		strscpy(mir->peer_name, saved->peer, sizeof(mir->peer_name));
	spin_lock_init(&mir->lock);
	mutex_init(&mir->meta_mutex);
	mir->writes = RB_ROOT_CACHED;
	INIT_LIST_HEAD(&mir->conflicts);
	INIT_LIST_HEAD(&mir->sendq);
	INIT_LIST_HEAD(&mir->sent);
	INIT_LIST_HEAD(&mir->al_wait);
	init_waitqueue_head(&mir->idle);
	init_llist_head(&mir->acks);
	INIT_WORK(&mir->send_work, cairn_send_work);
	INIT_WORK(&mir->ack_work, cairn_ack_work);
	INIT_WORK(&mir->redrive_work, cairn_redrive_work);
	INIT_WORK(&mir->resync_work, cairn_resync_work);
	INIT_WORK(&mir->down_work, cairn_down_work);
	INIT_WORK(&mir->synced_work, cairn_synced_work);
	INIT_WORK(&mir->connect_work, cairn_connect_work);
	INIT_DELAYED_WORK(&mir->rs_delay, cairn_rs_delay_work);
	INIT_LIST_HEAD(&mir->readers);
	INIT_LIST_HEAD(&mir->held);
	INIT_DELAYED_WORK(&mir->lease_work, cairn_lease_work);
	INIT_WORK(&mir->unhold_work, cairn_unhold_work);
	INIT_WORK(&mir->meta_work, cairn_meta_work);
	INIT_DELAYED_WORK(&mir->ping_work, cairn_ping_work);
	INIT_DELAYED_WORK(&mir->sweep_work, cairn_sweep_work);

	if (saved) {
		cairn_mirror_load(mir, saved);
		if (role == CAIRN_ROLE_PRIMARY && mir->disk != CAIRN_MDISK_CONSISTENT)
			cairn_mirror_reference(mir);	/* forced */
	} else {
		slot = cairn_mmeta_claim(core, kv->vol);
		if (slot < 0) {
			cairn_mirror_free(mir);
			*why = slot == -ENOSPC ?
			       "all of the pool's mirror slots are in use (256 mirrored volumes)" :
			       "out of memory";
			return ERR_PTR(slot);
		}
		/* A primary's data is the reference; the peer has none yet. */
		if (role == CAIRN_ROLE_PRIMARY)
			cairn_mirror_reference(mir);
		else
			mir->disk = CAIRN_MDISK_INCONSISTENT;
	}
	mir->mslot = slot;
	mir->gen_durable = saved ? saved->gen_current : 0;
	/*
	 * A new slot is written before the volume is mirrored; a loaded one
	 * when something changes (so a read-only pool still opens).
	 */
	r = saved && !force ? 0 : cairn_meta_sync(mir);
	if (r) {
		if (!saved)
			cairn_mmeta_release(core, slot);
		cairn_mirror_free(mir);
		*why = "writing the mirror state to the pool failed";
		return ERR_PTR(r);
	}
	/* Not on cairn_mirror_wq: a sweep waits for a flush that needs it. */
	queue_delayed_work(system_long_wq, &mir->sweep_work,
			   msecs_to_jiffies(CAIRN_SWEEP_MS));
	return mir;
}

/*
 * Tell a connected peer our new role or state.  The link is held busy so
 * that the down worker does not free it meanwhile.
 */
static int cairn_bitmap_send(struct cairn_mirror *mir, struct cairn_link *link);

static void cairn_mirror_tell(struct cairn_mirror *mir, bool bitmap)
{
	struct cairn_link *link;
	int r;

	spin_lock_irq(&mir->lock);
	link = mir->link && !mir->link->dead ? mir->link : NULL;
	if (link)
		link->busy++;
	spin_unlock_irq(&mir->lock);
	if (!link)
		return;
	r = cairn_send_hello(mir, link);
	if (!r && bitmap)
		r = cairn_bitmap_send(mir, link);
	spin_lock_irq(&mir->lock);
	if (!r)
		mir->role_told = true;	/* or another HELLO is on its way */
	if (!--link->busy)
		wake_up_all(&mir->idle);
	spin_unlock_irq(&mir->lock);
	if (r)
		cairn_link_fail(mir, -EPIPE);
}

static void cairn_mirror_announce(struct cairn_mirror *mir)
{
	cairn_mirror_tell(mir, false);
}

static int cairn_mirror_forget(struct cairn_kvol *kv, const char **why);

/*
 * At pool open, before anyone can see the volume: a volume that was
 * mirrored comes back mirrored, as secondary (its device refuses I/O)
 * until it is made primary, with its state from its slot.
 */
int cairn_mirror_restore(struct cairn_kvol *kv, const char **why)
{
	struct cairn_mirror *mir;

	if (cairn_mmeta_find(kv->kp->core, kv->vol) < 0)
		return 0;
	mir = cairn_mirror_new(kv, CAIRN_ROLE_SECONDARY, NULL, false, why);
	if (IS_ERR(mir))
		return PTR_ERR(mir);
	WRITE_ONCE(kv->mir, mir);
	DMINFO("%s/%s: mirrored with %s: secondary until promoted (data %s, %llu B out of sync)",
	       kv->kp->name, kv->vol->name, mir->peer_name,
	       mir->disk == CAIRN_MDISK_CONSISTENT ? "consistent" :
	       mir->disk == CAIRN_MDISK_OUTDATED ? "outdated" : "inconsistent",
	       min(mir->oos_bits << (mir->grain_shift + SECTOR_SHIFT), kv->vol->size));
	return 0;
}

/*
 * cairnd's quorum: with @quorum a lease of @lease_ms from now (0: lapsed
 * already), without none (and nothing held any more); and whether the peer
 * is outdated (@alone: 0 or 1, or -1 unchanged).  See "Leases" above.
 */
int cairn_mirror_quorum(struct cairn_kvol *kv, bool quorum, u32 lease_ms,
			int alone, const char **why)
{
	struct cairn_mirror *mir = kv->mir;
	bool release;

	if (!mir)
		return cairn_refuse(why, "volume is not mirrored", -EINVAL);
	spin_lock_irq(&mir->lock);
	/* A jiffy early: never later than cairnd's own lease. */
	mir->lease_end = jiffies + msecs_to_jiffies(lease_ms) - 1;
	mir->quorum = quorum;
	if (alone >= 0)
		mir->alone = alone;
	/* Without a lease, or the peer outdated: what is held goes on alone. */
	release = !mir->quorum || mir->alone;
	if (release && mir->nr_held)
		mir->gen_acked = true;
	spin_unlock_irq(&mir->lock);
	if (quorum)
		mod_delayed_work(cairn_mirror_wq, &mir->lease_work,
				 msecs_to_jiffies(lease_ms));
	if (release)
		cairn_held_release(mir, BLK_STS_OK);
	return 0;
}

int cairn_mirror_set(struct cairn_kvol *kv, u32 role, const char *peer,
		     bool force, const char **why)
{
	struct cairn_mirror *mir = kv->mir;
	struct cairn_link *link;
	int r = 0;

	if (mir && (role != mir->role || force))
		cairn_connect_abort(mir);	/* it saw the old role */
	if (role == CAIRN_ROLE_OFF) {
		if (!mir)
			return 0;
		if (mir->link)
			return cairn_refuse(why, "volume is connected: disconnect it first",
					    -EBUSY);
		if (kv->users)
			return cairn_refuse(why, "volume in use by a device-mapper table",
					    -EBUSY);
		return cairn_mirror_forget(kv, why);
	}
	if (!mir) {
		mir = cairn_mirror_new(kv, role, peer, force, why);
		if (IS_ERR(mir))
			return PTR_ERR(mir);
		WRITE_ONCE(kv->mir, mir);
		cairn_mirror_event(mir, CAIRN_EVENT_ROLE_CHANGED, role);
		return 0;
	}
	if (peer && strcmp(peer, mir->peer_name)) {
		strscpy(mir->peer_name, peer, sizeof(mir->peer_name));
		spin_lock_irq(&mir->lock);
		cairn_meta_kick(mir);
		spin_unlock_irq(&mir->lock);
	}
	if (role == CAIRN_ROLE_SECONDARY && force) {
		/* Discard this node's changes: a full resync from the peer. */
		if (mir->link)
			return cairn_refuse(why, "volume is connected: disconnect it first",
					    -EBUSY);
		WRITE_ONCE(mir->role, role);
		wait_event(mir->idle, !READ_ONCE(mir->inflight));
		spin_lock_irq(&mir->lock);
		mir->disk = CAIRN_MDISK_INCONSISTENT;
		mir->gen_current = 0;
		mir->gen_bitmap = 0;
		bitmap_zero(mir->oos, mir->nr_bits);
		mir->oos_bits = 0;
		spin_unlock_irq(&mir->lock);
		r = cairn_meta_sync(mir);
		if (r)
			return cairn_refuse(why, "writing the mirror state to the pool failed", r);
		DMWARN("%s/%s: this node's data discarded: it takes a full resync from %s",
		       kv->kp->name, kv->vol->name, mir->peer_name);
		cairn_mirror_event(mir, CAIRN_EVENT_ROLE_CHANGED, role);
		return 0;
	}
	if (role == mir->role)
		return 0;

	spin_lock_irq(&mir->lock);
	link = mir->link && !mir->link->dead ? mir->link : NULL;
	if (role == CAIRN_ROLE_PRIMARY) {
		if (link && link->peer.role == CAIRN_WIRE_PRIMARY) {
			r = cairn_refuse(why, "the peer is primary: demote it first", -EBUSY);
		} else if (mir->disk == CAIRN_MDISK_INCONSISTENT && !force &&
			   link && link->peer.role == CAIRN_WIRE_SECONDARY &&
			   link->peer.disk == CAIRN_WIRE_CONSISTENT &&
			   mir->lack_known &&
			   link->peer.grain_shift == mir->grain_shift + SECTOR_SHIFT) {
			/* A sync target that pulls what it lacks. */
			mir->resync_done_sent = false;
			mir->demand_pulls = 0;
			mir->resynced_bytes = 0;
			mir->role_told = false;	/* until the announce below */
			WRITE_ONCE(mir->role, role);
		} else if (mir->disk != CAIRN_MDISK_CONSISTENT && !force) {
			r = cairn_refuse(why, mir->disk == CAIRN_MDISK_OUTDATED ?
					 "data is outdated: promote with force to use it anyway" :
					 "data is not known to be consistent (never synced, or a resync half way): promote it while connected to a consistent secondary, or with force to use it anyway",
					 -EPERM);
		} else {
			if (mir->disk != CAIRN_MDISK_CONSISTENT)
				cairn_mirror_reference(mir);	/* forced */
			mir->role_told = false;
			WRITE_ONCE(mir->role, role);
		}
	} else {
		/*
		 * With a lease, a write the peer lacks is never acknowledged
		 * unless the witness outdated the peer: a fenced primary
		 * that acknowledged none of its new generation goes back to
		 * the old one, and the peer resyncs the regions it wrote
		 * (its bits) as after a crash -- not a split brain.
		 */
		if (mir->quorum && mir->role == CAIRN_ROLE_PRIMARY &&
		    mir->gen_bitmap && !mir->gen_acked) {
			mir->gen_current = mir->gen_bitmap;
			mir->gen_bitmap = 0;
			DMINFO("%s/%s: demoted, no new write acknowledged: generation of %s again",
			       cairn_mirror_pool(mir), cairn_mirror_vol(mir),
			       mir->peer_name);
		}
		mir->role_told = false;
		WRITE_ONCE(mir->role, role);
	}
	spin_unlock_irq(&mir->lock);
	if (r)
		return r;
	if (role == CAIRN_ROLE_SECONDARY) {	/* no new writes; old ones end */
		cairn_held_release(mir, BLK_STS_IOERR);
		/* Reads waiting for a pull: no pull any more, they fail. */
		cairn_readers_redrive(mir);
		wait_event(mir->idle, !READ_ONCE(mir->inflight));
	}
	if (cairn_meta_sync(mir))
		DMERR("%s/%s: the new role could not be written to the pool",
		      kv->kp->name, kv->vol->name);
	DMINFO("%s/%s: now %s", kv->kp->name, kv->vol->name,
	       role == CAIRN_ROLE_PRIMARY ? "primary" : "secondary");
	cairn_mirror_announce(mir);
	if (role == CAIRN_ROLE_PRIMARY)
		queue_work(cairn_mirror_wq, &mir->resync_work);
	cairn_mirror_event(mir, CAIRN_EVENT_ROLE_CHANGED, role);
	return 0;
}

/*
 * Our out-of-sync bits: a secondary's at the handshake; a primary's that
 * pushes, to its secondary once connected.
 */
static int cairn_bitmap_send(struct cairn_mirror *mir, struct cairn_link *link)
{
	struct cairn_wire_msg m;
	u64 first, i, end;
	int r = 0;
	u8 *buf;

	buf = kvmalloc(CAIRN_WIRE_MAX_BITS / 8, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	for (first = 0; first < mir->nr_bits && !r; first = end) {
		end = min_t(u64, mir->nr_bits, first + CAIRN_WIRE_MAX_BITS);
		memset(&m, 0, sizeof(m));
		m.cmd = CAIRN_W_BITMAP;
		m.bitmap.first = first;
		m.bitmap.nbits = end - first;
		m.payload = DIV_ROUND_UP(m.bitmap.nbits, 8);
		memset(buf, 0, m.payload);
		spin_lock_irq(&mir->lock);
		for (i = find_next_bit(mir->oos, end, first); i < end;
		     i = find_next_bit(mir->oos, end, i + 1))
			buf[(i - first) / 8] |= 1U << ((i - first) % 8);
		spin_unlock_irq(&mir->lock);
		mutex_lock(&link->data_tx);
		r = cairn_link_send_msg(link->data, &m, true);
		if (!r)
			r = cairn_link_send(link->data, buf, m.payload, false);
		mutex_unlock(&link->data_tx);
	}
	kvfree(buf);
	return r;
}

/*
 * The primary takes the secondary's bits into its own (at the peer's
 * grain, which may differ from ours): all of them, in order, in time.
 */
static int cairn_bitmap_recv(struct cairn_mirror *mir, struct cairn_link *link,
			     const char **why)
{
	sector_t vol_sectors = mir->kv->vol->size >> SECTOR_SHIFT;
	unsigned int pgs = link->peer.grain_shift - SECTOR_SHIFT;
	u64 nbits = DIV_ROUND_UP_ULL(vol_sectors, 1ULL << pgs), first = 0;
	u8 body[CAIRN_WIRE_BODY_MAX];
	struct cairn_wire_msg m;
	int r = 0;
	u8 *buf;

	buf = kvmalloc(CAIRN_WIRE_MAX_BITS / 8, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	cairn_link_sock_rcvtimeo(link->data, link->timeout_ms);
	while (first < nbits) {
		r = cairn_link_recv_msg(link->data, NULL, &m, body, why);
		if (r)
			break;
		if (m.cmd != CAIRN_W_BITMAP || m.bitmap.first != first ||
		    m.bitmap.nbits != min_t(u64, nbits - first,
					    CAIRN_WIRE_MAX_BITS)) {
			r = cairn_refuse(why, "peer's bitmap is not the one announced", -EPROTO);
			break;
		}
		r = cairn_link_recv(link->data, buf, m.payload);
		if (r)
			break;
		cairn_bitmap_merge(mir, first, m.bitmap.nbits, buf, pgs);
		first += m.bitmap.nbits;
	}
	cairn_link_sock_rcvtimeo(link->data, 0);
	kvfree(buf);
	return r;
}

/*
 * The handshake: HELLOs, the decision (core/handshake.c: the table is
 * there), then the bitmaps it says to move.  Returns 0, or 1 when the
 * sync target may hold anything (every bit), or refused.
 */
static int cairn_handshake(struct cairn_mirror *mir, struct cairn_link *link,
			   const char **why)
{
	struct cairn_kvol *kv = mir->kv;
	u8 body[CAIRN_WIRE_BODY_MAX];
	struct cairn_hs_decision d;
	struct cairn_wire_msg m, me;
	bool pull;
	int r;

	r = cairn_send_hello(mir, link);
	if (r)
		return cairn_refuse(why, "could not send HELLO to the peer", r);
	cairn_link_sock_rcvtimeo(link->data, link->timeout_ms);
	r = cairn_link_recv_msg(link->data, NULL, &m, body, why);
	cairn_link_sock_rcvtimeo(link->data, 0);
	if (r == -EPROTO)
		return r;	/* *why says what was wrong */
	if (r)
		return cairn_refuse(why, r == -EAGAIN ?
				    "no HELLO from the peer in time" :
				    "connection lost during the handshake", r);
	if (m.cmd != CAIRN_W_HELLO)
		return cairn_refuse(why, "peer did not start with HELLO", -EPROTO);
	if (memcmp(m.hello.uuid, kv->vol->uuid, sizeof(m.hello.uuid)))
		return cairn_refuse(why, "peer's volume has another UUID", -EINVAL);
	if (m.hello.size != kv->vol->size)
		return cairn_refuse(why, "peer's volume has another size", -EINVAL);
	link->peer = m.hello;
	spin_lock_irq(&mir->lock);
	cairn_hello_fill(mir, &me);
	spin_unlock_irq(&mir->lock);
	r = cairn_hs_decide(&me.hello, &m.hello, &d);
	if (r)
		return cairn_refuse(why, d.why, r);
	pull = me.hello.role == CAIRN_WIRE_PRIMARY ?
	       me.hello.disk != CAIRN_WIRE_CONSISTENT :
	       m.hello.role == CAIRN_WIRE_PRIMARY &&
	       m.hello.disk != CAIRN_WIRE_CONSISTENT;
	if (pull && m.hello.grain_shift != mir->grain_shift + SECTOR_SHIFT)
		return cairn_refuse(why,
				    "the primary pulls, and the nodes' grains differ (pools of other chunk sizes)",
				    -EINVAL);
	if (d.send_bits && (d.send_first || !d.recv_bits))
		r = cairn_bitmap_send(mir, link);
	if (!r && d.recv_bits)
		r = cairn_bitmap_recv(mir, link, why);
	if (!r && d.send_bits && !d.send_first && d.recv_bits)
		r = cairn_bitmap_send(mir, link);
	if (r == -EPROTO)
		return r;
	if (r)
		return cairn_refuse(why, "connection lost during the bitmap exchange", r);
	if (d.outdate || d.recv_bits) {
		/*
		 * Durable before the link is up: behind the peer, this node
		 * is never promoted on its own again; the bits it took mark
		 * its activity log (every region where it may differ).
		 */
		spin_lock_irq(&mir->lock);
		if (d.outdate && mir->disk == CAIRN_MDISK_CONSISTENT) {
			DMINFO("%s/%s: behind %s, which wrote alone: outdated",
			       kv->kp->name, kv->vol->name, mir->peer_name);
			mir->disk = CAIRN_MDISK_OUTDATED;
		}
		cairn_al_sweep(mir);
		spin_unlock_irq(&mir->lock);
		if (cairn_meta_sync(mir))
			return cairn_refuse(why, "writing the mirror state to the pool failed",
					    -EIO);
	}
	return d.all_bits;
}

/*
 * The handshake, then the link up: connect_work's, outside genl_mutex and
 * kp->lock.  The control calls that change what the handshake looked at
 * (a role, a disconnect, a detach) end it first (cairn_connect_abort()).
 */
static int cairn_link_up(struct cairn_mirror *mir, struct cairn_link *link,
			 const char **why)
{
	struct cairn_kvol *kv = mir->kv;
	bool full, push;
	int r;

	r = cairn_handshake(mir, link, why);
	full = r == 1;
	if (r < 0)
		return r;

	link->data_rx = kthread_create(cairn_data_rx_thread, mir, "cairn_drx");
	if (IS_ERR(link->data_rx))
		return cairn_refuse(why, "could not start the receiver threads",
				    PTR_ERR(link->data_rx));
	link->meta_rx = kthread_create(cairn_meta_rx_thread, mir, "cairn_mrx");
	if (IS_ERR(link->meta_rx)) {
		kthread_stop(link->data_rx);
		return cairn_refuse(why, "could not start the receiver threads",
				    PTR_ERR(link->meta_rx));
	}
	get_task_struct(link->data_rx);
	get_task_struct(link->meta_rx);

	spin_lock_irq(&mir->lock);
	if (link->aborted) {
		spin_unlock_irq(&mir->lock);
		kthread_stop(link->data_rx);
		kthread_stop(link->meta_rx);
		put_task_struct(link->data_rx);
		put_task_struct(link->meta_rx);
		return -ECANCELED;	/* connect_work says why */
	}
	if (full)
		cairn_oos_all(mir);	/* the sync target may hold anything */
	push = mir->role == CAIRN_ROLE_PRIMARY && !cairn_pulling(mir);
	mir->resync_done_sent = !mir->oos_bits && push;
	mir->lack_known = false;
	mir->bm_next = 0;
	mir->alone = false;	/* the next loss needs the witness again */
	/* No resync before the peer has our HELLO (cairn_mirror_tell()). */
	mir->role_told = false;
	link->last_rx = jiffies;
	link->gen = ++mir->link_gen;
	mir->link = link;
	mir->connecting = NULL;
	spin_unlock_irq(&mir->lock);
	wake_up_process(link->data_rx);
	wake_up_process(link->meta_rx);

	DMINFO("%s/%s: connected to %s as %s", kv->kp->name, kv->vol->name,
	       mir->peer_name,
	       mir->role == CAIRN_ROLE_PRIMARY ? "primary" : "secondary");
	/*
	 * Our bitmap, now decided: the secondary learns whether it is in
	 * sync, and from a primary that pushes, all it may lack.
	 */
	cairn_mirror_tell(mir, push);
	queue_delayed_work(cairn_mirror_wq, &mir->ping_work,
			   msecs_to_jiffies(link->ping_ms));
	queue_work(cairn_mirror_wq, &mir->resync_work);
	cairn_mirror_event(mir, CAIRN_EVENT_LINK_UP, CAIRN_LINK_CONNECTED);
	return 0;
}

#define CAIRN_ABORTED_WHY \
	"handshake ended: the volume changed under it (disconnect, role change or detach)"

static void cairn_connect_work(struct work_struct *w)
{
	struct cairn_mirror *mir = container_of(w, struct cairn_mirror,
						connect_work);
	struct cairn_link *link = mir->connecting;
	const char *why = NULL;
	int r;

	r = cairn_link_up(mir, link, &why);
	spin_lock_irq(&mir->lock);
	if (r && link->aborted) {	/* whatever failed, this is why */
		r = -ECANCELED;
		why = CAIRN_ABORTED_WHY;
	}
	mir->connecting = NULL;
	mir->connect_done = mir->connect_seq;
	mir->connect_err = r;
	mir->connect_why = r ? why ?: "refused" : NULL;
	spin_unlock_irq(&mir->lock);
	if (!r)
		return;
	DMERR("%s/%s: link to %s refused: %s", cairn_mirror_pool(mir),
	      cairn_mirror_vol(mir), mir->peer_name, why ?: "refused");
	cairn_mirror_event(mir, CAIRN_EVENT_LINK_REFUSED, -r);
	sockfd_put(link->meta);
	sockfd_put(link->data);
	cairn_link_free(link);
}

/*
 * End a handshake under way, and wait for its work: its sockets shut down,
 * every wait of it ends at once (kp->lock held, so no new one starts).
 */
static void cairn_connect_abort(struct cairn_mirror *mir)
{
	struct file *data = NULL, *meta = NULL;

	spin_lock_irq(&mir->lock);
	if (mir->connecting) {
		mir->connecting->aborted = true;
		data = get_file(mir->connecting->data->file);
		meta = get_file(mir->connecting->meta->file);
	}
	spin_unlock_irq(&mir->lock);
	if (data) {
		kernel_sock_shutdown(sock_from_file(data), SHUT_RDWR);
		kernel_sock_shutdown(sock_from_file(meta), SHUT_RDWR);
		fput(meta);
		fput(data);
	}
	flush_work(&mir->connect_work);
}

/*
 * MIRROR_CONNECT: take the sockets and start the handshake (kp->lock
 * held); connect_seq numbers the attempt, whose result VOLUME_GET shows
 * (connect_done, connect_err, connect_why) and an event (LINK_UP or
 * LINK_REFUSED) announces.
 */
int cairn_mirror_connect(struct cairn_kvol *kv, int data_fd, int meta_fd,
			 unsigned int ping_ms, unsigned int timeout_ms,
			 const char **why)
{
	struct cairn_mirror *mir = kv->mir;
	struct cairn_link *link;

	if (!mir)
		return cairn_refuse(why, "volume is not mirrored", -EINVAL);
	flush_work(&mir->down_work);	/* a link still being torn down */
	if (mir->link)
		return cairn_refuse(why, "volume is already connected to its peer",
				    -EBUSY);
	if (READ_ONCE(mir->connecting))
		return cairn_refuse(why, "a handshake with the peer is already under way",
				    -EBUSY);
	if (data_fd == meta_fd)
		return cairn_refuse(why, "data and meta sockets must differ", -EINVAL);
	link = kzalloc(sizeof(*link), GFP_KERNEL);
	if (link)
		link->tx_hdr = alloc_page(GFP_KERNEL);
	if (!link || !link->tx_hdr) {
		kfree(link);
		return cairn_refuse(why, "out of memory", -ENOMEM);
	}
	mutex_init(&link->data_tx);
	mutex_init(&link->meta_tx);
	link->ping_ms = ping_ms;
	link->timeout_ms = timeout_ms;
	link->data = cairn_link_sock_get(data_fd, why);
	if (!link->data)
		goto out_free;
	link->meta = cairn_link_sock_get(meta_fd, why);
	if (!link->meta)
		goto out_put_data;
	cairn_link_sock_setup(link->data, timeout_ms);
	cairn_link_sock_setup(link->meta, timeout_ms);

	spin_lock_irq(&mir->lock);
	mir->connecting = link;
	mir->connect_seq++;
	spin_unlock_irq(&mir->lock);
	queue_work(system_unbound_wq, &mir->connect_work);
	return 0;

out_put_data:
	sockfd_put(link->data);
out_free:
	cairn_link_free(link);
	return -EINVAL;
}

void cairn_mirror_disconnect(struct cairn_kvol *kv)
{
	struct cairn_mirror *mir = kv->mir;

	if (!mir)
		return;
	/* A link up (its work may still be telling the peer our bitmap)... */
	cairn_link_fail(mir, -ECONNABORTED);
	/* ...a handshake, and a link it brought up meanwhile. */
	cairn_connect_abort(mir);
	cairn_link_fail(mir, -ECONNABORTED);
	flush_work(&mir->down_work);
}

/* Make @kv a plain volume again: no table uses it (kp->lock held). */
void cairn_mirror_destroy(struct cairn_kvol *kv)
{
	struct cairn_mirror *mir = kv->mir;

	if (!mir)
		return;
	/*
	 * Everything written made durable on both nodes while the link is up:
	 * the slot need not keep regions as unflushed on the peer.
	 */
	if (READ_ONCE(mir->role) == CAIRN_ROLE_PRIMARY && mir->link)
		cairn_mirror_flush(mir);
	cairn_mirror_disconnect(kv);
	WRITE_ONCE(kv->mir, NULL);
	cairn_held_release(mir, BLK_STS_IOERR);
	wait_event(mir->idle, !READ_ONCE(mir->inflight));
	cancel_delayed_work_sync(&mir->lease_work);
	cancel_work_sync(&mir->unhold_work);
	cancel_work_sync(&mir->synced_work);
	cancel_work_sync(&mir->redrive_work);
	cancel_work_sync(&mir->resync_work);
	cancel_delayed_work_sync(&mir->rs_delay);
	cancel_work_sync(&mir->send_work);
	flush_work(&mir->ack_work);
	cancel_delayed_work_sync(&mir->ping_work);
	cancel_delayed_work_sync(&mir->sweep_work);
	/*
	 * Nothing in flight: the slot keeps what is out of sync, and what
	 * may not be durable on the peer.
	 */
	spin_lock_irq(&mir->lock);
	bitmap_zero(mir->al_hot, mir->nr_regions);
	cairn_al_sweep(mir);
	spin_unlock_irq(&mir->lock);
	if (cairn_meta_sync(mir))
		DMERR("%s/%s: mirror state not written at detach (the last one stands)",
		      kv->kp->name, kv->vol->name);
	cairn_mirror_free(mir);
}

/* Make @kv a plain volume again, and free its slot (kp->lock held). */
static int cairn_mirror_forget(struct cairn_kvol *kv, const char **why)
{
	struct cairn_pool *core = kv->kp->core;
	int slot = kv->mir->mslot, r;
	struct page *page;

	cairn_mirror_destroy(kv);
	page = alloc_page(GFP_KERNEL);
	if (!page)
		return cairn_refuse(why, "out of memory", -ENOMEM);
	r = cairn_kpool_meta_write(kv->kp, page,
				   cairn_mmeta_next(core, slot, NULL,
						    page_address(page)));
	__free_page(page);
	if (r)
		return cairn_refuse(why, "freeing the volume's mirror slot failed", r);
	cairn_mmeta_done(core, slot, NULL);
	cairn_mmeta_release(core, slot);
	return 0;
}

static u32 cairn_mirror_link_state(struct cairn_mirror *mir)
{
	if (!mir->link && mir->connecting)
		return CAIRN_LINK_CONNECTING;
	if (!mir->link || mir->link->dead)
		return CAIRN_LINK_STANDALONE;
	if (cairn_pulling(mir))
		return CAIRN_LINK_SYNC_TARGET;
	if (mir->role == CAIRN_ROLE_SECONDARY &&
	    mir->disk == CAIRN_MDISK_CONSISTENT &&
	    mir->link->peer.role == CAIRN_WIRE_PRIMARY &&
	    mir->link->peer.disk != CAIRN_WIRE_CONSISTENT)
		return CAIRN_LINK_SYNC_SOURCE;
	if (mir->role == CAIRN_ROLE_PRIMARY && mir->oos_bits)
		return CAIRN_LINK_SYNC_SOURCE;
	if (mir->role == CAIRN_ROLE_SECONDARY &&
	    mir->disk != CAIRN_MDISK_CONSISTENT)
		return CAIRN_LINK_SYNC_TARGET;
	return CAIRN_LINK_CONNECTED;
}

/*
 * Connected and in sync: the peer's RAM holds what this node's does, so
 * a RAM cache in flush=mirror may acknowledge from RAM (cairn_cache.c).
 */
bool cairn_mirror_in_sync(struct cairn_kvol *kv)
{
	struct cairn_mirror *mir = READ_ONCE(kv->mir);
	unsigned long flags;
	bool ok;

	if (!mir)
		return false;
	spin_lock_irqsave(&mir->lock, flags);
	ok = cairn_mirror_link_state(mir) == CAIRN_LINK_CONNECTED;
	spin_unlock_irqrestore(&mir->lock, flags);
	return ok;
}

/* The mirror's state into a VOLUME_GET reply (registry lock held). */
int cairn_mirror_fill(struct sk_buff *msg, struct cairn_kvol *kv)
{
	struct cairn_mirror *mir = kv->mir;
	u32 role, disk, link, peer_role = 0, peer_disk = 0, grain, lease, held;
	u32 cseq, cdone;
	u64 oos, sent, resynced, activity;
	u64 tx_batches, tx_msgs, tx_rides, tx_copied;
	const char *cwhy;
	bool alone, up;
	int cerr;
	struct nlattr *nest;

	if (!mir)
		return 0;
	spin_lock_irq(&mir->lock);
	role = mir->role;
	disk = mir->disk;
	link = cairn_mirror_link_state(mir);
	up = link != CAIRN_LINK_STANDALONE && link != CAIRN_LINK_CONNECTING;
	if (up) {
		peer_role = mir->link->peer.role;
		peer_disk = mir->link->peer.disk;
	}
	grain = 1U << (mir->grain_shift + SECTOR_SHIFT);
	oos = min(mir->oos_bits << (mir->grain_shift + SECTOR_SHIFT),
		  kv->vol->size);
	sent = mir->sent_bytes;
	resynced = mir->resynced_bytes;
	tx_batches = mir->tx_batches;
	tx_msgs = mir->tx_msgs;
	tx_rides = mir->tx_rides;
	tx_copied = mir->tx_copied;
	lease = !mir->quorum ? 0 : time_before(jiffies, mir->lease_end) ? 1 : 2;
	alone = mir->alone;
	held = mir->nr_held;
	activity = min((u64)bitmap_weight(mir->al_disk, mir->nr_regions) <<
		       (mir->region_shift + SECTOR_SHIFT), kv->vol->size);
	cseq = mir->connect_seq;
	cdone = mir->connect_done;
	cerr = mir->connect_err;
	cwhy = mir->connect_why;
	spin_unlock_irq(&mir->lock);

	nest = nla_nest_start(msg, CAIRN_ATTR_MIRROR);
	if (!nest ||
	    nla_put_u32(msg, CAIRN_MIRROR_ROLE, role) ||
	    nla_put_string(msg, CAIRN_MIRROR_PEER, mir->peer_name) ||
	    nla_put_u32(msg, CAIRN_MIRROR_LINK, link) ||
	    nla_put_u32(msg, CAIRN_MIRROR_DISK, disk) ||
	    (up && (nla_put_u32(msg, CAIRN_MIRROR_PEER_ROLE, peer_role) ||
		    nla_put_u32(msg, CAIRN_MIRROR_PEER_DISK, peer_disk))) ||
	    nla_put_u64_64bit(msg, CAIRN_MIRROR_OOS, oos, CAIRN_MIRROR_PAD) ||
	    nla_put_u32(msg, CAIRN_MIRROR_GRAIN, grain) ||
	    nla_put_u64_64bit(msg, CAIRN_MIRROR_SENT, sent, CAIRN_MIRROR_PAD) ||
	    nla_put_u64_64bit(msg, CAIRN_MIRROR_RESYNCED, resynced,
			      CAIRN_MIRROR_PAD) ||
	    nla_put_u32(msg, CAIRN_MIRROR_LEASE, lease) ||
	    nla_put_u32(msg, CAIRN_MIRROR_ALONE, alone) ||
	    nla_put_u32(msg, CAIRN_MIRROR_HELD, held) ||
	    nla_put_u64_64bit(msg, CAIRN_MIRROR_ACTIVITY, activity,
			      CAIRN_MIRROR_PAD) ||
	    nla_put_u32(msg, CAIRN_MIRROR_CONNECT_SEQ, cseq) ||
	    nla_put_u32(msg, CAIRN_MIRROR_CONNECT_DONE, cdone) ||
	    nla_put_u32(msg, CAIRN_MIRROR_CONNECT_ERR, -cerr) ||
	    (cwhy && nla_put_string(msg, CAIRN_MIRROR_CONNECT_WHY, cwhy)) ||
	    nla_put_u64_64bit(msg, CAIRN_MIRROR_TX_BATCHES, tx_batches,
			      CAIRN_MIRROR_PAD) ||
	    nla_put_u64_64bit(msg, CAIRN_MIRROR_TX_MESSAGES, tx_msgs,
			      CAIRN_MIRROR_PAD) ||
	    nla_put_u64_64bit(msg, CAIRN_MIRROR_TX_RIDES, tx_rides,
			      CAIRN_MIRROR_PAD) ||
	    nla_put_u64_64bit(msg, CAIRN_MIRROR_TX_COPIED, tx_copied,
			      CAIRN_MIRROR_PAD))
		return -EMSGSIZE;
	nla_nest_end(msg, nest);
	return 0;
}

int __init cairn_mirror_init(void)
{
	int r;

	cairn_mirror_wq = alloc_workqueue("cairn_mirror",
					  WQ_MEM_RECLAIM | WQ_UNBOUND, 0);
	if (!cairn_mirror_wq)
		return -ENOMEM;
	r = bioset_init(&cairn_mirror_bs, BIO_POOL_SIZE, 0, 0);
	if (r)
		destroy_workqueue(cairn_mirror_wq);
	return r;
}

void cairn_mirror_exit(void)
{
	bioset_exit(&cairn_mirror_bs);
	destroy_workqueue(cairn_mirror_wq);
}
