// SPDX-License-Identifier: GPL-2.0
/*
 * The pool (kmod/core/pool.c) on simulated devices: creation and its
 * refusals, volumes, allocation spread, discard, out of space, thresholds,
 * persistence and replay, metadata failures, adding members, reassembly.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/pool.h"
#include "simdev.h"
#include "unit.h"

#define MIB_BLOCKS(n) ((u64)(n) << (20 - CAIRN_BLOCK_SHIFT))

static struct cairn_pool_params params(unsigned int nr)
{
	struct cairn_pool_params p = {
		.name = "p0",
		.chunk_shift = 16,
		.low_water_pct = 0,
		.nospace_policy = CAIRN_NOSPACE_FAIL,
		.journal_blocks = 32,
	};
	unsigned int i;

	memset(p.pool_uuid, 0x77, CAIRN_UUID_SIZE);
	for (i = 0; i < nr; i++)
		memset(p.member_uuid[i], 0x20 + i, CAIRN_UUID_SIZE);
	return p;
}

static unsigned int count_events(struct simdev *s, enum cairn_event_type t,
				 u64 value)
{
	unsigned int i, n = 0;

	for (i = 0; i < s->nr_events && i < ARRAY_SIZE(s->events); i++)
		if (s->events[i].type == t && s->events[i].value == value)
			n++;
	return n;
}

static void test_create_refusals(void)
{
	u64 sizes[3] = { MIB_BLOCKS(64), MIB_BLOCKS(96), MIB_BLOCKS(128) };
	struct cairn_pool_params p = params(3);
	struct cairn_pool *pool = NULL;
	const char *why = NULL;
	struct simdev s;

	sim_init(&s, 3, sizes);
	p.name = "bad name";
	CHECK_EQ(cairn_pool_create(&sim_io_ops, &s, 3, sizes, &p, &pool, &why), -EINVAL);
	p = params(3);
	p.chunk_shift = 15;
	CHECK_EQ(cairn_pool_create(&sim_io_ops, &s, 3, sizes, &p, &pool, &why), -EINVAL);
	p = params(3);
	p.low_water_pct = 101;
	CHECK_EQ(cairn_pool_create(&sim_io_ops, &s, 3, sizes, &p, &pool, &why), -EINVAL);
	p = params(3);
	memcpy(p.member_uuid[2], p.member_uuid[0], CAIRN_UUID_SIZE);
	CHECK_EQ(cairn_pool_create(&sim_io_ops, &s, 3, sizes, &p, &pool, &why), -EINVAL);
	p = params(3);
	sizes[1] = MIB_BLOCKS(63);
	CHECK_EQ(cairn_pool_create(&sim_io_ops, &s, 3, sizes, &p, &pool, &why), -ENOSPC);
	CHECK(!strcmp(why, "a device is smaller than 64 MiB"));
	CHECK_EQ(cairn_pool_create(&sim_io_ops, &s, 0, sizes, &p, &pool, &why), -EINVAL);
	CHECK_EQ(cairn_pool_create(&sim_io_ops, &s, 65, sizes, &p, &pool, &why), -EINVAL);
	/* A refusal writes nothing at all. */
	CHECK_EQ(s.writes, 0);
	CHECK_EQ(s.used, 0);
	/* Opening devices that hold no pool: a clear refusal. */
	CHECK_EQ(cairn_pool_open(&sim_io_ops, &s, 3, false, &pool, &why), -EINVAL);
	CHECK(!strcmp(why, "not a Cairn pool member (no superblock magic)"));
	sim_destroy(&s);
}

/* A pool on the first @nr of @nr_sim simulated devices. */
static struct cairn_pool *make_pool_on(struct simdev *s, unsigned int nr_sim,
				       unsigned int nr, const u64 *sizes)
{
	struct cairn_pool_params p = params(nr);
	struct cairn_pool *pool = NULL;
	const char *why = NULL;

	sim_init(s, nr_sim, sizes);
	s->nr_devs = nr;
	CHECK_EQ(cairn_pool_create(&sim_io_ops, s, nr, sizes, &p, &pool, &why), 0);
	if (!pool) {
		fprintf(stderr, "create: %s\n", why);
		exit(1);
	}
	return pool;
}

static struct cairn_pool *make_pool(struct simdev *s, unsigned int nr,
				    const u64 *sizes)
{
	return make_pool_on(s, nr, nr, sizes);
}

static struct cairn_pool *reopen(struct simdev *s, struct cairn_pool *pool,
				 bool crash)
{
	const char *why = NULL;

	if (crash)
		cairn_pool_free(pool);
	else
		CHECK_EQ(cairn_pool_close(pool), 0);
	pool = NULL;
	CHECK_EQ(cairn_pool_open(&sim_io_ops, s, s->nr_devs, false, &pool, &why), 0);
	if (!pool) {
		fprintf(stderr, "reopen: %s\n", why);
		exit(1);
	}
	CHECK_EQ(cairn_pool_check(pool, &why), 0);
	return pool;
}

static void test_volumes_and_allocation(void)
{
	u64 sizes[3] = { MIB_BLOCKS(64), MIB_BLOCKS(128), MIB_BLOCKS(192) };
	u8 uuid[CAIRN_UUID_SIZE] = { 1 };
	struct cairn_volume *a, *b;
	struct cairn_pool *pool;
	unsigned int per[3] = { 0 }, i;
	const char *why = NULL;
	struct simdev s;
	u64 pchunk, cap;
	u32 member;

	pool = make_pool(&s, 3, sizes);
	cap = pool->capacity;
	CHECK(cap > 6000 && cap < 6144);	/* 384 MiB of 64 KiB chunks, less metadata */
	CHECK_EQ(pool->mode, CAIRN_MODE_WRITE);

	CHECK_EQ(cairn_volume_create(pool, "vm01", uuid, 1ULL << 50, &a), 0);	/* 1 PiB */
	CHECK_EQ(cairn_volume_create(pool, "vm01", uuid, 1 << 20, NULL), -EEXIST);
	CHECK_EQ(cairn_volume_create(pool, "bad/name", uuid, 1 << 20, NULL), -EINVAL);
	CHECK_EQ(cairn_volume_create(pool, "odd", uuid, 1000, NULL), -EINVAL);
	CHECK_EQ(cairn_volume_create(pool, "huge", uuid, 1ULL << 62, NULL), -EFBIG);
	CHECK_EQ(cairn_volume_create(pool, "vm02", uuid, 64 << 20, &b), 0);
	CHECK_EQ(cairn_volume_resize(pool, b, 32 << 20), -EOPNOTSUPP);
	CHECK_EQ(cairn_volume_resize(pool, b, 128 << 20), 0);
	CHECK(cairn_volume_find(pool, "vm02") == b);

	/* Consecutive chunks spread over members in proportion to free space. */
	for (i = 0; i < 600; i++) {
		CHECK_EQ(cairn_provision(pool, a, i, &member, &pchunk), 0);
		per[member]++;
	}
	CHECK(per[0] > 80 && per[0] < 120);	/* 1/6 of 600 */
	CHECK(per[1] > 180 && per[1] < 220);	/* 2/6 */
	CHECK(per[2] > 280 && per[2] < 320);	/* 3/6 */
	CHECK_EQ(cairn_provision(pool, a, 5, &member, &pchunk), -EEXIST);
	CHECK_EQ(cairn_provision(pool, b, 2048, &member, &pchunk), -EINVAL);
	CHECK_EQ(cairn_lookup(a, 5, &member, &pchunk), 1);
	CHECK_EQ(cairn_lookup(a, 600, &member, &pchunk), 0);
	/* A chunk far out in the 1 PiB volume. */
	CHECK_EQ(cairn_provision(pool, a, (1ULL << 34) - 1, &member, &pchunk), 0);
	CHECK_EQ(a->nr_mapped, 601);
	CHECK_EQ(cairn_pool_check(pool, &why), 0);

	/* Persistence through a clean close, and through replay after a crash. */
	CHECK_EQ(cairn_commit(pool), 0);
	pool = reopen(&s, pool, false);
	a = cairn_volume_find(pool, "vm01");
	b = cairn_volume_find(pool, "vm02");
	CHECK(a && b);
	CHECK_EQ(a->nr_mapped, 601);
	CHECK_EQ(b->size, 128 << 20);
	CHECK_EQ(cairn_provision(pool, b, 0, &member, &pchunk), 0);
	CHECK_EQ(cairn_commit(pool), 0);
	CHECK_EQ(cairn_provision(pool, b, 1, &member, &pchunk), 0);	/* not committed */
	pool = reopen(&s, pool, true);
	b = cairn_volume_find(pool, "vm02");
	CHECK_EQ(b->nr_mapped, 1);
	CHECK_EQ(cairn_lookup(b, 1, &member, &pchunk), 0);
	CHECK_EQ(pool->allocated, 602);

	/* Deleting a volume frees its chunks once committed. */
	a = cairn_volume_find(pool, "vm01");
	CHECK_EQ(cairn_volume_delete(pool, a), 0);
	CHECK_EQ(pool->allocated, 1);
	CHECK_EQ(cairn_pool_check(pool, &why), 0);
	CHECK_EQ(cairn_commit(pool), 0);
	pool = reopen(&s, pool, true);
	CHECK(!cairn_volume_find(pool, "vm01"));
	CHECK_EQ(pool->allocated, 1);
	CHECK_EQ(pool->nr_volumes, 1);
	cairn_pool_close(pool);
	sim_destroy(&s);
}

static void test_out_of_space_and_thresholds(void)
{
	u64 sizes[1] = { MIB_BLOCKS(64) };
	u8 uuid[CAIRN_UUID_SIZE] = { 2 };
	struct cairn_volume *v;
	struct cairn_pool *pool;
	const char *why = NULL;
	struct simdev s;
	u64 i, pchunk, cap;
	u32 member;

	pool = make_pool(&s, 1, sizes);
	cap = pool->capacity;
	CHECK_EQ(cairn_pool_set(pool, 50, CAIRN_NOSPACE_QUEUE, 30), 0);
	CHECK_EQ(cairn_volume_create(pool, "big", uuid, 1ULL << 40, &v), 0);
	for (i = 0; i < cap; i++)
		CHECK_EQ(cairn_provision(pool, v, i, &member, &pchunk), 0);
	CHECK_EQ(count_events(&s, CAIRN_EVENT_THRESHOLD, 1), 1);
	CHECK(!cairn_space_left(pool));
	CHECK_EQ(cairn_provision(pool, v, cap, &member, &pchunk), -ENOSPC);
	CHECK_EQ(pool->mode, CAIRN_MODE_OUT_OF_SPACE);
	CHECK_EQ(count_events(&s, CAIRN_EVENT_NO_SPACE, 0), 1);
	CHECK_EQ(count_events(&s, CAIRN_EVENT_MODE, CAIRN_MODE_OUT_OF_SPACE), 1);

	/* A freed chunk is not reused before its free is committed. */
	CHECK_EQ(cairn_discard(pool, v, 3), 0);
	CHECK(!cairn_space_left(pool));
	CHECK_EQ(cairn_provision(pool, v, cap, &member, &pchunk), -ENOSPC);
	CHECK_EQ(cairn_commit(pool), 0);
	CHECK_EQ(pool->mode, CAIRN_MODE_WRITE);
	CHECK(cairn_space_left(pool));
	CHECK_EQ(cairn_provision(pool, v, cap, &member, &pchunk), 0);
	CHECK(!cairn_space_left(pool));

	/* Down across the threshold: one event. */
	for (i = 0; i < cap; i++)
		CHECK_EQ(cairn_discard(pool, v, i), 0);
	CHECK_EQ(count_events(&s, CAIRN_EVENT_THRESHOLD, 0), 1);
	CHECK_EQ(count_events(&s, CAIRN_EVENT_THRESHOLD, 1), 1);
	CHECK_EQ(cairn_pool_check(pool, &why), 0);
	CHECK_EQ(cairn_commit(pool), 0);

	/* Settings persist. */
	pool = reopen(&s, pool, true);
	CHECK_EQ(pool->sb.low_water_pct, 50);
	CHECK_EQ(pool->sb.nospace_policy, CAIRN_NOSPACE_QUEUE);
	CHECK_EQ(pool->sb.nospace_timeout_s, 30);
	CHECK_EQ(pool->allocated, 1);
	CHECK_EQ(cairn_pool_set(pool, 101, 0, 0), -EINVAL);
	cairn_pool_close(pool);
	sim_destroy(&s);
}

static void test_metadata_failure(void)
{
	u64 sizes[2] = { MIB_BLOCKS(64), MIB_BLOCKS(64) };
	u8 uuid[CAIRN_UUID_SIZE] = { 3 };
	struct cairn_volume *v;
	struct cairn_pool *pool;
	struct simdev s;
	u64 pchunk;
	u32 member;

	pool = make_pool(&s, 2, sizes);
	CHECK_EQ(cairn_volume_create(pool, "v", uuid, 1 << 30, &v), 0);
	CHECK_EQ(cairn_commit(pool), 0);
	CHECK_EQ(cairn_provision(pool, v, 0, &member, &pchunk), 0);
	s.fail_in = 3;	/* the journal write after two flushes */
	CHECK_EQ(cairn_commit(pool), -EIO);
	CHECK_EQ(pool->mode, CAIRN_MODE_READ_ONLY);
	CHECK_EQ(count_events(&s, CAIRN_EVENT_META_ERROR, EIO), 1);
	CHECK_EQ(count_events(&s, CAIRN_EVENT_MODE, CAIRN_MODE_READ_ONLY), 1);
	CHECK_EQ(cairn_provision(pool, v, 1, &member, &pchunk), -EROFS);
	CHECK_EQ(cairn_commit(pool), -EROFS);
	/* Reopened, it is writable again at the last committed state. */
	pool = reopen(&s, pool, false);
	v = cairn_volume_find(pool, "v");
	CHECK_EQ(v->nr_mapped, 0);
	CHECK_EQ(pool->mode, CAIRN_MODE_WRITE);
	cairn_pool_close(pool);
	sim_destroy(&s);
}

static void test_members(void)
{
	u64 sizes[4] = { MIB_BLOCKS(64), MIB_BLOCKS(64), MIB_BLOCKS(80),
			 MIB_BLOCKS(64) };
	u8 uuid[CAIRN_UUID_SIZE] = { 4 }, mu[CAIRN_UUID_SIZE];
	struct cairn_pool_params p = params(1);
	struct cairn_pool *pool, *other = NULL;
	struct cairn_volume *v;
	const char *why = NULL;
	struct simdev s, t;
	u64 cap, i, pchunk;
	u32 member;

	pool = make_pool_on(&s, 4, 2, sizes);
	s.nr_devs = 4;	/* two more disks appear */
	cap = pool->capacity;
	CHECK_EQ(cairn_volume_create(pool, "v", uuid, 1ULL << 40, &v), 0);
	memset(mu, 0x20, sizeof(mu));	/* member 0's UUID */
	CHECK_EQ(cairn_pool_add_member(pool, 2, sizes[2], mu, &why), -EINVAL);
	memset(mu, 0x40, sizeof(mu));
	CHECK_EQ(cairn_pool_add_member(pool, 1, sizes[2], mu, &why), -EBUSY);
	CHECK_EQ(cairn_pool_add_member(pool, 2, MIB_BLOCKS(10), mu, &why), -ENOSPC);
	CHECK_EQ(cairn_pool_add_member(pool, 2, sizes[2], mu, &why), 0);
	CHECK_EQ(pool->sb.nr_members, 3);
	CHECK(pool->capacity > cap + 1200);
	for (i = 0; i < 300; i++)
		CHECK_EQ(cairn_provision(pool, v, i, &member, &pchunk), 0);
	CHECK_EQ(cairn_commit(pool), 0);

	/* Reassembly wants exactly the members, in any order. */
	cairn_pool_close(pool);
	s.nr_devs = 2;
	CHECK_EQ(cairn_pool_open(&sim_io_ops, &s, 2, false, &pool, &why), -ENODEV);
	CHECK(!strcmp(why, "a member of the pool is missing"));
	s.nr_devs = 4;	/* the fourth disk holds nothing */
	CHECK_EQ(cairn_pool_open(&sim_io_ops, &s, 4, false, &pool, &why), -EINVAL);
	s.nr_devs = 3;
	pool = NULL;
	CHECK_EQ(cairn_pool_open(&sim_io_ops, &s, 3, true, &pool, &why), 0);
	CHECK_EQ(cairn_pool_check(pool, &why), 0);
	v = cairn_volume_find(pool, "v");
	CHECK_EQ(v->nr_mapped, 300);
	CHECK_EQ(cairn_provision(pool, v, 400, &member, &pchunk), -EROFS);
	cairn_pool_close(pool);

	/* A member of another pool is refused. */
	sim_init(&t, 1, sizes);
	memset(p.pool_uuid, 0x99, CAIRN_UUID_SIZE);
	CHECK_EQ(cairn_pool_create(&sim_io_ops, &t, 1, sizes, &p, &other, &why), 0);
	cairn_pool_close(other);
	sim_put(&s, 3, 0, sim_peek(&t, 0, 0), true);
	sim_put(&s, 3, 1, sim_peek(&t, 0, 1), true);
	s.nr_devs = 4;
	CHECK_EQ(cairn_pool_open(&sim_io_ops, &s, 4, false, &pool, &why), -EXDEV);
	CHECK(!strcmp(why, "a device belongs to another pool"));
	sim_destroy(&t);
	sim_destroy(&s);
}

static void test_journal_wrap(void)
{
	u64 sizes[2] = { MIB_BLOCKS(64), MIB_BLOCKS(64) };
	u8 uuid[CAIRN_UUID_SIZE] = { 5 };
	struct cairn_volume *v;
	struct cairn_pool *pool;
	struct simdev s;
	u64 i, pchunk;
	u32 member;

	pool = make_pool(&s, 2, sizes);	/* 32-block journal */
	CHECK_EQ(cairn_volume_create(pool, "v", uuid, 1ULL << 32, &v), 0);
	for (i = 0; i < 2000; i++) {
		CHECK_EQ(cairn_provision(pool, v, i, &member, &pchunk), 0);
		if (i % 3 == 0)
			CHECK_EQ(cairn_discard(pool, v, i / 2), 0);
		if (i % 7 == 0)
			CHECK_EQ(cairn_commit(pool), 0);
	}
	CHECK_EQ(cairn_commit(pool), 0);
	i = v->nr_mapped;
	pool = reopen(&s, pool, true);
	CHECK_EQ(cairn_volume_find(pool, "v")->nr_mapped, i);
	cairn_pool_close(pool);
	sim_destroy(&s);
}

/* Copy every block of @from into @to. */
static void sim_copy(struct simdev *to, const struct simdev *from)
{
	size_t i;

	sim_init(to, from->nr_devs, from->nr_blocks);
	for (i = 0; i < from->nr_slots; i++)
		if (from->slots[i].key)
			sim_put(to, (from->slots[i].key - 1) >> 56,
				(from->slots[i].key - 1) & ((1ULL << 56) - 1),
				from->slots[i].data, true);
}

static void grow(struct cairn_pool *pool, unsigned int n)
{
	struct cairn_volume *v = cairn_volume_find(pool, "g");

	while (n--)
		CHECK_EQ(cairn_volume_resize(pool, v, v->size + CAIRN_BLOCK_SIZE), 0);
}

/*
 * Two crashes in a row.  A torn three-block commit (its first block lost)
 * is followed, after reopening, by a two-block commit torn after its first
 * block, at the same journal place.  Had the second commit reused the torn
 * one's sequence number, its first block and the torn commit's later two
 * would replay as one commit mixing two transactions.
 */
static void test_double_crash(void)
{
	u64 sizes[1] = { MIB_BLOCKS(64) };
	u8 uuid[CAIRN_UUID_SIZE] = { 6 };
	struct simdev s, before;
	struct cairn_pool *pool;
	u64 head, base_size;

	pool = make_pool(&s, 1, sizes);
	CHECK_EQ(cairn_volume_create(pool, "g", uuid, 1 << 20, NULL), 0);
	CHECK_EQ(cairn_commit(pool), 0);
	base_size = 1 << 20;
	head = pool->sb.journal_start + pool->journal_head;

	sim_copy(&before, &s);
	grow(pool, 70);			/* 70 volume records: three blocks */
	CHECK_EQ(cairn_commit(pool), 0);
	/* Lose the first block of that commit. */
	sim_put(&s, 0, head, sim_peek(&before, 0, head), true);
	sim_destroy(&before);
	pool = reopen(&s, pool, true);
	CHECK_EQ(cairn_volume_find(pool, "g")->size, base_size);
	CHECK_EQ(pool->sb.journal_start + pool->journal_head, head);

	sim_copy(&before, &s);
	grow(pool, 40);			/* two blocks, at the same place */
	CHECK_EQ(cairn_commit(pool), 0);
	/* Lose its second block: the torn commit's second block shows. */
	sim_put(&s, 0, head + 1, sim_peek(&before, 0, head + 1), true);
	sim_destroy(&before);
	pool = reopen(&s, pool, true);
	CHECK_EQ(cairn_volume_find(pool, "g")->size, base_size);
	cairn_pool_close(pool);
	sim_destroy(&s);
}

int main(void)
{
	test_create_refusals();
	test_volumes_and_allocation();
	test_out_of_space_and_thresholds();
	test_metadata_failure();
	test_members();
	test_journal_wrap();
	test_double_crash();
	return unit_finish("pool");
}
