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
#include <linux/percpu-refcount.h>
#include <linux/mempool.h>
#include <linux/rwsem.h>
#include <linux/completion.h>

#include <linux/interval_tree.h>
#include <linux/llist.h>

#include "core/names.h"
#include "core/pool.h"
#include "core/wire.h"
#include "uapi/cairn_nl.h"

#define DM_MSG_PREFIX "cairn"

/* The release, from the VERSION file (kmod/Kbuild passes it). */
#ifndef CAIRN_VERSION
#error "CAIRN_VERSION is not defined: build with kmod/Kbuild"
#endif
#define CAIRN_MODULE_VERSION CAIRN_VERSION

#define CAIRN_TARGET_MAJOR 0
#define CAIRN_TARGET_MINOR 4
#define CAIRN_TARGET_PATCH 0

/* The largest discard the target takes at once (dm splits larger ones). */
#define CAIRN_MAX_DISCARD_SECTORS ((256U << 20) >> SECTOR_SHIFT)

/*
 * In-flight accounting ("deferred set", dm-thin's all_io_ds, on per-CPU
 * counters): I/O enters the live epoch before it looks a chunk up and exits
 * when it completes; cairn_inflight_drain() returns once every I/O that
 * entered before the call has exited.  See cairn_volume.c.
 */
struct cairn_inflight {
	struct percpu_ref ref[2];
	unsigned int cur;		/* the live epoch */
	struct mutex drain_lock;	/* one drain (epoch flip) at a time */
	struct completion drained[2];
};

#define CAIRN_EPOCH_NONE 0xff

/*
 * A volume of an assembled pool: owned by the pool (made when the pool is
 * opened or the volume created, freed when it is deleted or the pool
 * closed), used by zero or more device-mapper tables and, later, by the
 * mirror, the cache and resync through cairn_vol_map().
 */
struct cairn_kvol {
	struct list_head list;		/* in cairn_kpool.vols */
	struct cairn_kpool *kp;
	struct cairn_volume *vol;	/* the core's volume */
	unsigned int users;		/* tables; under kp->lock */
	struct list_head tables;	/* struct cairn_ktable, under kp->lock */
	struct cairn_inflight inflight;
	struct mutex map_lock;		/* serialises map node reservations */
	bool requeue;			/* noflush suspend: park -> requeue */
	bool suspending;		/* flush suspend: park -> fail */
	struct cairn_mirror *mir;	/* set under kp->lock; NULL: plain */
	struct cairn_vcache *cache;	/* the RAM cache; NULL: none */
	struct work_struct cache_off;	/* turns it off: cairn_cache.c */
};

/* A device-mapper table using a volume: its holder links to the members. */
struct cairn_ktable {
	struct list_head list;		/* in cairn_kvol.tables */
	struct dm_target *ti;
	unsigned int nr_linked;		/* members 0..nr_linked-1 linked */
};

/*
 * Per-I/O state of the volume layer, in storage the caller provides (dm's
 * per-bio data for tables).
 */
struct cairn_io {
	struct cairn_kvol *kv;
	struct bio *bio;
	struct cairn_io *next;		/* in a list of deferred I/O */
	struct work_struct work;
	unsigned long queued;		/* jiffies, when waiting for space */
	u64 vchunk;
	u64 pchunk;			/* where a new chunk went */
	u32 member;			/* remapped to; U32_MAX if not */
	u8 epoch;			/* CAIRN_EPOCH_NONE when not entered */
	u8 state;			/* where it is on its path */
	atomic_t pending;		/* parts of a provision in flight */
	blk_status_t status;		/* of those parts */
	u64 discard_pos;		/* next chunk of a discard, in sectors */
	/* The cache's (cairn_cache.c), before and after the thin map. */
	struct cairn_vcache *vc;
	struct bvec_iter citer;		/* a read's range, for its completion */
	u64 cgen;			/* a read: bypass_gen; a flush: its wseq */
	u64 cwseq;			/* a read: wseq when it went below */
	u8 cache;			/* CAIRN_CIO_* */
};

/*
 * The mirror (cairn_mirror.c; the essay is there).  A mirrored write, a
 * flush, or a resync transfer: joined from a local and a remote half.
 * Host I/O finds it in dm's per-bio data.
 */
struct sk_buff;

struct cairn_mreq {
	struct cairn_io io;		/* dm's, for I/O the mirror passes on */
	struct cairn_io lio;		/* the local half's (a clone) */
	struct cairn_mirror *mir;
	struct bio *master;		/* the host's bio, or resync's read */
	struct bio *clone;		/* the local half, until started */
	struct bvec_iter iter;		/* master's data, before any remap */
	struct interval_tree_node it;	/* sectors; in mir->writes */
	struct list_head list;		/* conflicts, sendq or sent */
	unsigned long sent_at;		/* jiffies */
	u32 seq;			/* cookie on the wire */
	u32 link_gen;			/* resync, pull, serve: its link's */
	u32 wflags;			/* CAIRN_WF_* */
	u16 cmd;			/* CAIRN_W_DATA or CAIRN_W_FLUSH */
	u8 kind;			/* enum cairn_mreq_kind */
	bool in_tree;
	bool epoch;			/* a flush that ends an epoch */
	bool remote_ok;			/* the peer has it */
	atomic_t pending;		/* halves (and a sender) not done */
	blk_status_t local;		/* the local half's status */
};

#define CAIRN_LINK_TX_VECS	64

/* A batch being sent on a socket (cairn_link_tx_begin()). */
#define CAIRN_TX_HELD	16
struct cairn_tx {
	struct socket *sock;
	struct bio_vec *vecs;		/* bytes to copy, in order */
	unsigned int nv, max;
	size_t len;			/* in vecs */
	struct bio_vec page;		/* a page to send by reference, next */
	struct page_frag_cache *frags;	/* for the headers */
	void *held[CAIRN_TX_HELD];	/* pieces of frags sent */
	unsigned int nheld;
	unsigned int noio;		/* memalloc_noio_save() */
	int error;
	size_t copied;			/* bytes that went through vecs */
};

/* Bytes received and not yet taken (the meta socket's receiver). */
struct cairn_rxbuf {
	unsigned int head, tail;
	u8 buf[512];
};

/* The link's sockets and threads, while connected. */
struct cairn_link {
	struct socket *data;		/* DATA, FLUSH, HELLO */
	struct socket *meta;		/* acks and pings */
	struct task_struct *data_rx, *meta_rx;
	struct mutex data_tx, meta_tx;	/* one sender per socket */
	struct page *tx_hdr;		/* the sender's batch: headers */
	struct bio_vec tx_vec[CAIRN_LINK_TX_VECS]; /* and its copies */
	struct page_frag_cache tx_frags; /* headers sent by reference */
	struct cairn_rxbuf meta_rb;	/* the meta receiver's */
	unsigned long last_rx;		/* jiffies of the last message */
	unsigned int ping_ms, timeout_ms;
	struct cairn_wire_hello peer;	/* the peer's last HELLO */
	u32 gen;			/* mir->link_gen when it came up */
	bool dead;			/* under mir->lock */
	bool aborted;			/* handshake: under mir->lock */
	unsigned int busy;		/* control senders; under mir->lock */
	int error;
};

struct cairn_mirror {
	struct cairn_kvol *kv;
	char peer_name[CAIRN_NAME_LEN + 1];
	spinlock_t lock;		/* everything below */
	u32 role;			/* enum cairn_mirror_role */
	u32 disk;			/* enum cairn_mirror_disk */
	struct cairn_link *link;	/* NULL while standalone */
	u32 link_gen;			/* links brought up so far */
	/*
	 * MIRROR_CONNECT hands its sockets to connect_work, which runs the
	 * handshake outside genl_mutex and kp->lock: connecting is that
	 * link until it is up or refused.  connect_seq numbers the requests
	 * taken, connect_done is the last one finished, with its result
	 * (0 or a negative errno) and reason (a literal).
	 */
	struct cairn_link *connecting;
	u32 connect_seq, connect_done;
	int connect_err;
	const char *connect_why;
	struct work_struct connect_work;
	struct rb_root_cached writes;	/* struct cairn_mreq in flight */
	struct list_head conflicts;	/* waiting for an overlapping one */
	struct list_head sendq;		/* to send, in seq order */
	struct list_head sent;		/* waiting for their ack */
	unsigned int nr_sent;		/* on sent, acked on meta */
	u32 seq;
	unsigned int inflight;		/* mreqs and peer requests */
	wait_queue_head_t idle;		/* inflight reached zero */
	unsigned long *oos;		/* out-of-sync bitmap */
	u64 nr_bits;
	u64 oos_bits;			/* set bits */
	unsigned int grain_shift;	/* sectors per bit, log2 */
	/*
	 * Data generations (DRBD's UUIDs): gen_current names what this
	 * node's data is (0: unknown); gen_bitmap the generation the bitmap
	 * counts from (0: none).  See "Generations" in cairn_mirror.c.
	 */
	u64 gen_current, gen_bitmap;
	bool gen_acked;			/* a write of gen_current acknowledged alone */
	u64 gen_history[2];		/* earlier gen_bitmaps, newest first */
	/*
	 * The persistent state (the pool's mirror area; see "Persistence"
	 * in cairn_mirror.c): a dirty region is 2^region_shift sectors.
	 */
	int mslot;
	unsigned int region_shift;
	u32 nr_regions;
	unsigned long *al;		/* regions durable as dirty */
	unsigned long *al_want;		/* regions writes wait for */
	unsigned long *al_hot;		/* written since the last sweep */
	unsigned long *al_disk;		/* regions dirty in the slot */
	unsigned long *al_next;		/* the meta worker's */
	/*
	 * Regions written since the last flush both nodes completed: the
	 * current epoch, and the one an epoch flush is making durable.
	 */
	unsigned long *unflushed[2];
	unsigned int uf_cur;
	bool uf_flushing;
	struct list_head al_wait;	/* writes waiting for al_want */
	u64 gen_durable;		/* gen_current as last written */
	bool slot_volatile;		/* the slot says: consistent only in RAM */
	bool meta_stale;		/* state to write */
	bool meta_failed;		/* a write failed: writes fail */
	struct mutex meta_mutex;	/* the slot's one writer */
	struct cairn_mirror_meta *meta;	/* meta_mutex: what is written */
	struct page *meta_page;
	struct work_struct meta_work;
	struct delayed_work sweep_work;
	u64 resync_pos;			/* next bit to look at */
	unsigned int resync_busy;	/* resync transfers in flight */
	bool resync_done_sent;
	u64 sent_bytes, resynced_bytes, demand_pulls;
	u64 tx_batches, tx_msgs, tx_rides, tx_copied;	/* the sender's */
	unsigned long rs_next;		/* jiffies: the rate's next transfer */
	/*
	 * A sync target learns what it lacks from its source (BITMAP after
	 * the connect): until all of it arrived (bm_next is the next bit
	 * expected, at the peer's grain) it can not be promoted to pull.
	 */
	bool lack_known;
	u64 bm_next;
	bool role_told;			/* the peer has a HELLO with our role */
	struct list_head readers;	/* pulling primary: reads waiting */
	/*
	 * cairnd's quorum (MIRROR_QUORUM; see "Leases" in cairn_mirror.c):
	 * a lease until lease_end, writes the peer did not get held until
	 * the peer is outdated (alone).
	 */
	bool quorum, alone;
	unsigned long lease_end;
	struct list_head held;
	unsigned int nr_held;
	u64 held_gen;			/* writes held so far */
	struct work_struct unhold_work;
	struct delayed_work lease_work;
	struct llist_head acks;		/* secondary: completed, to ack */
	struct work_struct send_work, ack_work, redrive_work, resync_work,
			   down_work, synced_work;
	struct delayed_work ping_work, rs_delay;
};

/* A simple FIFO of struct cairn_io. */
struct cairn_io_list {
	struct cairn_io *head, *tail;
};

#define CAIRN_CELL_BUCKETS 256

/* A (volume, chunk) being provisioned or discarded, and who waits on it. */
struct cairn_cell {
	struct hlist_node node;
	struct cairn_kvol *kv;
	u64 vchunk;
	struct cairn_io_list waiters;
};

struct cairn_cell_bucket {
	spinlock_t lock;		/* protects head and its cells */
	struct hlist_head head;
};

#define CAIRN_EVQ_LEN 16

struct cairn_kevent_rec {
	u32 type;			/* CAIRN_EVENT_* of the uapi */
	u64 value;
	u64 capacity;			/* bytes */
	u64 allocated;			/* bytes */
};

/*
 * An assembled pool: the core's pool plus the block devices it sits on.
 * Locking (see the essay at the top of cairn_volume.c):
 *   @lock      control operations (netlink), one at a time;
 *   @txn_sem   read: data-path steps on the core and the group commit;
 *              write: exclusive core calls (control operations, checkpoint);
 *   @meta_lock the core's RAM state, inside a read-held @txn_sem;
 *   @bio_lock  the deferred lists.
 */
struct cairn_kpool {
	struct list_head list;		/* in cairn_registry.pools */
	char name[CAIRN_NAME_LEN + 1];
	struct mutex lock;		/* control operations */
	struct rw_semaphore txn_sem;	/* data path vs exclusive core calls */
	spinlock_t meta_lock;		/* the core's RAM state (data path) */
	struct cairn_pool *core;
	unsigned int nr_devs;
	struct block_device *bdev[CAIRN_MAX_MEMBERS];
	char *path[CAIRN_MAX_MEMBERS];
	struct page *io_page;		/* bounce page for metadata I/O */
	unsigned int nr_volumes_open;	/* volumes with users */
	struct list_head vols;		/* struct cairn_kvol, under lock */

	/*
	 * The commit worker (ordered): group commits for flushes, FUA writes
	 * and provisions that found the transaction full; checkpoints.
	 */
	struct workqueue_struct *wq;
	struct work_struct commit_work;
	struct delayed_work nospace_timer;
	struct work_struct event_work;
	spinlock_t bio_lock;		/* protects the lists below */
	struct cairn_io_list flushes;	/* empty flushes */
	struct cairn_io_list after_commit;	/* run once a commit is durable */
	struct cairn_io_list nospace;	/* waiting for free space */
	unsigned long dirty;		/* written since the last commit */
	bool committing;		/* a group commit is on its way */
	bool commit_wanted;		/* frees wait for a commit */
	atomic_t member_errors[CAIRN_MAX_MEMBERS];
	/*
	 * The core's events raised under meta_lock (a spinlock: no netlink
	 * message can be allocated there) wait here for event_work.
	 */
	bool defer_events;		/* under meta_lock */
	spinlock_t ev_lock;		/* protects evq, evq_n, evq_dropped */
	struct cairn_kevent_rec evq[CAIRN_EVQ_LEN];
	unsigned int evq_n;
	unsigned int evq_dropped;
	u64 __percpu *counters;		/* enum cairn_counter */
	struct bio_set bs;		/* clones for writes to new chunks */
	mempool_t *cell_pool;
	struct cairn_cell_bucket cells[CAIRN_CELL_BUCKETS];
	unsigned int chunk_shift;	/* in sectors */
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
void cairn_kpool_lock(struct cairn_kpool *kp);
void cairn_kpool_unlock(struct cairn_kpool *kp);

/* Pool internals used by the volume layer (cairn_pool.c). */
void cairn_kpool_member_error(struct cairn_kpool *kp, u32 member);
void cairn_kpool_after_commit(struct cairn_kpool *kp, struct cairn_io *io);
void cairn_kpool_flush(struct cairn_kpool *kp, struct cairn_io *io);
void cairn_kpool_space_changed(struct cairn_kpool *kp);
void cairn_kpool_space_freed(struct cairn_kpool *kp);
void cairn_kpool_park(struct cairn_kpool *kp, struct cairn_io *io);
bool cairn_kpool_park_behind(struct cairn_kpool *kp, struct cairn_io *io);
u64 cairn_kpool_counter(struct cairn_kpool *kp, enum cairn_counter c);
const char *cairn_mode_name(enum cairn_mode mode);

void cairn_meta_lock(struct cairn_kpool *kp) __acquires(&kp->meta_lock);
void cairn_meta_unlock(struct cairn_kpool *kp) __releases(&kp->meta_lock);

static inline void cairn_count(struct cairn_kpool *kp, enum cairn_counter c)
{
	this_cpu_inc(kp->counters[c]);
}

static inline void cairn_io_list_add(struct cairn_io_list *l,
				     struct cairn_io *io)
{
	io->next = NULL;
	if (l->tail)
		l->tail->next = io;
	else
		l->head = io;
	l->tail = io;
}

static inline struct cairn_io *cairn_io_list_take(struct cairn_io_list *l)
{
	struct cairn_io *io = l->head;

	l->head = NULL;
	l->tail = NULL;
	return io;
}

/* The volume layer (cairn_volume.c). */
int cairn_kvol_add(struct cairn_kpool *kp, struct cairn_volume *vol);
void cairn_kvol_del(struct cairn_kvol *kv);
struct cairn_kvol *cairn_kvol_find(struct cairn_kpool *kp, const char *name);
int cairn_kvols_init(struct cairn_kpool *kp, const char **why);

/*
 * The volume's entry point.  @bio is volume-relative; @io is the caller's
 * storage for the I/O's state until cairn_vol_end_io().  Returns
 * DM_MAPIO_REMAPPED (the caller submits @bio, now aimed at a member) or
 * DM_MAPIO_SUBMITTED (the volume completes it), or DM_MAPIO_KILL.  Never
 * sleeps.
 */
int cairn_vol_map(struct cairn_kvol *kv, struct bio *bio, struct cairn_io *io);
/* The same, below the cache (cairn_volume.c). */
int cairn_thin_map(struct cairn_kvol *kv, struct bio *bio, struct cairn_io *io);
void cairn_vol_end_io(struct cairn_io *io, blk_status_t *err);
int cairn_vol_attach(struct cairn_kvol *kv, struct dm_target *ti);
void cairn_vol_detach(struct cairn_kvol *kv, struct dm_target *ti);
void cairn_kvols_link_members(struct cairn_kpool *kp);
void cairn_vol_presuspend(struct cairn_kvol *kv, bool noflush);
void cairn_vol_resume(struct cairn_kvol *kv);
void cairn_vol_resubmit(struct cairn_io *io);	/* after a commit/space */
void cairn_vol_dispatch(struct bio *bio, int r);
void cairn_vol_end(struct cairn_io *io, blk_status_t status);

int cairn_volume_init(void);
void cairn_volume_exit(void);

/* The RAM cache (cairn_cache.c); control calls under kp->lock. */
void cairn_cache_end_io(struct cairn_io *io, blk_status_t status);
bool cairn_cache_durable(struct cairn_kvol *kv);
bool cairn_cache_mirror_ram(struct cairn_kvol *kv);
bool cairn_vol_holds(struct cairn_kvol *kv, sector_t start, sector_t last);
void cairn_cache_link_changed(struct cairn_kvol *kv);
int cairn_cache_set(struct cairn_kvol *kv, u32 mode, int flush, u32 cutoff,
		    bool has_cutoff, const char **why);
void cairn_cache_off_work(struct work_struct *work);
void cairn_cache_destroy(struct cairn_kvol *kv);
bool cairn_cache_busy(struct cairn_kvol *kv);
int cairn_cache_close_pool(struct cairn_kpool *kp, const char **why);
int cairn_cache_budget(u64 bytes, const char **why);
int cairn_cache_fill(struct sk_buff *msg, struct cairn_kvol *kv);
int cairn_cache_fill_node(struct sk_buff *msg);
int cairn_cache_init(void);
void cairn_cache_exit(void);

/* The mirror (cairn_mirror.c); control calls under kp->lock. */
bool cairn_mirror_in_sync(struct cairn_kvol *kv);
int cairn_mirror_map(struct cairn_kvol *kv, struct bio *bio,
		     struct cairn_mreq *mr);
void cairn_mirror_end_io(struct cairn_mreq *mr, blk_status_t *err);
int cairn_mirror_set(struct cairn_kvol *kv, u32 role, const char *peer,
		     bool force, const char **why);
int cairn_mirror_quorum(struct cairn_kvol *kv, bool quorum, u32 lease_ms,
			int alone, const char **why);
int cairn_mirror_connect(struct cairn_kvol *kv, int data_fd, int meta_fd,
			 unsigned int ping_ms, unsigned int timeout_ms,
			 const char **why);
void cairn_mirror_disconnect(struct cairn_kvol *kv);
void cairn_mirror_destroy(struct cairn_kvol *kv);
int cairn_mirror_restore(struct cairn_kvol *kv, const char **why);
int cairn_mirror_fill(struct sk_buff *msg, struct cairn_kvol *kv);
int cairn_mirror_init(void);
void cairn_mirror_exit(void);

/* Write one block of the metadata member with FUA, through @page. */
int cairn_kpool_meta_write(struct cairn_kpool *kp, struct page *page,
			   u64 block);

/* Its sockets (cairn_link.c). */
struct socket *cairn_link_sock_get(int fd, const char **why);
void cairn_link_sock_setup(struct socket *sock, unsigned int timeout_ms);
bool cairn_link_sock_pending(struct socket *sock);
void cairn_link_sock_rcvtimeo(struct socket *sock, unsigned int ms);
int cairn_link_send(struct socket *sock, const void *buf, size_t len,
		    bool more);
void cairn_link_sock_abort(struct socket *sock);
void cairn_link_tx_begin(struct cairn_tx *tx, struct socket *sock,
			 struct bio_vec *vecs, unsigned int max,
			 struct page_frag_cache *frags);
void cairn_link_tx_bytes(struct cairn_tx *tx, const void *buf,
			 unsigned int len);
void cairn_link_tx_page(struct cairn_tx *tx, const struct bio_vec *bv);
int cairn_link_tx_end(struct cairn_tx *tx, bool more);
void cairn_link_frags_drain(struct page_frag_cache *frags);
int cairn_link_recv(struct socket *sock, void *buf, size_t len);
int cairn_link_recv_msg(struct socket *sock, struct cairn_rxbuf *rb,
			struct cairn_wire_msg *m, void *body, const char **why);
int cairn_link_send_msg(struct socket *sock, const struct cairn_wire_msg *m,
			bool more);

/* Netlink events (cairn_netlink.c). */
void cairn_nl_event(const char *pool, u32 event, u64 value, u64 capacity,
		    u64 allocated);
void cairn_nl_vol_event(const char *pool, const char *volume, u32 event,
			u64 value);

int cairn_target_init(void);
void cairn_target_exit(void);

int cairn_netlink_init(void);
void cairn_netlink_exit(void);

#endif /* CAIRN_H */
