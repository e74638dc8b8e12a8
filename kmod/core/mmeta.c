// SPDX-License-Identifier: GPL-2.0
/*
 * The mirror area: persistent state of mirrored volumes (see mmeta.h and
 * struct cairn_disk_mirror in format.h).
 */
#include "pool.h"
#include "mmeta.h"
#include "names.h"

void cairn_mmeta_encode(const struct cairn_mirror_meta *m, void *block,
			u64 location, u64 seq, const u8 *pool_uuid)
{
	struct cairn_disk_mirror *d = block;

	memset(block, 0, CAIRN_BLOCK_SIZE);
	if (m && m->volume) {
		d->volume = cpu_to_le32(m->volume);
		d->role = cpu_to_le32(m->role);
		memcpy(d->volume_uuid, m->uuid, CAIRN_UUID_SIZE);
		d->gen_current = cpu_to_le64(m->gen_current);
		d->gen_bitmap = cpu_to_le64(m->gen_bitmap);
		d->gen_history[0] = cpu_to_le64(m->gen_history[0]);
		d->gen_history[1] = cpu_to_le64(m->gen_history[1]);
		d->disk = cpu_to_le32(m->disk);
		d->region_shift = cpu_to_le32(m->region_shift);
		d->nr_regions = cpu_to_le32(m->nr_regions);
		memcpy(d->peer, m->peer, strnlen(m->peer, sizeof(d->peer)));
		memcpy(d->bits, m->bits, sizeof(d->bits));
	}
	cairn_block_seal(block, CAIRN_BLOCK_MIRROR, location, seq, pool_uuid);
}

static int cairn_mmeta_bad(const char **why, const char *what)
{
	*why = what;
	return -EUCLEAN;
}

int cairn_mmeta_decode(const void *block, u64 location, const u8 *pool_uuid,
		       struct cairn_mirror_meta *m, u64 *seq, const char **why)
{
	const struct cairn_disk_mirror *d = block;
	u32 n, i;
	int r;

	r = cairn_block_check(block, CAIRN_BLOCK_MIRROR, location, pool_uuid,
			      why);
	if (r)
		return r;
	*seq = le64_to_cpu(d->hdr.seq);
	memset(m, 0, sizeof(*m));
	m->volume = le32_to_cpu(d->volume);
	if (!m->volume) {
		if (!cairn_zero((const u8 *)block + sizeof(d->hdr),
				CAIRN_BLOCK_SIZE - sizeof(d->hdr)))
			return cairn_mmeta_bad(why, "free mirror slot is not zero");
		return 0;
	}
	m->role = le32_to_cpu(d->role);
	memcpy(m->uuid, d->volume_uuid, CAIRN_UUID_SIZE);
	m->gen_current = le64_to_cpu(d->gen_current);
	m->gen_bitmap = le64_to_cpu(d->gen_bitmap);
	m->gen_history[0] = le64_to_cpu(d->gen_history[0]);
	m->gen_history[1] = le64_to_cpu(d->gen_history[1]);
	m->disk = le32_to_cpu(d->disk);
	m->region_shift = le32_to_cpu(d->region_shift);
	m->nr_regions = le32_to_cpu(d->nr_regions);
	n = m->nr_regions;
	if (m->role != 1 && m->role != 2)
		return cairn_mmeta_bad(why, "mirror slot: role out of range");
	if (m->disk > CAIRN_DMIRROR_CONSISTENT)
		return cairn_mmeta_bad(why, "mirror slot: data state out of range");
	if (m->region_shift < CAIRN_BLOCK_SHIFT || m->region_shift > 62 ||
	    !n || n > CAIRN_MIRROR_BITS)
		return cairn_mmeta_bad(why, "mirror slot: region size or count out of range");
	memcpy(m->peer, d->peer, sizeof(d->peer));
	m->peer[sizeof(d->peer)] = '\0';
	if (m->peer[0] && cairn_name_check(m->peer, sizeof(m->peer)))
		return cairn_mmeta_bad(why, "mirror slot: invalid peer name");
	if (!cairn_zero(d->peer + strlen(m->peer), sizeof(d->peer) - strlen(m->peer)))
		return cairn_mmeta_bad(why, "mirror slot: peer name is not NUL-padded");
	if (d->reserved || !cairn_zero(d->padding, sizeof(d->padding)))
		return cairn_mmeta_bad(why, "mirror slot: reserved field is not zero");
	for (i = n; i < CAIRN_MIRROR_BITS; i++)
		if (d->bits[i / 8] & (1U << (i % 8)))
			return cairn_mmeta_bad(why,
					       "mirror slot: a bit is set past the last region");
	memcpy(m->bits, d->bits, sizeof(m->bits));
	return 0;
}

u32 cairn_mmeta_region_shift(u64 size, u32 grain_shift)
{
	u32 shift = grain_shift;

	while (shift < 62 && (size + (1ULL << shift) - 1) >> shift >
	       CAIRN_MIRROR_BITS)
		shift++;
	return shift;
}

bool cairn_mmeta_supported(const struct cairn_pool *pool)
{
	return pool->sb.feature_incompat & CAIRN_FEATURE_INCOMPAT_MIRROR;
}

static u64 cairn_mmeta_location(const struct cairn_pool *pool,
				unsigned int slot, unsigned int copy)
{
	return pool->sb.mirror_start + 2 * slot + copy;
}

static const struct cairn_volume *cairn_mmeta_volume(const struct cairn_pool *pool,
						     const struct cairn_mirror_meta *m)
{
	unsigned int i;

	for (i = 0; i < CAIRN_MAX_VOLUMES; i++) {
		const struct cairn_volume *v = pool->volumes[i];

		if (v && v->id == m->volume &&
		    !memcmp(v->uuid, m->uuid, CAIRN_UUID_SIZE))
			return v;
	}
	return NULL;
}

/*
 * Read both copies of @slot and keep the current one.  A copy that fails
 * its checks is a write torn by a crash when the other is sound; both
 * failing is damage the pool refuses to guess about.
 */
static int cairn_mmeta_load_slot(struct cairn_pool *pool, unsigned int slot,
				 struct cairn_mirror_meta *m, const char **why)
{
	unsigned int dev = pool->members[pool->sb.meta_member].dev;
	struct cairn_mslot *ms = &pool->mslots[slot];
	const char *bad = NULL;
	bool found = false;
	unsigned int c;
	u64 seq;
	int r;

	for (c = 0; c < 2; c++) {
		u64 loc = cairn_mmeta_location(pool, slot, c);

		r = pool->ops->read(pool->ctx, dev, loc, pool->buf);
		if (r) {
			*why = "mirror area read failed";
			return r;
		}
		r = cairn_mmeta_decode(pool->buf, loc, pool->sb.pool_uuid,
				       c == 0 ? m : m + 1, &seq, &bad);
		if (r)
			continue;
		if (!found || seq > ms->seq) {
			ms->seq = seq;
			ms->cur = c;
		}
		found = true;
	}
	if (!found) {
		*why = bad;
		return -EUCLEAN;
	}
	if (ms->cur)
		memcpy(m, m + 1, sizeof(*m));
	return 0;
}

int cairn_mmeta_load(struct cairn_pool *pool, const char **why)
{
	struct cairn_mirror_meta *m;
	unsigned int slot, other;
	int r = 0;

	if (!cairn_mmeta_supported(pool))
		return 0;
	m = cairn_zalloc(2 * sizeof(*m));
	if (!m)
		return -ENOMEM;
	for (slot = 0; slot < CAIRN_MIRROR_SLOTS; slot++) {
		r = cairn_mmeta_load_slot(pool, slot, m, why);
		if (r)
			break;
		/* A slot of a volume that is gone is free. */
		if (!m->volume || !cairn_mmeta_volume(pool, m))
			continue;
		for (other = 0; other < slot; other++) {
			const struct cairn_mirror_meta *o = pool->mslots[other].meta;

			if (o && o->volume == m->volume) {
				*why = "two mirror slots name the same volume";
				r = -EUCLEAN;
				goto out;
			}
		}
		pool->mslots[slot].meta = cairn_zalloc(sizeof(*m));
		if (!pool->mslots[slot].meta) {
			r = -ENOMEM;
			break;
		}
		memcpy(pool->mslots[slot].meta, m, sizeof(*m));
	}
out:
	cairn_free(m);
	return r;
}

void cairn_mmeta_free(struct cairn_pool *pool)
{
	unsigned int slot;

	for (slot = 0; slot < CAIRN_MIRROR_SLOTS; slot++) {
		cairn_free(pool->mslots[slot].meta);
		pool->mslots[slot].meta = NULL;
	}
}

int cairn_mmeta_find(const struct cairn_pool *pool,
		     const struct cairn_volume *v)
{
	unsigned int slot;

	for (slot = 0; slot < CAIRN_MIRROR_SLOTS; slot++) {
		const struct cairn_mirror_meta *m = pool->mslots[slot].meta;

		if (m && m->volume == v->id &&
		    !memcmp(m->uuid, v->uuid, CAIRN_UUID_SIZE))
			return slot;
	}
	return -ENOENT;
}

int cairn_mmeta_claim(struct cairn_pool *pool, const struct cairn_volume *v)
{
	struct cairn_mirror_meta *m;
	unsigned int slot;

	if (!cairn_mmeta_supported(pool))
		return -EOPNOTSUPP;
	for (slot = 0; slot < CAIRN_MIRROR_SLOTS; slot++)
		if (!pool->mslots[slot].meta)
			break;
	if (slot == CAIRN_MIRROR_SLOTS)
		return -ENOSPC;
	m = cairn_zalloc(sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->volume = v->id;
	memcpy(m->uuid, v->uuid, CAIRN_UUID_SIZE);
	pool->mslots[slot].meta = m;
	return slot;
}

void cairn_mmeta_release(struct cairn_pool *pool, unsigned int slot)
{
	cairn_free(pool->mslots[slot].meta);
	pool->mslots[slot].meta = NULL;
}

const struct cairn_mirror_meta *cairn_mmeta_get(const struct cairn_pool *pool,
						unsigned int slot)
{
	return pool->mslots[slot].meta;
}

u64 cairn_mmeta_next(struct cairn_pool *pool, unsigned int slot,
		     const struct cairn_mirror_meta *m, void *block)
{
	const struct cairn_mslot *ms = &pool->mslots[slot];
	u64 loc = cairn_mmeta_location(pool, slot, !ms->cur);

	cairn_mmeta_encode(m, block, loc, ms->seq + 1, pool->sb.pool_uuid);
	return loc;
}

void cairn_mmeta_done(struct cairn_pool *pool, unsigned int slot,
		      const struct cairn_mirror_meta *m)
{
	struct cairn_mslot *ms = &pool->mslots[slot];

	ms->cur = !ms->cur;
	ms->seq++;
	if (ms->meta && m && m != ms->meta)
		memcpy(ms->meta, m, sizeof(*m));
}
