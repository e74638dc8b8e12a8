// SPDX-License-Identifier: GPL-2.0
/*
 * The mirror area (kmod/core/mmeta.c): the codec and its refusals, region
 * sizes, claiming slots, writing copies A and B in turn, reopening, a torn
 * copy, two damaged copies, a deleted volume's slot, and pools made before
 * the mirror feature.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/pool.h"
#include "simdev.h"
#include "unit.h"

#define MIB_BLOCKS(n) ((u64)(n) << (20 - CAIRN_BLOCK_SHIFT))

static const u8 pool_uuid[CAIRN_UUID_SIZE] = { 0x77, 0x77, 0x77, 0x77 };

static struct cairn_pool_params params(bool old_format)
{
	struct cairn_pool_params p = {
		.name = "p0",
		.chunk_shift = 16,
		.nospace_policy = CAIRN_NOSPACE_FAIL,
		.journal_blocks = 32,
		.no_mirror_area = old_format,
	};

	memset(p.pool_uuid, 0x77, CAIRN_UUID_SIZE);
	memset(p.member_uuid[0], 0x20, CAIRN_UUID_SIZE);
	return p;
}

static void sample(struct cairn_mirror_meta *m)
{
	memset(m, 0, sizeof(*m));
	m->volume = 3;
	memset(m->uuid, 0x33, sizeof(m->uuid));
	m->role = 1;
	m->disk = CAIRN_DMIRROR_CONSISTENT;
	m->gen_current = 0x1122334455667788ULL;
	m->gen_bitmap = 42;
	m->gen_history[0] = 7;
	m->region_shift = 20;
	m->nr_regions = 1000;
	strcpy(m->peer, "node-b");
	m->bits[0] = 0x81;
	m->bits[124] = 0x80;		/* region 999, the last */
}

static void test_codec(void)
{
	struct cairn_mirror_meta m, out;
	u8 block[CAIRN_BLOCK_SIZE];
	const char *why = NULL;
	u64 seq = 0;

	sample(&m);
	cairn_mmeta_encode(&m, block, 900, 5, pool_uuid);
	CHECK_EQ(cairn_mmeta_decode(block, 900, pool_uuid, &out, &seq, &why), 0);
	CHECK_EQ(seq, 5);
	CHECK(!memcmp(&m, &out, sizeof(m)));
	/* Misplaced, another pool. */
	CHECK_EQ(cairn_mmeta_decode(block, 901, pool_uuid, &out, &seq, &why), -EBADMSG);
	/* A bit past the last region. */
	m.bits[125] = 1;
	cairn_mmeta_encode(&m, block, 900, 5, pool_uuid);
	CHECK_EQ(cairn_mmeta_decode(block, 900, pool_uuid, &out, &seq, &why), -EUCLEAN);
	CHECK(!strcmp(why, "mirror slot: a bit is set past the last region"));
	sample(&m);
	strcpy(m.peer, "bad/name");
	cairn_mmeta_encode(&m, block, 900, 5, pool_uuid);
	CHECK_EQ(cairn_mmeta_decode(block, 900, pool_uuid, &out, &seq, &why), -EUCLEAN);
	CHECK(!strcmp(why, "mirror slot: invalid peer name"));
	sample(&m);
	m.role = 3;
	cairn_mmeta_encode(&m, block, 900, 5, pool_uuid);
	CHECK_EQ(cairn_mmeta_decode(block, 900, pool_uuid, &out, &seq, &why), -EUCLEAN);
	CHECK(!strcmp(why, "mirror slot: role out of range"));
	sample(&m);
	m.nr_regions = CAIRN_MIRROR_BITS + 1;
	cairn_mmeta_encode(&m, block, 900, 5, pool_uuid);
	CHECK_EQ(cairn_mmeta_decode(block, 900, pool_uuid, &out, &seq, &why), -EUCLEAN);
	CHECK(!strcmp(why, "mirror slot: region size or count out of range"));
	sample(&m);
	m.disk = 3;
	cairn_mmeta_encode(&m, block, 900, 5, pool_uuid);
	CHECK_EQ(cairn_mmeta_decode(block, 900, pool_uuid, &out, &seq, &why), -EUCLEAN);
	CHECK(!strcmp(why, "mirror slot: data state out of range"));
	/* A free slot carries nothing but its header. */
	cairn_mmeta_encode(NULL, block, 900, 5, pool_uuid);
	CHECK_EQ(cairn_mmeta_decode(block, 900, pool_uuid, &out, &seq, &why), 0);
	CHECK_EQ(out.volume, 0);
	block[200] = 1;
	cairn_block_seal(block, CAIRN_BLOCK_MIRROR, 900, 5, pool_uuid);
	CHECK_EQ(cairn_mmeta_decode(block, 900, pool_uuid, &out, &seq, &why), -EUCLEAN);
	CHECK(!strcmp(why, "free mirror slot is not zero"));
}

static void test_region_shift(void)
{
	/* 1 GiB at 64 KiB: 16384 regions, the grain itself. */
	CHECK_EQ(cairn_mmeta_region_shift(1ULL << 30, 16), 16);
	/* 2 TiB at 1 MiB: 128 MiB regions (16384 of them). */
	CHECK_EQ(cairn_mmeta_region_shift(2ULL << 40, 20), 27);
	CHECK((2ULL << 40) >> cairn_mmeta_region_shift(2ULL << 40, 20) <=
	      CAIRN_MIRROR_BITS);
	CHECK_EQ(cairn_mmeta_region_shift(4096, 16), 16);
}

/* The owner's write of a slot's next copy, as cairn.ko does it. */
static int write_slot(struct cairn_pool *pool, struct simdev *s,
		      unsigned int slot, const struct cairn_mirror_meta *m)
{
	u8 block[CAIRN_BLOCK_SIZE];
	u64 loc = cairn_mmeta_next(pool, slot, m, block);
	int r = sim_io_ops.write(s, pool->sb.meta_member, loc, block);

	if (!r)
		r = sim_io_ops.flush(s, pool->sb.meta_member);
	if (!r)
		cairn_mmeta_done(pool, slot, m);
	return r;
}

static void test_pool(void)
{
	u64 sizes[1] = { MIB_BLOCKS(64) };
	struct cairn_pool_params p = params(false);
	struct cairn_pool *pool = NULL;
	struct cairn_volume *a, *b;
	struct cairn_mirror_meta m;
	const struct cairn_mirror_meta *got;
	const char *why = NULL;
	u8 uuid[CAIRN_UUID_SIZE];
	u8 junk[CAIRN_BLOCK_SIZE];
	struct simdev s;
	int slot, slot_b;
	u64 loc, mstart;

	sim_init(&s, 1, sizes);
	CHECK_EQ(cairn_pool_create(&sim_io_ops, &s, 1, sizes, &p, &pool, &why), 0);
	CHECK(cairn_mmeta_supported(pool));
	mstart = pool->sb.mirror_start;
	CHECK(mstart > pool->sb.journal_start);
	memset(uuid, 0xa1, sizeof(uuid));
	CHECK_EQ(cairn_volume_create(pool, "vm01", uuid, 1 << 30, &a), 0);
	memset(uuid, 0xb2, sizeof(uuid));
	CHECK_EQ(cairn_volume_create(pool, "vm02", uuid, 1 << 30, &b), 0);
	CHECK_EQ(cairn_commit(pool), 0);
	CHECK_EQ(cairn_mmeta_find(pool, a), -ENOENT);

	slot = cairn_mmeta_claim(pool, a);
	CHECK_EQ(slot, 0);
	slot_b = cairn_mmeta_claim(pool, b);
	CHECK_EQ(slot_b, 1);
	CHECK_EQ(cairn_mmeta_find(pool, b), 1);
	memcpy(&m, cairn_mmeta_get(pool, slot), sizeof(m));
	CHECK_EQ(m.volume, a->id);
	m.role = 1;
	m.disk = CAIRN_DMIRROR_CONSISTENT;
	m.gen_current = 1111;
	m.region_shift = 16;
	m.nr_regions = 16384;
	memset(m.bits, 0xff, 16384 / 8);
	CHECK_EQ(write_slot(pool, &s, slot, &m), 0);	/* copy B, seq 1 */
	m.gen_current = 2222;
	m.gen_bitmap = 1111;
	memset(m.bits, 0, sizeof(m.bits));
	m.bits[10] = 0x0f;
	CHECK_EQ(write_slot(pool, &s, slot, &m), 0);	/* copy A, seq 2 */
	/* vm02's slot: written once, then the volume is deleted. */
	memcpy(&m, cairn_mmeta_get(pool, slot_b), sizeof(m));
	m.role = 2;
	m.region_shift = 16;
	m.nr_regions = 16384;
	CHECK_EQ(write_slot(pool, &s, slot_b, &m), 0);
	CHECK_EQ(cairn_volume_delete(pool, b), 0);
	CHECK_EQ(cairn_mmeta_find(pool, a), 0);
	CHECK(!cairn_mmeta_get(pool, slot_b));
	CHECK_EQ(cairn_pool_close(pool), 0);

	/* Reopened: vm01's newest copy; vm02's slot is free. */
	CHECK_EQ(cairn_pool_open(&sim_io_ops, &s, 1, false, &pool, &why), 0);
	a = cairn_volume_find(pool, "vm01");
	CHECK(a);
	slot = cairn_mmeta_find(pool, a);
	CHECK_EQ(slot, 0);
	got = cairn_mmeta_get(pool, slot);
	CHECK_EQ(got->gen_current, 2222);
	CHECK_EQ(got->gen_bitmap, 1111);
	CHECK_EQ(got->bits[10], 0x0f);
	CHECK_EQ(got->bits[11], 0);
	CHECK(!cairn_mmeta_get(pool, 1));
	/* A third write goes to copy B (seq 3); then tear it. */
	memcpy(&m, got, sizeof(m));
	m.gen_current = 3333;
	loc = cairn_mmeta_next(pool, slot, &m, junk);
	CHECK_EQ(loc, pool->sb.mirror_start + 1);
	junk[1000] ^= 1;	/* a torn write */
	CHECK_EQ(sim_io_ops.write(&s, 0, loc, junk), 0);
	CHECK_EQ(cairn_pool_close(pool), 0);
	CHECK_EQ(cairn_pool_open(&sim_io_ops, &s, 1, false, &pool, &why), 0);
	got = cairn_mmeta_get(pool, 0);
	CHECK(got);
	CHECK_EQ(got->gen_current, 2222);	/* copy A stands */
	/* The next write goes over the torn copy, not over A. */
	memcpy(&m, got, sizeof(m));
	loc = cairn_mmeta_next(pool, 0, &m, junk);
	CHECK_EQ(loc, pool->sb.mirror_start + 1);
	CHECK_EQ(cairn_pool_close(pool), 0);

	/* Both copies damaged: the pool refuses to guess. */
	memset(junk, 0x5a, sizeof(junk));
	sim_put(&s, 0, mstart, junk, true);
	CHECK_EQ(cairn_pool_open(&sim_io_ops, &s, 1, false, &pool, &why), -EUCLEAN);
	CHECK(!strcmp(why, "metadata block checksum mismatch"));
	sim_destroy(&s);
}

static void test_old_format(void)
{
	u64 sizes[1] = { MIB_BLOCKS(64) };
	struct cairn_pool_params p = params(true);
	struct cairn_pool *pool = NULL;
	struct cairn_volume *a;
	const char *why = NULL;
	u8 uuid[CAIRN_UUID_SIZE];
	struct simdev s;

	sim_init(&s, 1, sizes);
	CHECK_EQ(cairn_pool_create(&sim_io_ops, &s, 1, sizes, &p, &pool, &why), 0);
	CHECK(!cairn_mmeta_supported(pool));
	CHECK_EQ(pool->sb.feature_incompat, 0);
	CHECK_EQ(pool->sb.mirror_start, 0);
	memset(uuid, 0xa1, sizeof(uuid));
	CHECK_EQ(cairn_volume_create(pool, "vm01", uuid, 1 << 30, &a), 0);
	CHECK_EQ(cairn_mmeta_claim(pool, a), -EOPNOTSUPP);
	CHECK_EQ(cairn_pool_close(pool), 0);
	CHECK_EQ(cairn_pool_open(&sim_io_ops, &s, 1, false, &pool, &why), 0);
	CHECK(cairn_volume_find(pool, "vm01"));
	CHECK_EQ(cairn_pool_close(pool), 0);
	sim_destroy(&s);
}

int main(void)
{
	test_codec();
	test_region_shift();
	test_pool();
	test_old_format();
	return unit_finish("mmeta");
}
