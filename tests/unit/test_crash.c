// SPDX-License-Identifier: GPL-2.0
/*
 * Power-cut crash harness for the pool.
 *
 * A seeded workload (create, delete and grow volumes -- some in bursts
 * whose commits span several journal blocks --, write, discard, flush) runs
 * on simulated devices that record every write and flush.  For every cut
 * point in that stream (after each write and each flush) and for
 * several images per cut -- the writes already covered by a flush of their
 * device, plus a random subset of the others applied in random order (none,
 * all, or a coin toss each) -- the pool is opened and checked against the
 * contract:
 *   - it opens, and the full consistency check passes (no chunk mapped
 *     twice, no chunk both free and mapped);
 *   - its volumes and their mapped chunks are exactly those of the last
 *     completed commit, or of the commit in flight at the cut: provisions
 *     never committed are free again;
 *   - every block reads back the data it had at that commit or data written
 *     to it later (never another block's, never garbage).
 *
 * Odd seeds drive the pool the way cairn.ko's data path does: provisions
 * in steps (prepare, write the chunk, publish), discards in steps (unmap
 * begin/end), and group commits (commit_begin, then more provisions and
 * discards recorded into the next transaction, with frees of the next
 * generation, while the commit is written; no member flush when nothing was
 * written since the last commit).
 *
 * Prints "crash: N cut points, M images, V violations"; fails on any
 * violation.  CRASH_CUTS (default 2500) sets the minimum cut points; seeds
 * run until it is reached.  CRASH_SEED picks the first seed.
 *
 * The cut points are shared among CRASH_WORKERS forked processes (default:
 * the online CPUs, at most 16): every worker replays every seed's workload
 * and checks the cut points whose index, counted over all seeds, is its
 * number modulo the workers; the parent adds up their counts and fails if
 * one failed or died.  Each image is drawn from its own random stream, a
 * function of (seed, cut, mode) alone, so the images checked are the same
 * whatever the number of workers.  CRASH_TRACE=1 prints one line per image
 * (seed, cut, mode, the unflushed writes that landed, the outcome), to
 * compare runs: the lines are the same, in another order, for any number of
 * workers.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>

#include "core/pool.h"
#include "simdev.h"
#include "unit.h"

#define NR_DEVS		3
#define MAX_VOLS	6
#define VOL_CHUNKS	24		/* chunks the workload touches */
#define CHUNK_BLOCKS	16		/* 64 KiB chunks */
#define VOL_BLOCKS	(VOL_CHUNKS * CHUNK_BLOCKS)
#define MAX_COMMITS	512
#define PATTERN_MAGIC	0x43524153484d4f44ULL
#define MAX_WORKERS	16		/* by default; CRASH_WORKERS up to 64 */

struct hist {
	size_t op;		/* log index when it was written */
	u64 version;		/* 0 = zeros (discard, new chunk) */
};

struct mvol {
	bool exists;
	u32 uid;
	char name[16];
	u64 size;
	u32 mapped;		/* bitmap of mapped chunks */
	u64 version[VOL_BLOCKS];
	struct hist *hist[VOL_BLOCKS];
	unsigned int nr_hist[VOL_BLOCKS];
};

struct snap {
	size_t start_op, done_op;
	size_t model_op;	/* when the model below was taken */
	struct {
		bool exists;
		u32 uid;
		u64 size;
		u32 mapped;
		u64 version[VOL_BLOCKS];
	} vol[MAX_VOLS];
};

static struct mvol model[MAX_VOLS];
static struct snap snaps[MAX_COMMITS];
static unsigned int nr_snaps;
static u64 next_version = 1;
static u32 next_uid = 1;
static unsigned long cuts, images, violations;
static u64 rng;
static u64 cur_seed;
static unsigned long cut_index;	/* over all seeds, checked here or not */
static unsigned int nr_workers = 1, worker;
static bool trace;
static bool stepwise;		/* the kernel's data-path steps */
static bool in_group;		/* between commit_begin and commit_end */
static bool dirty;		/* data written since the last commit */

static u64 rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void pattern(u8 *buf, u32 uid, u32 blk, u64 version)
{
	unsigned int i;
	u64 *h = (u64 *)buf;

	if (!version) {
		memset(buf, 0, CAIRN_BLOCK_SIZE);
		return;
	}
	h[0] = PATTERN_MAGIC;
	h[1] = ((u64)uid << 32) | blk;
	h[2] = version;
	for (i = 24; i < CAIRN_BLOCK_SIZE; i++)
		buf[i] = (u8)(version * 31 + i);
}

static void hist_add(struct mvol *v, unsigned int b, size_t op, u64 version)
{
	v->hist[b] = realloc(v->hist[b], (v->nr_hist[b] + 1) * sizeof(struct hist));
	v->hist[b][v->nr_hist[b]].op = op;
	v->hist[b][v->nr_hist[b]].version = version;
	v->nr_hist[b]++;
	v->version[b] = version;
}

static void take_snap(size_t start, size_t done)
{
	struct snap *s = &snaps[nr_snaps++];
	unsigned int i;

	s->start_op = start;
	s->done_op = done;
	s->model_op = start;
	for (i = 0; i < MAX_VOLS; i++) {
		s->vol[i].exists = model[i].exists;
		s->vol[i].uid = model[i].uid;
		s->vol[i].size = model[i].size;
		s->vol[i].mapped = model[i].mapped;
		memcpy(s->vol[i].version, model[i].version, sizeof(model[i].version));
	}
}

/* ---- the workload ---- */

static void write_block(struct simdev *sim, struct cairn_pool *pool,
			unsigned int vi, unsigned int blk)
{
	struct mvol *mv = &model[vi];
	struct cairn_volume *v = cairn_volume_find(pool, mv->name);
	unsigned int chunk = blk / CHUNK_BLOCKS, j;
	u8 buf[CAIRN_BLOCK_SIZE];
	u64 pchunk, base, version = next_version++;
	u32 member;
	int r;

	dirty = true;
	if (!cairn_lookup(v, chunk, &member, &pchunk)) {
		if (stepwise) {
			CHECK_EQ(cairn_map_reserve(&v->map, chunk), 0);
			r = cairn_provision_prepare(pool, v, chunk, &member, &pchunk);
			if (r == -EAGAIN && in_group)
				return;	/* cairn.ko retries after the commit */
			if (r == -EAGAIN) {
				CHECK_EQ(cairn_commit(pool), 0);
				r = cairn_provision_prepare(pool, v, chunk, &member, &pchunk);
			}
		} else {
			r = cairn_provision(pool, v, chunk, &member, &pchunk);
		}
		if (r == -ENOSPC)
			return;
		CHECK_EQ(r, 0);
		base = pool->members[member].info.data_start + pchunk * CHUNK_BLOCKS;
		/* A new chunk: the block's data, zeros elsewhere. */
		for (j = 0; j < CHUNK_BLOCKS; j++) {
			unsigned int b = chunk * CHUNK_BLOCKS + j;

			pattern(buf, mv->uid, b, b == blk ? version : 0);
			sim_io_ops.write(sim, member, base + j, buf);
			hist_add(mv, b, sim->nr_ops, b == blk ? version : 0);
		}
		/* Published once the chunk is written, as cairn.ko does. */
		if (stepwise)
			cairn_provision_publish(pool, v, chunk, member, pchunk);
		mv->mapped |= 1U << chunk;
		return;
	}
	base = pool->members[member].info.data_start + pchunk * CHUNK_BLOCKS;
	pattern(buf, mv->uid, blk, version);
	sim_io_ops.write(sim, member, base + blk % CHUNK_BLOCKS, buf);
	hist_add(mv, blk, sim->nr_ops, version);
}

static void discard_chunk(struct simdev *sim, struct cairn_pool *pool,
			  unsigned int vi, unsigned int chunk)
{
	struct mvol *mv = &model[vi];
	struct cairn_volume *v = cairn_volume_find(pool, mv->name);
	unsigned int j;
	u64 e;
	int r;

	if (stepwise) {
		e = cairn_unmap_begin(v, chunk);
		/* cairn.ko waits here for the I/O that found the mapping. */
		r = e ? cairn_unmap_end(pool, v, chunk, e) : 0;
		if (r == -EAGAIN && in_group) {
			cairn_unmap_cancel(v, chunk, e);
			return;
		}
		if (r == -EAGAIN) {
			CHECK_EQ(cairn_commit(pool), 0);
			r = cairn_unmap_end(pool, v, chunk, e);
		}
		CHECK_EQ(r, 0);
	} else {
		CHECK_EQ(cairn_discard(pool, v, chunk), 0);
	}
	if (!(mv->mapped & (1U << chunk)))
		return;
	mv->mapped &= ~(1U << chunk);
	for (j = 0; j < CHUNK_BLOCKS; j++)
		hist_add(mv, chunk * CHUNK_BLOCKS + j, sim->nr_ops, 0);
}

/*
 * A group commit: the transaction is taken, more writes and discards are
 * recorded into the next one, then the commit is written and ended.
 */
static void group_commit(struct simdev *sim, struct cairn_pool *pool)
{
	struct cairn_commit_snap cs;
	unsigned int n = rnd() % 4, vi;
	struct snap *s;
	int r;

	take_snap(sim->nr_ops, 0);
	s = &snaps[nr_snaps - 1];
	CHECK_EQ(cairn_commit_begin(pool, &cs), 0);
	cs.flush_members = dirty;
	dirty = false;
	in_group = true;
	while (n--) {
		vi = rnd() % MAX_VOLS;
		if (!model[vi].exists)
			continue;
		if (rnd() % 3)
			write_block(sim, pool, vi, rnd() % (model[vi].size >> CAIRN_BLOCK_SHIFT));
		else
			discard_chunk(sim, pool, vi, rnd() % (model[vi].size >> 16));
	}
	in_group = false;
	s->start_op = sim->nr_ops;
	r = cairn_commit_write(pool, &cs);
	CHECK_EQ(cairn_commit_end(pool, &cs, r), 0);
	s->done_op = sim->nr_ops;
	if (cairn_checkpoint_due(pool) && nr_snaps < MAX_COMMITS) {
		take_snap(sim->nr_ops, 0);
		CHECK_EQ(cairn_commit(pool), 0);
		snaps[nr_snaps - 1].done_op = sim->nr_ops;
	}
}

static void workload_step(struct simdev *sim, struct cairn_pool *pool)
{
	unsigned int vi = rnd() % MAX_VOLS, k = rnd() % 100;
	struct mvol *mv = &model[vi];
	u8 uuid[CAIRN_UUID_SIZE] = { 0 };
	size_t start;
	unsigned int b;

	if (!mv->exists) {
		if (k < 40) {
			mv->exists = true;
			mv->uid = next_uid++;
			snprintf(mv->name, sizeof(mv->name), "vol%u", mv->uid);
			mv->size = (u64)(VOL_CHUNKS / 2 + rnd() % (VOL_CHUNKS / 2)) << 16;
			mv->mapped = 0;
			memcpy(uuid, &mv->uid, sizeof(mv->uid));
			CHECK_EQ(cairn_volume_create(pool, mv->name, uuid, mv->size, NULL), 0);
			for (b = 0; b < VOL_BLOCKS; b++) {
				free(mv->hist[b]);
				mv->hist[b] = NULL;
				mv->nr_hist[b] = 0;
				mv->version[b] = 0;
			}
		}
		return;
	}
	if (k < 55) {
		b = rnd() % (mv->size >> CAIRN_BLOCK_SHIFT);
		write_block(sim, pool, vi, b);
	} else if (k < 68) {
		discard_chunk(sim, pool, vi, rnd() % (mv->size >> 16));
	} else if (k < 72 && mv->size + (1 << 16) <= (u64)VOL_CHUNKS << 16) {
		mv->size += 1 << 16;
		CHECK_EQ(cairn_volume_resize(pool, cairn_volume_find(pool, mv->name),
					     mv->size), 0);
	} else if (k < 75) {
		CHECK_EQ(cairn_volume_delete(pool, cairn_volume_find(pool, mv->name)), 0);
		mv->exists = false;
	} else if (k < 78) {
		/* Many small grows: commits that span several journal blocks. */
		unsigned int n = 40;

		while (n-- && mv->size < (u64)VOL_CHUNKS << 16) {
			mv->size += CAIRN_BLOCK_SIZE;
			CHECK_EQ(cairn_volume_resize(pool,
						     cairn_volume_find(pool, mv->name),
						     mv->size), 0);
		}
	} else if (k < 90 && nr_snaps + 1 < MAX_COMMITS && stepwise) {
		group_commit(sim, pool);
	} else if (k < 90 && nr_snaps < MAX_COMMITS) {
		start = sim->nr_ops;
		snaps[nr_snaps].start_op = start;
		take_snap(start, 0);
		CHECK_EQ(cairn_commit(pool), 0);
		snaps[nr_snaps - 1].done_op = sim->nr_ops;
	}
}

/* ---- images and checks ---- */

static struct simdev base;

/* A random stream of its own for each image (splitmix64 of its name). */
static u64 image_rng(u64 seed, size_t cut, int mode)
{
	u64 z = seed * 0x9e3779b97f4a7c15ULL + (u64)cut * 3 + mode + 1;

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	z ^= z >> 31;
	return z ? z : 1;	/* xorshift never leaves 0 */
}

/*
 * Builds the image of @cut, @mode into @img; returns the number of
 * unflushed writes that landed and, in *@print, an FNV-1a hash of their
 * order (for CRASH_TRACE).
 */
static size_t build_image(struct simdev *img, const struct simdev *log,
			  size_t cut, const size_t *next_flush, int mode,
			  u64 *print)
{
	size_t *late = malloc((cut + 1) * sizeof(*late)), nr_late = 0, i;
	u64 h = 0xcbf29ce484222325ULL;

	sim_clear(img);
	for (i = 0; i < base.nr_slots; i++)
		if (base.slots[i].key)
			sim_put(img, (base.slots[i].key - 1) >> 56,
				(base.slots[i].key - 1) & ((1ULL << 56) - 1),
				base.slots[i].data, false);
	for (i = 0; i < cut; i++) {
		const struct sim_op *op = &log->ops[i];

		if (op->kind != SIM_WRITE)
			continue;
		if (next_flush[i] < cut)
			sim_put(img, op->dev, op->block, op->data, false);
		else if (mode == 1 || (mode == 2 && (rnd() & 1)))
			late[nr_late++] = i;
	}
	/* The unflushed writes that land, in any order. */
	for (i = nr_late; i > 1; i--) {
		size_t j = rnd() % i, t = late[i - 1];

		late[i - 1] = late[j];
		late[j] = t;
	}
	for (i = 0; i < nr_late; i++) {
		const struct sim_op *op = &log->ops[late[i]];

		sim_put(img, op->dev, op->block, op->data, false);
		h = (h ^ late[i]) * 0x100000001b3ULL;
	}
	free(late);
	*print = h;
	return nr_late;
}

static bool snap_matches(const struct snap *s, struct cairn_pool *pool)
{
	unsigned int i, n = 0;
	u64 c;

	for (i = 0; i < MAX_VOLS; i++) {
		struct cairn_volume *v;
		char name[16];
		u32 mapped = 0;
		u32 member;
		u64 pchunk;

		if (!s->vol[i].exists)
			continue;
		n++;
		snprintf(name, sizeof(name), "vol%u", s->vol[i].uid);
		v = cairn_volume_find(pool, name);
		if (!v || v->size != s->vol[i].size)
			return false;
		for (c = 0; c < VOL_CHUNKS; c++)
			if (cairn_lookup(v, c, &member, &pchunk))
				mapped |= 1U << c;
		if (mapped != s->vol[i].mapped || v->nr_mapped != __builtin_popcount(mapped))
			return false;
	}
	return n == pool->nr_volumes;
}

static bool version_ok(const struct mvol *mv, unsigned int b, u64 at_snap,
		       size_t snap_op, size_t cut, u64 got)
{
	unsigned int i;

	if (got == at_snap)
		return true;
	for (i = 0; i < mv->nr_hist[b]; i++)
		if (mv->hist[b][i].op > snap_op && mv->hist[b][i].op <= cut &&
		    mv->hist[b][i].version == got)
			return true;
	return false;
}

/*
 * The volumes of @m (the commit the pool matched) read back, block by
 * block, what they held at commit @c (the last completed one; zeros for a
 * volume created since) or something written to that block after it.
 */
static int check_data(struct simdev *img, struct cairn_pool *pool,
		      const struct snap *m, const struct snap *c, size_t cut,
		      const char **why)
{
	u8 want[CAIRN_BLOCK_SIZE], got[CAIRN_BLOCK_SIZE];
	unsigned int i, b;

	for (i = 0; i < MAX_VOLS; i++) {
		const struct mvol *mv = &model[i];
		bool in_c = c->vol[i].exists && c->vol[i].uid == m->vol[i].uid;
		struct cairn_volume *v;
		char name[16];

		if (!m->vol[i].exists)
			continue;
		/* The model slot may hold a later volume: history is by uid. */
		if (mv->uid != m->vol[i].uid)
			continue;
		snprintf(name, sizeof(name), "vol%u", m->vol[i].uid);
		v = cairn_volume_find(pool, name);
		for (b = 0; b < (m->vol[i].size >> CAIRN_BLOCK_SHIFT); b++) {
			u32 member;
			u64 pchunk, version = 0;

			if (cairn_lookup(v, b / CHUNK_BLOCKS, &member, &pchunk)) {
				u64 blk = pool->members[member].info.data_start +
					  pchunk * CHUNK_BLOCKS + b % CHUNK_BLOCKS;

				memcpy(got, sim_peek(img, member, blk), sizeof(got));
				version = ((u64 *)got)[2];
				if (((u64 *)got)[0] != PATTERN_MAGIC)
					version = 0;
				pattern(want, mv->uid, b, version);
				if (memcmp(want, got, sizeof(got))) {
					*why = "a block holds data that was never written to it";
					return -1;
				}
			}
			if (!version_ok(mv, b, in_c ? c->vol[i].version[b] : 0,
					c->model_op, cut, version)) {
				*why = "a block lost data acknowledged before a flush";
				return -1;
			}
		}
	}
	return 0;
}

/* The first ten of each worker are printed. */
static void violation(size_t cut, int mode, const char *why)
{
	violations++;
	if (violations <= 10)
		fprintf(stderr, "crash: seed %llu cut %zu image mode %d: %s\n",
			(unsigned long long)cur_seed, cut, mode, why);
}

/* Returns NULL if the image of @cut, @mode passes, else what is wrong. */
static const char *check_image(struct simdev *img, size_t cut, int mode,
			       unsigned int c)
{
	struct cairn_pool *pool = NULL;
	const char *why = NULL;
	unsigned int m;

	img->record = false;
	if (cairn_pool_open(&sim_io_ops, img, NR_DEVS, false, &pool, &why))
		return why ? why : "the pool does not open";
	if (cairn_pool_check(pool, &why)) {
		why = why ? why : "the consistency check fails";
		goto out;
	}
	if (snap_matches(&snaps[c], pool)) {
		m = c;
	} else if (c + 1 < nr_snaps && snaps[c + 1].start_op < cut &&
		   snap_matches(&snaps[c + 1], pool)) {
		m = c + 1;
	} else {
		why = "volumes or mappings match no commit";
		goto out;
	}
	if (!check_data(img, pool, &snaps[m], &snaps[c], cut, &why))
		why = NULL;
out:
	cairn_pool_free(pool);
	return why;
}

static void check_cut(struct simdev *img, const struct simdev *log,
		      size_t cut, const size_t *next_flush, int mode)
{
	const char *why;
	unsigned int c = 0, i;
	size_t nr_late;
	u64 print;

	for (i = 0; i < nr_snaps; i++)
		if (snaps[i].done_op <= cut)
			c = i;
	rng = image_rng(cur_seed, cut, mode);
	nr_late = build_image(img, log, cut, next_flush, mode, &print);
	images++;
	why = check_image(img, cut, mode, c);
	if (why)
		violation(cut, mode, why);
	if (trace)
		printf("crash: seed %llu cut %zu mode %d late %zu order %016llx: %s\n",
		       (unsigned long long)cur_seed, cut, mode, nr_late,
		       (unsigned long long)print, why ? why : "ok");
}

static void run_seed(u64 seed, unsigned int steps)
{
	u64 sizes[NR_DEVS] = { 64ULL << 8, 80ULL << 8, 96ULL << 8 };	/* MiB in blocks */
	struct cairn_pool_params p = {
		.name = "crash",
		.chunk_shift = 16,
		.journal_blocks = 16,
	};
	struct cairn_pool *pool = NULL;
	struct simdev sim, img;
	size_t *next_flush, last[NR_DEVS], i, cut;
	const char *why;
	unsigned int k;

	cur_seed = seed;
	rng = seed * 0x9e3779b97f4a7c15ULL + 1;
	stepwise = seed & 1;
	dirty = false;
	memset(model, 0, sizeof(model));
	nr_snaps = 0;
	memset(p.pool_uuid, 0x5a, CAIRN_UUID_SIZE);
	p.pool_uuid[0] = seed;
	for (k = 0; k < NR_DEVS; k++)
		memset(p.member_uuid[k], 0x30 + k, CAIRN_UUID_SIZE);

	sim_init(&sim, NR_DEVS, sizes);
	CHECK_EQ(cairn_pool_create(&sim_io_ops, &sim, NR_DEVS, sizes, &p, &pool, &why), 0);
	/* The state after creation is the base of every image. */
	sim_init(&base, NR_DEVS, sizes);
	for (i = 0; i < sim.nr_slots; i++)
		if (sim.slots[i].key)
			sim_put(&base, (sim.slots[i].key - 1) >> 56,
				(sim.slots[i].key - 1) & ((1ULL << 56) - 1),
				sim.slots[i].data, true);
	sim.record = true;
	take_snap(0, 0);
	for (k = 0; k < steps; k++)
		workload_step(&sim, pool);
	cairn_pool_free(pool);

	/* For each write, the first flush of its device after it. */
	next_flush = malloc((sim.nr_ops + 1) * sizeof(*next_flush));
	for (k = 0; k < NR_DEVS; k++)
		last[k] = SIZE_MAX;
	for (i = sim.nr_ops; i-- > 0;) {
		const struct sim_op *op = &sim.ops[i];

		if (op->kind == SIM_FLUSH)
			last[op->dev] = i;
		next_flush[i] = last[op->dev];
	}

	sim_init(&img, NR_DEVS, sizes);
	for (cut = 0; cut <= sim.nr_ops; cut++, cut_index++) {
		if (cut_index % nr_workers != worker)
			continue;
		cuts++;
		check_cut(&img, &sim, cut, next_flush, 0);
		check_cut(&img, &sim, cut, next_flush, 1);
		check_cut(&img, &sim, cut, next_flush, 2);
	}
	sim_destroy(&img);
	sim_destroy(&base);
	sim_destroy(&sim);
	free(next_flush);
	for (k = 0; k < MAX_VOLS; k++)
		for (i = 0; i < VOL_BLOCKS; i++)
			free(model[k].hist[i]);
}

/* What a worker sends back through its pipe. */
struct tally {
	unsigned long cuts, images, violations;
	unsigned int checks, failed;
};

/* Worker @k: its share of the cut points, its counts to @fd. */
static int run_worker(unsigned int k, int fd, u64 seed, unsigned long want)
{
	struct tally t;
	const char *p;
	size_t done = 0;
	ssize_t n;

	worker = k;
	if (trace)
		setvbuf(stdout, NULL, _IOLBF, 0);	/* whole lines per write */
	while (cut_index < want)
		run_seed(seed++, 150);
	memset(&t, 0, sizeof(t));
	t.cuts = cuts;
	t.images = images;
	t.violations = violations;
	t.checks = unit_checks;
	t.failed = unit_failed;
	for (p = (const char *)&t; done < sizeof(t); done += n) {
		n = write(fd, p + done, sizeof(t) - done);
		if (n < 0 && errno == EINTR)
			n = 0;
		else if (n <= 0)
			return 1;
	}
	return unit_failed ? 1 : 0;
}

/* Reads worker @k's tally from @fd and reaps it; false if it failed. */
static bool reap_worker(unsigned int k, pid_t pid, int fd, struct tally *sum)
{
	struct tally t;
	size_t got = 0;
	ssize_t n;
	bool ok = true;
	int status;

	while (got < sizeof(t)) {
		n = read(fd, (char *)&t + got, sizeof(t) - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += n;
	}
	close(fd);
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			fprintf(stderr, "crash: worker %u (pid %d): waitpid: %s\n",
				k, (int)pid, strerror(errno));
			return false;
		}
	}
	if (WIFSIGNALED(status)) {
		fprintf(stderr, "crash: worker %u (pid %d) killed by signal %d (%s)\n",
			k, (int)pid, WTERMSIG(status), strsignal(WTERMSIG(status)));
		ok = false;
	} else if (WEXITSTATUS(status)) {
		fprintf(stderr, "crash: worker %u (pid %d) exited with status %d\n",
			k, (int)pid, WEXITSTATUS(status));
		ok = false;
	}
	if (got < sizeof(t)) {
		fprintf(stderr, "crash: worker %u (pid %d) sent no counts\n", k, (int)pid);
		return false;
	}
	sum->cuts += t.cuts;
	sum->images += t.images;
	sum->violations += t.violations;
	sum->checks += t.checks;
	sum->failed += t.failed;
	return ok;
}

/* CRASH_WORKERS, else the online CPUs (at most MAX_WORKERS); 0 if bad. */
static unsigned int workers_wanted(void)
{
	const char *env = getenv("CRASH_WORKERS");
	unsigned long n;
	long cpus;
	char *end;

	if (env) {
		errno = 0;
		n = strtoul(env, &end, 10);
		if (errno || end == env || *end || n < 1 || n > 64) {
			fprintf(stderr, "crash: CRASH_WORKERS=%s: want 1 to 64 workers\n",
				env);
			return 0;
		}
		return n;
	}
	cpus = sysconf(_SC_NPROCESSORS_ONLN);
	if (cpus < 1)
		return 1;
	return cpus < MAX_WORKERS ? cpus : MAX_WORKERS;
}

int main(void)
{
	const char *env = getenv("CRASH_CUTS");
	unsigned long want = env ? strtoul(env, NULL, 0) : 2500;
	u64 seed = getenv("CRASH_SEED") ? strtoull(getenv("CRASH_SEED"), NULL, 0) : 1;
	pid_t pids[64];
	int fds[64], pfd[2];
	struct tally sum;
	unsigned int k, started;
	bool ok = true;

	trace = getenv("CRASH_TRACE") && strcmp(getenv("CRASH_TRACE"), "0");
	nr_workers = workers_wanted();
	if (!nr_workers)
		return 2;
	printf("crash: %u workers\n", nr_workers);
	fflush(stdout);
	fflush(stderr);
	for (started = 0; started < nr_workers; started++) {
		if (pipe(pfd)) {
			perror("crash: pipe");
			ok = false;
			break;
		}
		pids[started] = fork();
		if (pids[started] < 0) {
			perror("crash: fork");
			close(pfd[0]);
			close(pfd[1]);
			ok = false;
			break;
		}
		if (!pids[started]) {
			/* The read ends of earlier workers are the parent's. */
			for (k = 0; k < started; k++)
				close(fds[k]);
			close(pfd[0]);
			exit(run_worker(started, pfd[1], seed, want));
		}
		close(pfd[1]);
		fds[started] = pfd[0];
	}
	memset(&sum, 0, sizeof(sum));
	for (k = 0; k < started; k++)
		if (!reap_worker(k, pids[k], fds[k], &sum))
			ok = false;

	cuts = sum.cuts;
	images = sum.images;
	violations = sum.violations;
	unit_checks = sum.checks;
	unit_failed = sum.failed;
	CHECK(ok);
	CHECK_EQ(violations, 0);
	unit_finish("crash");
	printf("crash: %lu cut points, %lu images, %lu violations\n",
	       cuts, images, violations);
	return unit_failed ? 1 : 0;
}
