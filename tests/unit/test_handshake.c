// SPDX-License-Identifier: GPL-2.0
/*
 * The mirror's handshake (kmod/core/handshake.c) against a model of two
 * nodes, every event sequence up to a depth (breadth first, each state
 * once).  A node is its role, data state, generations, out-of-sync bits
 * and activity log per block, and what each block holds: a write id whose
 * parent is the write it overwrote, so "holds write w" is "w is an
 * ancestor of what the block holds".  What the model does at each event
 * is what cairn_mirror.c does (named at each case); the decisions at a
 * connect and at a promotion while connected are the core's own code.
 *
 * Each block also has what a crash leaves of it (its members' volatile
 * caches and the RAM cache are lost), and a node the regions it wrote
 * since the last flush of both (its epochs) and whether its slot says it
 * is consistent only in RAM.  Four modes: with and without the quorum
 * (cairnd's witness), with no cache or with RAM caches in flush=mirror on
 * both nodes (a FLUSH completes from both RAMs while in sync).
 *
 * Events: a write (with the link: on both, acknowledged; without: alone,
 * a new generation, acknowledged once the witness outdated the peer in
 * the quorum mode, at once without one), a write torn by the primary's
 * crash (only one node got it), a FLUSH (of both, from RAM in
 * flush=mirror, or alone), a destage of a node's cache, cut, connect, a
 * resync step (the last one flushes both), promote, demote, crash and
 * restart of either node, the witness outdating a cut off secondary, an
 * activity-log sweep, and without the quorum, the operator's discard of
 * one side (demote with force).
 *
 * After every step:
 *   - both nodes decide a connect alike (accept or refuse, full or not);
 *   - with the quorum, never two primaries;
 *   - with the quorum, a primary, and a consistent node the witness does
 *     not hold outdated, hold every flushed write (acknowledged, and a
 *     FLUSH completed after it): no node that may be promoted lacks one;
 *   - no flushed write is lost (held by no node) unless the operator
 *     discarded it, or every node that held it crashed: a split brain is
 *     refused, never merged;
 *   - connected, both consistent, no bit out of sync: identical blocks.
 * A write no FLUSH covered may be lost with the node that crashes, as
 * with a disk's volatile write cache (WCE=1).
 *
 * Not modelled: the pulling primary (on-demand resync).
 *
 *   test_handshake [DEPTH]     default 10 (HS_DEPTH in the environment too);
 *                              HS_SHOW_BEFORE=1 prints what the search finds
 *                              in the table of 8a76e88 (its self-test)
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "unit.h"
#include "handshake.h"

#define NB	2		/* blocks */
#define MAXW	10		/* writes */
#define P	CAIRN_WIRE_PRIMARY
#define S	CAIRN_WIRE_SECONDARY
#define INC	CAIRN_WIRE_INCONSISTENT
#define OUTD	CAIRN_WIRE_OUTDATED
#define CONS	CAIRN_WIRE_CONSISTENT

struct node {
	uint8_t alive, role, disk, wout;	/* wout: the witness outdated it */
	uint8_t cur, bm, h0, h1;		/* generations (0: unknown) */
	uint8_t ram[NB];			/* write id the block holds */
	uint8_t dur[NB];			/* ... what a crash leaves of it */
	uint8_t oos[NB], al[NB];
	uint8_t unf[NB];	/* primary: written since the last flush of both */
	uint8_t vol;		/* its slot says inconsistent (cairn_slot_volatile()) */
};

struct st {
	struct node n[2];
	uint8_t link, nw, ngen, quorum;
	uint8_t cache;		/* RAM caches in flush=mirror on both nodes */
	uint8_t parent[MAXW + 1];
	/*
	 * 1 acknowledged, 4 and a FLUSH completed after it, 2 discarded by
	 * the operator, 3 lost with every node that held it.
	 */
	uint8_t acked[MAXW + 1];
	uint8_t wblock[MAXW + 1];		/* the block a write went to */
};

/* The table under test: the core's, or the one before it (a self-test). */
static int (*decide)(const struct cairn_wire_hello *me,
		     const struct cairn_wire_hello *peer,
		     struct cairn_hs_decision *d) = cairn_hs_decide;
static bool quiet;

/*
 * The table as it was at 8a76e88: two secondaries moved nothing, so a
 * promotion on a live link took the new primary's word for it.  The
 * search must find what that lost.
 */
static int decide_before(const struct cairn_wire_hello *me,
			 const struct cairn_wire_hello *peer,
			 struct cairn_hs_decision *d)
{
	if (me->role == S && peer->role == S) {
		memset(d, 0, sizeof(*d));
		return 0;
	}
	return cairn_hs_decide(me, peer, d);
}

static int promoted_before(const struct cairn_wire_hello *me,
			   const struct cairn_wire_hello *peer, const char **why)
{
	return 0;
}

static int (*promoted)(const struct cairn_wire_hello *me,
		       const struct cairn_wire_hello *peer,
		       const char **why) = cairn_hs_promoted;

static struct {
	uint64_t states, transitions, refused, split_refused, promote_refused;
	unsigned int violations;
	const char *what;
} stats;

/* ---- the model's helpers ---- */

static int nbits(const struct node *n)
{
	int b, c = 0;

	for (b = 0; b < NB; b++)
		c += n->oos[b];
	return c;
}

static void hello(const struct st *s, int i, struct cairn_wire_hello *h)
{
	const struct node *n = &s->n[i];

	memset(h, 0, sizeof(*h));
	h->node_uuid[0] = i + 1;
	h->role = n->role;
	h->disk = n->disk;
	h->gen_current = n->cur;
	h->gen_bitmap = n->bm;
	h->gen_history[0] = n->h0;
	h->gen_history[1] = n->h1;
	h->dirty_bits = nbits(n);
}

static bool holds(const struct st *s, int i, int w, int b)
{
	int x;

	for (x = s->n[i].ram[b]; x; x = s->parent[x])
		if (x == w)
			return true;
	return false;
}

static void bitmap_done(struct node *n)	/* cairn_gen_bitmap_done() */
{
	if (!n->bm)
		return;
	n->h1 = n->h0;
	n->h0 = n->bm;
	n->bm = 0;
}

/*
 * The link drops (cairn_down_work()): a node marks what its peer may not
 * have made durable yet, the regions it wrote since their last flush,
 * out of sync (cairn_oos_unflushed(); a primary demoted on the live link
 * has them too); they reach its slot at the next sweep.
 */
static void link_fail(struct st *s)
{
	int i, b;

	s->link = 0;
	for (i = 0; i < 2; i++) {
		struct node *n = &s->n[i];

		if (!n->alive)
			continue;
		for (b = 0; b < NB; b++) {
			n->oos[b] |= n->unf[b];
			n->unf[b] = 0;
		}
	}
}

/*
 * A HELLO of node @from reaches node @to (cairn_peer_hello()): a primary's
 * tells a secondary whether it is in sync.
 */
static void peer_hello(struct st *s, int to)
{
	struct node *me = &s->n[to], *p = &s->n[!to];
	struct cairn_wire_hello mh, ph;
	const char *why = NULL;
	int b;

	if (!s->link || p->role != P || me->role != S || p->disk != CONS)
		return;
	hello(s, to, &mh);
	hello(s, !to, &ph);
	if (promoted(&mh, &ph, &why)) {
		stats.promote_refused++;
		link_fail(s);
		return;
	}
	if (nbits(p)) {
		me->disk = INC;
		return;
	}
	me->disk = CONS;
	me->cur = p->cur;
	bitmap_done(me);
	for (b = 0; b < NB; b++)
		me->oos[b] = 0;
	me->wout = 0;	/* in sync: cairnd clears the witness's record */
}

static void new_gen(struct st *s, struct node *n)
{
	n->cur = ++s->ngen;
}

/* ---- events: 0 if not possible in @s ---- */

enum {
	E_WRITE, E_TORN_LOCAL, E_TORN_REMOTE, E_CUT, E_CONNECT, E_RESYNC,
	E_PROMOTE, E_DEMOTE, E_CRASH, E_RESTART, E_OUTDATE, E_SWEEP,
	E_DISCARD, E_FLUSH, E_DESTAGE, E_NR
};

/* Events that name a block; the others run once per node. */
static bool per_block(int ev)
{
	return ev == E_WRITE || ev == E_TORN_LOCAL || ev == E_TORN_REMOTE ||
	       ev == E_RESYNC;
}

static const char *const ename[E_NR] = {
	"write", "torn-local", "torn-remote", "cut", "connect", "resync",
	"promote", "demote", "crash", "restart", "outdate", "sweep", "discard",
	"flush", "destage",
};

static int new_write(struct st *s, int b, int on)
{
	int w = ++s->nw;

	s->parent[w] = s->n[on].ram[b];
	s->wblock[w] = b;
	return w;
}

static bool durable(const struct node *n)
{
	return !memcmp(n->ram, n->dur, sizeof(n->ram));
}

/*
 * A crash: what the node held in RAM (its cache, its members' volatile
 * caches) is gone; it comes back secondary (cairn_mirror_restore()), its
 * dirty regions out of sync, inconsistent if its slot said so.  A write
 * no node holds any more was lost with every node that had it: no fault
 * a pair survives.
 */
static void crash(struct st *s, int i)
{
	struct node *n = &s->n[i];
	int b, w;

	link_fail(s);
	n->alive = 0;
	n->role = S;
	memcpy(n->ram, n->dur, sizeof(n->ram));
	for (b = 0; b < NB; b++) {
		n->oos[b] = n->al[b];
		n->unf[b] = 0;
	}
	if (n->vol)
		n->disk = INC;
	for (w = 1; w <= s->nw; w++)
		if ((s->acked[w] == 1 || s->acked[w] == 4) &&
		    !holds(s, 0, w, s->wblock[w]) && !holds(s, 1, w, s->wblock[w]))
			s->acked[w] = 3;
}

static bool primary_ok(const struct st *s, int i)
{
	const struct node *n = &s->n[i];

	return n->alive && n->role == P && n->disk == CONS;
}

static int step(struct st *s, int ev, int i, int b)
{
	struct node *n = &s->n[i], *o = &s->n[!i];
	struct cairn_hs_decision d[2];
	struct cairn_wire_hello h[2];
	int w, k, r[2];

	switch (ev) {
	case E_WRITE:		/* cairn_mirror_map() .. cairn_mreq_put() */
		if (!primary_ok(s, i) || s->nw == MAXW)
			return 0;
		if (s->link) {
			w = new_write(s, b, i);
			n->ram[b] = w;
			o->ram[b] = w;
			n->al[b] = 1;
			n->unf[b] = 1;
			/*
			 * Both caches hold it, and a FLUSH completes from both
			 * RAMs: both slots say so first (cairn_slot_volatile(),
			 * cairn_ack_cover()).
			 */
			if (s->cache) {
				n->vol = 1;
				o->al[b] = 1;
				o->vol = 1;
			}
			s->acked[w] = 1;
			return 1;
		}
		/* Held until the witness outdated the peer (quorum). */
		if (s->quorum && !o->wout)
			return 0;
		if (!n->bm) {		/* cairn_gen_diverge() */
			n->bm = n->cur;
			new_gen(s, n);
		}
		w = new_write(s, b, i);
		n->ram[b] = w;
		n->oos[b] = 1;
		n->al[b] = 1;
		n->unf[b] = 1;
		s->acked[w] = 1;
		return 1;
	case E_TORN_LOCAL:
	case E_TORN_REMOTE:	/* in flight when the primary crashed */
		if (!primary_ok(s, i) || !s->link || s->nw == MAXW)
			return 0;
		w = new_write(s, b, i);
		n->al[b] = 1;
		if (ev == E_TORN_LOCAL)
			n->ram[b] = w;
		else
			o->ram[b] = w;
		crash(s, i);
		return 1;
	case E_CUT:
		if (!s->link || i)
			return 0;
		link_fail(s);
		return 1;
	case E_CONNECT:		/* cairn_handshake(), cairn_link_up() */
		if (s->link || i || !n->alive || !o->alive)
			return 0;
		hello(s, 0, &h[0]);
		hello(s, 1, &h[1]);
		r[0] = decide(&h[0], &h[1], &d[0]);
		r[1] = decide(&h[1], &h[0], &d[1]);
		if (!r[0] != !r[1] || (!r[0] && d[0].all_bits != d[1].all_bits) ||
		    (!r[0] && d[0].send_bits != d[1].recv_bits) ||
		    (!r[0] && d[1].send_bits != d[0].recv_bits) ||
		    (!r[0] && d[0].send_bits && d[1].send_bits &&
		     d[0].send_first == d[1].send_first)) {
			stats.what = "the nodes decided a connect differently";
			return -1;
		}
		if (r[0]) {
			stats.refused++;
			if (r[0] == -EUCLEAN)
				stats.split_refused++;
			return 1;
		}
		for (k = 0; k < 2; k++) {
			struct node *me = &s->n[k], *peer = &s->n[!k];

			for (b = 0; b < NB; b++) {
				if (d[k].recv_bits && peer->oos[b])
					me->oos[b] = 1;
				if (d[k].recv_bits)
					me->al[b] |= me->oos[b];
			}
			if (d[k].outdate && me->disk == CONS)
				me->disk = OUTD;
		}
		for (k = 0; k < 2; k++)
			if (d[k].all_bits)
				for (b = 0; b < NB; b++)
					s->n[k].oos[b] = 1;
		s->link = 1;
		/* cairn_mirror_tell(): each HELLO reaches the other. */
		peer_hello(s, 0);
		peer_hello(s, 1);
		return 1;
	case E_RESYNC:		/* cairn_resync_work(): a grain to the peer */
		if (!primary_ok(s, i) || !s->link || !n->oos[b])
			return 0;
		o->disk = INC;	/* durable before the data lands */
		o->ram[b] = n->ram[b];
		n->unf[b] = 1;	/* in the primary's epoch, like a write */
		if (s->cache) {
			o->al[b] = 1;
			o->vol = 1;
		}
		n->oos[b] = 0;
		o->oos[b] = 0;
		if (!nbits(n)) {
			/* In sync once durable on both (cairn_synced_work()). */
			memcpy(n->dur, n->ram, sizeof(n->ram));
			memcpy(o->dur, o->ram, sizeof(o->ram));
			memset(n->unf, 0, sizeof(n->unf));
			bitmap_done(n);
			peer_hello(s, !i);
		}
		return 1;
	case E_PROMOTE:		/* cairn_mirror_set(primary), cairnd's vote */
		if (!n->alive || n->role != S)
			return 0;
		if (o->alive && o->role == P && (s->link || s->quorum))
			return 0;
		if (n->disk != CONS || (s->quorum && n->wout))
			return 0;
		n->role = P;
		peer_hello(s, !i);
		return 1;
	case E_DEMOTE:
		if (!n->alive || n->role != P)
			return 0;
		n->role = S;
		return 1;
	case E_CRASH:
		if (!n->alive)
			return 0;
		crash(s, i);
		return 1;
	case E_RESTART:
		if (n->alive)
			return 0;
		n->alive = 1;
		return 1;
	case E_OUTDATE:		/* the witness records the cut-off peer */
		if (!s->quorum || s->link || n->role == P || n->wout ||
		    !primary_ok(s, !i))
			return 0;
		n->wout = 1;
		return 1;
	case E_SWEEP:		/* cairn_al_sweep(): idle, in-sync regions go */
		if (!n->alive)
			return 0;
		for (k = 0, b = 0; b < NB; b++) {
			/* A cache not durable keeps every region. */
			uint8_t want = n->oos[b] || n->unf[b] ||
				       (n->al[b] && !durable(n));

			k |= n->al[b] != want;
			n->al[b] = want;
		}
		/* Durable, and no FLUSH completes from RAM (cache, link up). */
		if (n->vol && durable(n) && !(s->cache && s->link)) {
			n->vol = 0;
			k = 1;
		}
		return k;
	case E_FLUSH:		/* a host FLUSH on the primary */
		if (!primary_ok(s, i))
			return 0;
		/* Alone it is held, as a write, until the peer is outdated. */
		if (!s->link && s->quorum && !o->wout)
			return 0;
		if (s->link && s->cache && o->disk == CONS && !nbits(n)) {
			/* flush=mirror, in sync: complete in both RAMs. */
		} else if (s->link) {
			memcpy(n->dur, n->ram, sizeof(n->ram));
			memcpy(o->dur, o->ram, sizeof(o->ram));
		} else {
			/* Alone: durable here; the epoch stays unflushed. */
			memcpy(n->dur, n->ram, sizeof(n->ram));
		}
		if (s->link)
			for (b = 0; b < NB; b++)
				n->unf[b] = 0;
		/*
		 * What completed before a FLUSH is promised from now on -- as
		 * far as this primary holds it: a write it lost in a crash
		 * before it served again is a disk's volatile cache lost with
		 * its power, which the host saw as a reset of the path.
		 */
		for (w = 1; w <= s->nw; w++)
			if (s->acked[w] == 1 && holds(s, i, w, s->wblock[w]))
				s->acked[w] = 4;
		return 1;
	case E_DESTAGE:		/* the cache's destage and commit */
		if (!s->cache || !n->alive || durable(n))
			return 0;
		memcpy(n->dur, n->ram, sizeof(n->ram));
		return 1;
	case E_DISCARD:		/* mirror set secondary force */
		if (s->quorum || !n->alive || n->role != S || s->link)
			return 0;
		for (w = 1; w <= s->nw; w++)
			if ((s->acked[w] == 1 || s->acked[w] == 4) &&
			    !holds(s, !i, w, s->wblock[w]))
				s->acked[w] = 2;
		n->disk = INC;
		n->cur = 0;
		n->bm = 0;
		for (b = 0; b < NB; b++)
			n->oos[b] = 0;
		return 1;
	}
	return 0;
}

static bool check(const struct st *s)
{
	int i, w, b;

	if (s->quorum && s->n[0].alive && s->n[1].alive &&
	    s->n[0].role == P && s->n[1].role == P) {
		stats.what = "two primaries";
		return false;
	}
	/*
	 * A write no FLUSH covered yet may be lost with a node that crashes
	 * (a disk with a volatile write cache, WCE=1): what is promised are
	 * the flushed ones.
	 */
	for (w = 1; w <= s->nw; w++) {
		if (s->acked[w] != 4)
			continue;
		if (!holds(s, 0, w, s->wblock[w]) && !holds(s, 1, w, s->wblock[w])) {
			stats.what = "a flushed write is held by no node";
			return false;
		}
		for (i = 0; s->quorum && i < 2; i++) {
			const struct node *n = &s->n[i];

			if (!n->alive || n->disk != CONS ||
			    (n->role == S && n->wout))
				continue;
			if (!holds(s, i, w, s->wblock[w])) {
				stats.what = n->role == P ?
					"a primary lacks a flushed write" :
					"a node that may be promoted lacks a flushed write";
				return false;
			}
		}
	}
	if (s->link && s->n[0].disk == CONS && s->n[1].disk == CONS &&
	    !nbits(&s->n[0]) && !nbits(&s->n[1]))
		for (b = 0; b < NB; b++)
			if (s->n[0].ram[b] != s->n[1].ram[b]) {
				stats.what = "in sync, yet the nodes differ";
				return false;
			}
	return true;
}

/* Generations renumbered in order of appearance: equal states meet. */
static void canon(struct st *s)
{
	uint8_t map[256] = { 0 }, next = 0;
	uint8_t *g[8] = { &s->n[0].cur, &s->n[0].bm, &s->n[0].h0, &s->n[0].h1,
			  &s->n[1].cur, &s->n[1].bm, &s->n[1].h0, &s->n[1].h1 };
	int k;

	for (k = 0; k < 8; k++) {
		if (!*g[k])
			continue;
		if (!map[*g[k]])
			map[*g[k]] = ++next;
		*g[k] = map[*g[k]];
	}
	s->ngen = next;
}

/* ---- the search ---- */

struct set {
	struct st *v;
	uint8_t *used;
	size_t cap, n;
};

static uint64_t hash(const struct st *s)
{
	const uint8_t *p = (const uint8_t *)s;
	uint64_t h = 1469598103934665603ULL;
	size_t k;

	for (k = 0; k < sizeof(*s); k++)
		h = (h ^ p[k]) * 1099511628211ULL;
	return h;
}

static bool set_add(struct set *t, const struct st *s);

static void set_grow(struct set *t)
{
	struct set old = *t;
	size_t k;

	t->cap = old.cap ? old.cap * 2 : 1 << 16;
	t->v = calloc(t->cap, sizeof(*t->v));
	t->used = calloc(t->cap, 1);
	t->n = 0;
	if (!t->v || !t->used) {
		perror("calloc");
		exit(1);
	}
	for (k = 0; k < old.cap; k++)
		if (old.used[k])
			set_add(t, &old.v[k]);
	free(old.v);
	free(old.used);
}

static bool set_add(struct set *t, const struct st *s)
{
	size_t k;

	if (2 * (t->n + 1) > t->cap)
		set_grow(t);
	for (k = hash(s) & (t->cap - 1); t->used[k]; k = (k + 1) & (t->cap - 1))
		if (!memcmp(&t->v[k], s, sizeof(*s)))
			return false;
	t->used[k] = 1;
	t->v[k] = *s;
	t->n++;
	return true;
}

static void print_state(const struct st *s)
{
	int i;

	for (i = 0; i < 2; i++) {
		const struct node *n = &s->n[i];

		fprintf(stderr,
			"  %c: %s %s %s cur=%u bm=%u hist=%u,%u blocks=%u,%u oos=%u%u al=%u%u%s\n",
			'a' + i, n->alive ? "up" : "down",
			n->role == P ? "primary" : "secondary",
			n->disk == CONS ? "consistent" : n->disk == OUTD ?
			"outdated" : "inconsistent", n->cur, n->bm, n->h0, n->h1,
			n->ram[0], n->ram[1], n->oos[0], n->oos[1], n->al[0],
			n->al[1], n->wout ? " (witness: outdated)" : "");
	}
	fprintf(stderr, "  link %s\n", s->link ? "up" : "down");
}

/* The initial state: a new mirror, a primary and a secondary never synced. */
static void initial(struct st *s, bool quorum, bool cache)
{
	int b;

	memset(s, 0, sizeof(*s));
	s->quorum = quorum;
	s->cache = cache;
	s->n[0] = (struct node){ .alive = 1, .role = P, .disk = CONS, .cur = 1 };
	s->n[1] = (struct node){ .alive = 1, .role = S, .disk = INC };
	for (b = 0; b < NB; b++) {
		s->n[0].oos[b] = 1;
		s->n[0].al[b] = 1;
	}
	s->ngen = 1;
}

struct path {
	int ev, i, b;
	size_t from;		/* the state it was reached from */
};

static void *grow(void *p, size_t *cap, size_t need, size_t size)
{
	if (need <= *cap)
		return p;
	while (*cap < need)
		*cap = *cap ? *cap * 2 : 1 << 16;
	p = realloc(p, *cap * size);
	if (!p) {
		perror("realloc");
		exit(1);
	}
	return p;
}

static const char *mode_name(const struct st *s)
{
	return s->quorum ? (s->cache ? "quorum, caches flush=mirror" : "quorum, no cache") :
	       (s->cache ? "no quorum, caches flush=mirror" : "no quorum, no cache");
}

static void report(int lvl, const struct st *s, const struct path *how,
		   size_t at)
{
	if (quiet)
		return;
	fprintf(stderr, "%s: depth %d: %s; state:\n", mode_name(s), lvl,
		stats.what);
	print_state(s);
	fprintf(stderr, "  events, last first:");
	for (; how[at].ev >= 0; at = how[at].from)
		fprintf(stderr, " %s(%c,%d)", ename[how[at].ev],
			'a' + how[at].i, how[at].b);
	fprintf(stderr, "\n");
}

/* The search: every state once, and how it was reached. */
struct search {
	int lvl;
	struct set seen;
	struct st *all;
	struct path *how;
	size_t cap_all, cap_how, n;
};

/* Every event from state @k: the new states go to the end of all[]. */
static void expand(struct search *x, size_t k)
{
	int ev, i, b, r;

	for (ev = 0; ev < E_NR; ev++) {
		for (i = 0; i < 2; i++) {
			for (b = 0; b < (per_block(ev) ? NB : 1); b++) {
				struct st s = x->all[k];

				r = step(&s, ev, i, b);
				if (!r)
					continue;
				stats.transitions++;
				if (r > 0 && !check(&s))
					r = -1;
				canon(&s);
				if (!set_add(&x->seen, &s))
					continue;
				x->all = grow(x->all, &x->cap_all, x->n + 1,
					      sizeof(*x->all));
				x->how = grow(x->how, &x->cap_how, x->n + 1,
					      sizeof(*x->how));
				x->all[x->n] = s;
				x->how[x->n] = (struct path){ ev, i, b, k };
				if (r > 0) {
					x->n++;
					continue;
				}
				/* A violation: reported, not explored further. */
				stats.violations++;
				report(x->lvl, &s, x->how, x->n);
				if (stats.violations > 3 && !quiet)
					exit(1);
			}
		}
	}
}

/*
 * Breadth first from the initial state to @depth events.  Returns the
 * states seen.
 */
static size_t explore(bool quorum, bool cache, int depth)
{
	struct search x = { .n = 1 };
	size_t lo = 0, hi = 1, k, states;

	x.all = grow(NULL, &x.cap_all, 1, sizeof(*x.all));
	x.how = grow(NULL, &x.cap_how, 1, sizeof(*x.how));
	initial(&x.all[0], quorum, cache);
	x.how[0] = (struct path){ -1, 0, 0, 0 };
	set_add(&x.seen, &x.all[0]);
	for (x.lvl = 1; x.lvl <= depth && lo < hi; x.lvl++) {
		for (k = lo; k < hi; k++)
			expand(&x, k);
		lo = hi;
		hi = x.n;
	}
	states = x.seen.n;
	if (!quiet)
		printf("handshake: %s: %zu states to depth %d\n",
		       mode_name(&x.all[0]), states, depth);
	free(x.all);
	free(x.how);
	free(x.seen.v);
	free(x.seen.used);
	return states;
}

int main(int argc, char **argv)
{
	const char *env = getenv("HS_DEPTH");
	int depth = argc > 1 ? atoi(argv[1]) : env ? atoi(env) : 10;
	size_t states;

	/* Self-test: the table before the fix loses acknowledged writes. */
	quiet = !getenv("HS_SHOW_BEFORE");
	decide = decide_before;
	promoted = promoted_before;
	explore(true, false, 9);
	printf("handshake: the table of 8a76e88: %u violations found to depth 9\n",
	       stats.violations);
	CHECK(stats.violations > 0);
	memset(&stats, 0, sizeof(stats));

	quiet = false;
	decide = cairn_hs_decide;
	promoted = cairn_hs_promoted;
	states = explore(true, false, depth);
	states += explore(false, false, depth);
	states += explore(true, true, depth);
	states += explore(false, true, depth);
	printf("handshake: %zu states, %llu transitions, %llu connects refused",
	       states, (unsigned long long)stats.transitions,
	       (unsigned long long)stats.refused);
	printf(" (%llu split brains), %llu promotions refused on the link, %u violations\n",
	       (unsigned long long)stats.split_refused,
	       (unsigned long long)stats.promote_refused, stats.violations);
	CHECK_EQ(stats.violations, 0);
	CHECK(depth < 10 || stats.split_refused > 0);
	return unit_finish("test_handshake");
}
