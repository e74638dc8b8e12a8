// SPDX-License-Identifier: GPL-2.0
/*
 * The pool: members, thin volumes, allocation and the commit protocol.
 *
 * State
 * -----
 * The durable state of a pool is its volume table and, for every member,
 * its reverse map (which volume chunk each physical chunk holds).  Both are
 * arrays of fixed-size entries in sealed 4 KiB blocks, sized at creation for
 * the worst case (every chunk of every member mapped, CAIRN_MAX_VOLUMES
 * volumes), so metadata space can never run out.  In RAM the pool keeps a
 * copy of both, the forward map of each volume (built from the reverse maps
 * at open) and a bitmap of used chunks per member.
 *
 * Changes are not written in place when they are made.  Each one appends a
 * record to the open transaction (RMAP: "physical chunk P of member M now
 * holds chunk V of volume I, or nothing"; VOLUME: "volume slot S now holds
 * this entry"); records set absolute values, so replaying one twice is
 * harmless.
 *
 * Commit (cairn_commit, on every FLUSH/FUA and for every control change)
 * ------
 *   1. Flush every member.  Data written to newly provisioned chunks (and
 *      every write completed so far) is now durable, before any record that
 *      maps it can be.
 *   2. Write the transaction's records into consecutive journal blocks at
 *      the journal head, each sealed with the commit's sequence number S;
 *      the last one carries CAIRN_JOURNAL_COMMIT.
 *   3. Flush the metadata member.  The commit is durable; S + 1 is next.
 *   4. Chunks freed by the transaction become allocatable only now: until
 *      the commit is durable, a crash brings their old mapping back, so
 *      they must still hold their old data.
 *
 * Group commit (cairn.ko's data path).  Provisions and discards go on while
 * a commit is being written: commit_begin takes the open transaction (a
 * second buffer becomes the open one) and switches the free generation, so
 * chunks freed from then on (pending_free[new]) are not released by this
 * commit's step 4, which releases pending_free[old] only.  A provision's
 * record is added only once its chunk holds zeros and data (publish), so any
 * commit that carries it comes after the data write completed, and step 1
 * makes that data durable first.  Step 1 is skipped when nothing was written
 * since the last commit (the caller knows; an idle FLUSH costs nothing).
 *
 * Checkpoint (after a commit once half the journal is used, and at open and
 * close; the transaction is empty then, so RAM holds the committed state)
 * ----------
 *   1. Write every reverse-map and volume-table block changed since the last
 *      checkpoint, in place, from RAM.
 *   2. Flush every member written.
 *   3. Write the metadata member's superblock into its other slot, with the
 *      journal tail moved to the head and the sequence expected there.
 *   4. Flush the metadata member.  The journal space is free again.
 *
 * Open: the metadata member's newest valid superblock gives the journal
 * tail and its expected sequence.  The volume table and reverse maps are
 * read, then commits are replayed from the tail: a commit counts only if all
 * its blocks are valid (checksum, type, location, pool), consecutive and of
 * the expected sequence, ending with CAIRN_JOURNAL_COMMIT; replay stops at
 * the first that is not.  The next sequence is above any found anywhere in
 * the journal, so blocks of a torn commit can never be mistaken for a later
 * one.  Then the result is checkpointed.
 *
 * What a crash leaves behind, by step:
 *   - during commit steps 1-2, or step 3 before the flush completes: the
 *     journal ends at the previous commit, or at this one if all its blocks
 *     happened to land (allowed: the disk may keep more than it was asked);
 *     an incomplete commit is ignored.  Chunks it provisioned are free again.
 *   - during checkpoint steps 1-2: some blocks hold the new state, some the
 *     old; the superblock still names the old tail, and replaying from there
 *     re-applies every change since, giving the same state.  (A 4 KiB block
 *     write is assumed atomic; a torn block fails its checksum and the pool
 *     refuses to open, naming it, rather than guess.)
 *   - during checkpoint steps 3-4: the old or the new superblock is current;
 *     both lead to the same state.
 * Superblocks are chosen by their generation (the header's seq field of a
 * superblock), which every superblock write on any member increases.
 */
#include "pool.h"
#include "names.h"

/* ---- bitmaps ---- */

static bool cairn_test_bit(const u64 *map, u64 bit)
{
	return map[bit >> 6] & (1ULL << (bit & 63));
}

static void cairn_set_bit(u64 *map, u64 bit)
{
	map[bit >> 6] |= 1ULL << (bit & 63);
}

static u64 cairn_bitmap_words(u64 bits)
{
	return (bits + 63) >> 6;
}

/* ---- events and modes ---- */

static void cairn_event(struct cairn_pool *pool, enum cairn_event_type type,
			u64 value)
{
	struct cairn_event ev = {
		.type = type,
		.value = value,
		.allocated = pool->allocated,
		.capacity = pool->capacity,
	};

	if (pool->ops->event)
		pool->ops->event(pool->ctx, &ev);
}

static void cairn_set_mode(struct cairn_pool *pool, enum cairn_mode mode)
{
	if (pool->mode == mode)
		return;
	/* Nothing leaves READ_ONLY or FAILED but a reopen. */
	if (pool->mode >= CAIRN_MODE_READ_ONLY && mode < pool->mode)
		return;
	pool->mode = mode;
	cairn_event(pool, CAIRN_EVENT_MODE, mode);
}

/* The one funnel for failed metadata I/O. */
static int cairn_metadata_failed(struct cairn_pool *pool, int err)
{
	cairn_event(pool, CAIRN_EVENT_META_ERROR, (u64)-err);
	cairn_set_mode(pool, CAIRN_MODE_READ_ONLY);
	return err;
}

static void cairn_check_threshold(struct cairn_pool *pool)
{
	bool above;

	if (!pool->sb.low_water_pct)
		return;
	above = pool->allocated * 100 >=
		pool->capacity * pool->sb.low_water_pct;
	if (above != pool->threshold_above) {
		pool->threshold_above = above;
		cairn_event(pool, CAIRN_EVENT_THRESHOLD, above);
	}
}

static u64 cairn_free_chunks(const struct cairn_pool *pool)
{
	u64 n = 0;
	unsigned int i;

	for (i = 0; i < pool->sb.nr_members; i++) {
		const struct cairn_member *m = &pool->members[i];

		if (m->info.state == CAIRN_MEMBER_ACTIVE)
			n += m->info.nr_chunks - m->nr_used;
	}
	return n;
}

/* ---- volume table entries ---- */

static u64 cairn_size_chunks(const struct cairn_pool *pool, u64 size)
{
	u64 mask = (1ULL << pool->sb.chunk_shift) - 1;

	return (size >> pool->sb.chunk_shift) + ((size & mask) ? 1 : 0);
}

static int cairn_check_size(const struct cairn_pool *pool, u64 size)
{
	if (!size || size & (CAIRN_BLOCK_SIZE - 1))
		return -EINVAL;
	if (cairn_size_chunks(pool, size) > CAIRN_MAP_MAX_CHUNKS)
		return -EFBIG;
	return 0;
}

static int cairn_volume_decode(const struct cairn_pool *pool,
			       const struct cairn_disk_volume *d,
			       struct cairn_volume *v, const char **why)
{
	memset(v, 0, sizeof(*v));
	v->id = le32_to_cpu(d->id);
	if (!v->id) {
		if (!cairn_zero(d, sizeof(*d))) {
			*why = "empty volume slot is not zero";
			return -EUCLEAN;
		}
		return 0;
	}
	memcpy(v->name, d->name, CAIRN_VOLUME_NAME_SIZE);
	memcpy(v->uuid, d->uuid, CAIRN_UUID_SIZE);
	v->size = le64_to_cpu(d->size);
	v->create_seq = le64_to_cpu(d->create_seq);
	if (cairn_name_check(v->name, sizeof(v->name)) ||
	    !cairn_zero(d->name + strlen(v->name),
			CAIRN_VOLUME_NAME_SIZE - strlen(v->name))) {
		*why = "invalid volume name";
		return -EUCLEAN;
	}
	if (cairn_check_size(pool, v->size)) {
		*why = "invalid volume size";
		return -EUCLEAN;
	}
	if (d->flags || !cairn_zero(d->padding, sizeof(d->padding))) {
		*why = "reserved volume fields are not zero";
		return -EUCLEAN;
	}
	return 0;
}

static void cairn_volume_encode(const struct cairn_volume *v,
				struct cairn_disk_volume *d)
{
	memset(d, 0, sizeof(*d));
	if (!v)
		return;
	memcpy(d->name, v->name, strlen(v->name));
	memcpy(d->uuid, v->uuid, CAIRN_UUID_SIZE);
	d->size = cpu_to_le64(v->size);
	d->id = cpu_to_le32(v->id);
	d->create_seq = cpu_to_le64(v->create_seq);
}

/* ---- metadata block I/O ---- */

static int cairn_read_block(struct cairn_pool *pool, unsigned int member,
			    u64 block, u32 type, const char **why)
{
	int r;

	r = pool->ops->read(pool->ctx, pool->members[member].dev, block,
			    pool->buf);
	if (r) {
		*why = "metadata read failed";
		return r;
	}
	return cairn_block_check(pool->buf, type, block, pool->sb.pool_uuid,
				 why);
}

static int cairn_write_block(struct cairn_pool *pool, unsigned int member,
			     u64 block, u32 type)
{
	cairn_block_seal(pool->buf, type, block, pool->seq, pool->sb.pool_uuid);
	return pool->ops->write(pool->ctx, pool->members[member].dev, block,
				pool->buf);
}

static int cairn_flush(struct cairn_pool *pool, unsigned int member)
{
	return pool->ops->flush(pool->ctx, pool->members[member].dev);
}

static int cairn_flush_all(struct cairn_pool *pool)
{
	unsigned int i;
	int r;

	for (i = 0; i < pool->sb.nr_members; i++) {
		r = cairn_flush(pool, i);
		if (r)
			return r;
	}
	return 0;
}

static void cairn_encode_rmap_block(struct cairn_pool *pool,
				    struct cairn_member *m, u64 index)
{
	struct cairn_disk_rmap *d = (void *)(pool->buf +
					     sizeof(struct cairn_block_header));
	u64 first = index * CAIRN_RMAP_PER_BLOCK;
	unsigned int i;

	memset(pool->buf, 0, CAIRN_BLOCK_SIZE);
	for (i = 0; i < CAIRN_RMAP_PER_BLOCK; i++) {
		const struct cairn_rmap *e;

		if (first + i >= m->info.nr_chunks)
			break;
		e = &m->rmap[first + i];
		if (!e->volume)
			continue;
		d[i].vchunk = cpu_to_le64(e->vchunk);
		d[i].volume = cpu_to_le32(e->volume);
	}
}

static void cairn_encode_volume_block(struct cairn_pool *pool, u64 index)
{
	struct cairn_disk_volume *d = (void *)(pool->buf +
					       sizeof(struct cairn_block_header));
	unsigned int i;

	memset(pool->buf, 0, CAIRN_BLOCK_SIZE);
	for (i = 0; i < CAIRN_VOLUMES_PER_BLOCK; i++) {
		u64 slot = index * CAIRN_VOLUMES_PER_BLOCK + i;

		if (slot >= CAIRN_MAX_VOLUMES)
			break;
		cairn_volume_encode(pool->volumes[slot], &d[i]);
	}
}

/* Superblock of member @i, in its other slot; durable after a flush. */
static int cairn_write_super(struct cairn_pool *pool, unsigned int i)
{
	struct cairn_member *m = &pool->members[i];
	struct cairn_super *sb = &pool->sb;
	unsigned int slot = !m->sb_slot;
	int r;

	/* The per-member fields of the one in-RAM superblock, for this write. */
	sb->seq = ++pool->sb_gen;
	sb->member_index = i;
	memcpy(sb->member_uuid, m->info.uuid, CAIRN_UUID_SIZE);
	cairn_super_encode(sb, pool->buf, slot);
	sb->member_index = sb->meta_member;
	memcpy(sb->member_uuid, pool->members[sb->meta_member].info.uuid,
	       CAIRN_UUID_SIZE);
	r = pool->ops->write(pool->ctx, m->dev, slot, pool->buf);
	if (!r)
		m->sb_slot = slot;
	return r;
}

static int cairn_checkpoint(struct cairn_pool *pool)
{
	unsigned int i;
	u64 b;
	int r;

	for (i = 0; i < pool->sb.nr_members; i++) {
		struct cairn_member *m = &pool->members[i];
		u64 nr = CAIRN_RMAP_BLOCKS(m->info.nr_chunks);

		for (b = 0; b < nr; b++) {
			if (!cairn_test_bit(m->rmap_dirty, b))
				continue;
			cairn_encode_rmap_block(pool, m, b);
			r = cairn_write_block(pool, i, CAIRN_RMAP_START + b,
					      CAIRN_BLOCK_RMAP);
			if (r)
				return cairn_metadata_failed(pool, r);
		}
	}
	for (b = 0; b < CAIRN_VOLUME_BLOCKS; b++) {
		if (!cairn_test_bit(pool->volumes_dirty, b))
			continue;
		cairn_encode_volume_block(pool, b);
		r = cairn_write_block(pool, pool->sb.meta_member,
				      pool->sb.volumes_start + b,
				      CAIRN_BLOCK_VOLUMES);
		if (r)
			return cairn_metadata_failed(pool, r);
	}
	r = cairn_flush_all(pool);
	if (r)
		return cairn_metadata_failed(pool, r);

	pool->sb.journal_tail = pool->sb.journal_start + pool->journal_head;
	pool->sb.journal_tail_seq = pool->seq;
	r = cairn_write_super(pool, pool->sb.meta_member);
	if (!r)
		r = cairn_flush(pool, pool->sb.meta_member);
	if (r)
		return cairn_metadata_failed(pool, r);

	pool->journal_used = 0;
	for (i = 0; i < pool->sb.nr_members; i++) {
		struct cairn_member *m = &pool->members[i];

		memset(m->rmap_dirty, 0,
		       cairn_bitmap_words(CAIRN_RMAP_BLOCKS(m->info.nr_chunks)) * 8);
	}
	memset(pool->volumes_dirty, 0, sizeof(pool->volumes_dirty));
	return 0;
}

/* ---- the transaction ---- */

/* Records of one transaction never fill more than half the journal. */
static size_t cairn_txn_limit(const struct cairn_pool *pool)
{
	return (pool->sb.journal_blocks / 2 - 1) * (CAIRN_JOURNAL_PAYLOAD -
		sizeof(struct cairn_disk_rec_volume));
}

/* Make room for @bytes more records, committing what is open if needed. */
static int cairn_txn_reserve(struct cairn_pool *pool, size_t bytes)
{
	if (pool->mode >= CAIRN_MODE_READ_ONLY)
		return -EROFS;
	if (pool->txn_bytes + pool->txn_reserved + bytes <= cairn_txn_limit(pool))
		return 0;
	return cairn_commit(pool);
}

/*
 * The data path's variant: never commits.  Room for @bytes more records
 * beside those promised to prepared provisions, or -EAGAIN.
 */
static int cairn_txn_room(const struct cairn_pool *pool, size_t bytes)
{
	if (pool->mode >= CAIRN_MODE_READ_ONLY)
		return -EROFS;
	if (pool->txn_bytes + pool->txn_reserved + bytes <= cairn_txn_limit(pool))
		return 0;
	return -EAGAIN;
}

static void cairn_txn_add(struct cairn_pool *pool, const void *rec,
			  size_t len)
{
	memcpy(pool->txn + pool->txn_bytes, rec, len);
	pool->txn_bytes += len;
	pool->txn_records++;
}

static void cairn_set_rmap(struct cairn_pool *pool, u32 member, u64 pchunk,
			   u32 volume, u64 vchunk)
{
	struct cairn_member *m = &pool->members[member];
	struct cairn_disk_rec_rmap rec = {
		.rec.type = cpu_to_le16(CAIRN_REC_RMAP),
		.rec.len = cpu_to_le16(sizeof(rec)),
		.member = cpu_to_le32(member),
		.volume = cpu_to_le32(volume),
		.pchunk = cpu_to_le64(pchunk),
		.vchunk = cpu_to_le64(volume ? vchunk : 0),
	};

	m->rmap[pchunk].volume = volume;
	m->rmap[pchunk].vchunk = volume ? vchunk : 0;
	cairn_set_bit(m->rmap_dirty, pchunk / CAIRN_RMAP_PER_BLOCK);
	cairn_txn_add(pool, &rec, sizeof(rec));
}

static void cairn_set_volume_slot(struct cairn_pool *pool, u32 slot,
				  const struct cairn_volume *v)
{
	struct cairn_disk_rec_volume rec = {
		.rec.type = cpu_to_le16(CAIRN_REC_VOLUME),
		.rec.len = cpu_to_le16(sizeof(rec)),
		.slot = cpu_to_le32(slot),
	};

	cairn_volume_encode(v, &rec.volume);
	cairn_set_bit(pool->volumes_dirty, slot / CAIRN_VOLUMES_PER_BLOCK);
	cairn_txn_add(pool, &rec, sizeof(rec));
}

/* Chunk @p of @m is free once the open transaction is committed. */
static void cairn_free_later(struct cairn_pool *pool, struct cairn_member *m,
			     u64 p)
{
	unsigned int g = pool->free_gen;

	if (!cairn_test_bit(m->pending_free[g], p)) {
		cairn_set_bit(m->pending_free[g], p);
		m->nr_pending_free[g]++;
	}
}

static bool cairn_freed(const struct cairn_member *m, u64 p)
{
	return cairn_test_bit(m->pending_free[0], p) ||
	       cairn_test_bit(m->pending_free[1], p);
}

static u64 cairn_journal_block(const struct cairn_pool *pool, u64 pos)
{
	return pool->sb.journal_start + pos % pool->sb.journal_blocks;
}

/* The frees of generation @g are durable: their chunks can be reused. */
static void cairn_release_pending(struct cairn_pool *pool, unsigned int g)
{
	unsigned int i;
	u64 w;

	for (i = 0; i < pool->sb.nr_members; i++) {
		struct cairn_member *m = &pool->members[i];

		if (!m->nr_pending_free[g])
			continue;
		for (w = 0; w < cairn_bitmap_words(m->info.nr_chunks); w++) {
			m->used[w] &= ~m->pending_free[g][w];
			m->pending_free[g][w] = 0;
		}
		m->nr_used -= m->nr_pending_free[g];
		m->nr_pending_free[g] = 0;
	}
}

int cairn_commit_begin(struct cairn_pool *pool, struct cairn_commit_snap *snap)
{
	if (pool->mode >= CAIRN_MODE_READ_ONLY)
		return -EROFS;
	snap->txn = pool->txn;
	snap->bytes = pool->txn_bytes;
	pool->txn = pool->txn_spare;
	pool->txn_spare = snap->txn;
	pool->txn_bytes = 0;
	pool->txn_records = 0;
	/* Frees recorded from now on belong to the next commit. */
	pool->free_gen ^= 1;
	return 0;
}

int cairn_commit_write(struct cairn_pool *pool, struct cairn_commit_snap *snap)
{
	struct cairn_disk_journal *j = (void *)pool->buf;
	size_t off = 0;
	u64 n = 0;
	int r;

	if (snap->flush_members) {
		r = cairn_flush_all(pool);
		if (r)
			return r;
	}
	if (!snap->bytes)
		return 0;

	while (off < snap->bytes) {
		size_t bytes = 0;

		memset(pool->buf, 0, CAIRN_BLOCK_SIZE);
		while (off + bytes < snap->bytes) {
			const struct cairn_disk_record *rec =
				(const void *)(snap->txn + off + bytes);
			size_t len = le16_to_cpu(rec->len);

			if (bytes + len > CAIRN_JOURNAL_PAYLOAD)
				break;
			memcpy(j->records + bytes, rec, len);
			bytes += len;
		}
		off += bytes;
		j->bytes = cpu_to_le32(bytes);
		j->flags = cpu_to_le32(off == snap->bytes ?
				       CAIRN_JOURNAL_COMMIT : 0);
		r = cairn_write_block(pool, pool->sb.meta_member,
				      cairn_journal_block(pool,
							  pool->journal_head + n),
				      CAIRN_BLOCK_JOURNAL);
		if (r)
			return r;
		n++;
	}
	r = cairn_flush(pool, pool->sb.meta_member);
	if (r)
		return r;
	pool->seq++;
	pool->journal_head = (pool->journal_head + n) % pool->sb.journal_blocks;
	pool->journal_used += n;
	return 0;
}

int cairn_commit_end(struct cairn_pool *pool, struct cairn_commit_snap *snap,
		     int r)
{
	if (r)
		return cairn_metadata_failed(pool, r);
	cairn_release_pending(pool, pool->free_gen ^ 1);
	if (pool->mode == CAIRN_MODE_OUT_OF_SPACE && cairn_free_chunks(pool))
		cairn_set_mode(pool, CAIRN_MODE_WRITE);
	return 0;
}

bool cairn_checkpoint_due(const struct cairn_pool *pool)
{
	return pool->journal_used > pool->sb.journal_blocks / 2;
}

int cairn_commit(struct cairn_pool *pool)
{
	struct cairn_commit_snap snap = { .flush_members = true };
	int r;

	r = cairn_commit_begin(pool, &snap);
	if (r)
		return r;
	r = cairn_commit_write(pool, &snap);
	r = cairn_commit_end(pool, &snap, r);
	if (!r && cairn_checkpoint_due(pool))
		r = cairn_checkpoint(pool);
	return r;
}

/* ---- replay ---- */

static int cairn_apply_record(struct cairn_pool *pool,
			      const struct cairn_disk_record *rec, size_t avail,
			      const char **why)
{
	size_t len = le16_to_cpu(rec->len);
	u32 type = le16_to_cpu(rec->type);

	if (avail < sizeof(*rec) || len > avail || rec->reserved) {
		*why = "malformed journal record";
		return -EUCLEAN;
	}
	if (type == CAIRN_REC_RMAP && len == sizeof(struct cairn_disk_rec_rmap)) {
		const struct cairn_disk_rec_rmap *r = (const void *)rec;
		u32 member = le32_to_cpu(r->member);
		u32 volume = le32_to_cpu(r->volume);
		u64 pchunk = le64_to_cpu(r->pchunk);
		u64 vchunk = le64_to_cpu(r->vchunk);
		struct cairn_member *m;

		if (member >= pool->sb.nr_members ||
		    pchunk >= pool->members[member].info.nr_chunks ||
		    vchunk >= CAIRN_MAP_MAX_CHUNKS || (!volume && vchunk)) {
			*why = "journal record out of range";
			return -EUCLEAN;
		}
		m = &pool->members[member];
		m->rmap[pchunk].volume = volume;
		m->rmap[pchunk].vchunk = vchunk;
		cairn_set_bit(m->rmap_dirty, pchunk / CAIRN_RMAP_PER_BLOCK);
		return 0;
	}
	if (type == CAIRN_REC_VOLUME &&
	    len == sizeof(struct cairn_disk_rec_volume)) {
		const struct cairn_disk_rec_volume *r = (const void *)rec;
		u32 slot = le32_to_cpu(r->slot);
		struct cairn_volume v;
		int err;

		if (slot >= CAIRN_MAX_VOLUMES || r->reserved) {
			*why = "journal record out of range";
			return -EUCLEAN;
		}
		err = cairn_volume_decode(pool, &r->volume, &v, why);
		if (err)
			return err;
		if (!v.id) {
			cairn_free(pool->volumes[slot]);
			pool->volumes[slot] = NULL;
		} else {
			if (!pool->volumes[slot]) {
				pool->volumes[slot] = cairn_zalloc(sizeof(v));
				if (!pool->volumes[slot]) {
					*why = "out of memory";
					return -ENOMEM;
				}
			}
			v.slot = slot;
			*pool->volumes[slot] = v;
		}
		cairn_set_bit(pool->volumes_dirty, slot / CAIRN_VOLUMES_PER_BLOCK);
		return 0;
	}
	*why = "unknown journal record";
	return -EUCLEAN;
}

/*
 * Is the journal block at position @pos one of commit @seq?  Returns 1 and
 * its flags in *@flags if so, 0 if not (the end of the journal).
 */
static int cairn_journal_probe(struct cairn_pool *pool, u64 pos, u64 seq,
			       u32 *flags)
{
	const struct cairn_disk_journal *j = (const void *)pool->buf;
	const char *why;

	if (cairn_read_block(pool, pool->sb.meta_member,
			     cairn_journal_block(pool, pos),
			     CAIRN_BLOCK_JOURNAL, &why))
		return 0;
	if (le64_to_cpu(j->hdr.seq) != seq ||
	    le32_to_cpu(j->bytes) > CAIRN_JOURNAL_PAYLOAD ||
	    le32_to_cpu(j->flags) & ~CAIRN_JOURNAL_COMMIT)
		return 0;
	*flags = le32_to_cpu(j->flags);
	return 1;
}

static int cairn_replay_block(struct cairn_pool *pool, u64 pos,
			      const char **why)
{
	const struct cairn_disk_journal *j = (const void *)pool->buf;
	size_t bytes, off = 0;
	int r;

	r = cairn_read_block(pool, pool->sb.meta_member,
			     cairn_journal_block(pool, pos),
			     CAIRN_BLOCK_JOURNAL, why);
	if (r)
		return r;
	bytes = le32_to_cpu(j->bytes);
	while (off < bytes) {
		const struct cairn_disk_record *rec = (const void *)(j->records + off);

		r = cairn_apply_record(pool, rec, bytes - off, why);
		if (r)
			return r;
		off += le16_to_cpu(rec->len);
	}
	return 0;
}

static int cairn_replay(struct cairn_pool *pool, const char **why)
{
	u64 jb = pool->sb.journal_blocks;
	u64 pos = pool->sb.journal_tail - pool->sb.journal_start;
	u64 seq = pool->sb.journal_tail_seq;
	u64 used = 0, max_seq = 0, i;
	u32 flags;
	int r;

	for (;;) {
		u64 n = 0;

		/* Find a complete commit: blocks of @seq ending in COMMIT. */
		do {
			if (used + n >= jb ||
			    !cairn_journal_probe(pool, pos + n, seq, &flags))
				goto done;
			n++;
		} while (!(flags & CAIRN_JOURNAL_COMMIT));

		for (i = 0; i < n; i++) {
			r = cairn_replay_block(pool, pos + i, why);
			if (r)
				return r;
		}
		pos = (pos + n) % jb;
		used += n;
		seq++;
	}
done:
	pool->journal_head = pos;
	pool->journal_used = used;

	/* The next sequence is above any in the journal (torn or stale). */
	for (i = 0; i < jb; i++) {
		const struct cairn_block_header *h = (const void *)pool->buf;

		if (!cairn_read_block(pool, pool->sb.meta_member,
				      pool->sb.journal_start + i,
				      CAIRN_BLOCK_JOURNAL, why) &&
		    le64_to_cpu(h->seq) > max_seq)
			max_seq = le64_to_cpu(h->seq);
	}
	pool->seq = seq > max_seq ? seq : max_seq + 1;
	return 0;
}

/* ---- building the RAM state ---- */

static int cairn_member_alloc(struct cairn_member *m)
{
	u64 words = cairn_bitmap_words(m->info.nr_chunks);

	m->rmap = cairn_zalloc(m->info.nr_chunks * sizeof(*m->rmap));
	m->used = cairn_zalloc(words * 8);
	m->pending_free[0] = cairn_zalloc(words * 8);
	m->pending_free[1] = cairn_zalloc(words * 8);
	m->rmap_dirty = cairn_zalloc(cairn_bitmap_words(CAIRN_RMAP_BLOCKS(m->info.nr_chunks)) * 8);
	if (!m->rmap || !m->used || !m->pending_free[0] || !m->pending_free[1] ||
	    !m->rmap_dirty)
		return -ENOMEM;
	return 0;
}

static void cairn_member_release(struct cairn_member *m)
{
	cairn_free(m->rmap);
	cairn_free(m->used);
	cairn_free(m->pending_free[0]);
	cairn_free(m->pending_free[1]);
	cairn_free(m->rmap_dirty);
	m->rmap = NULL;
	m->used = NULL;
	m->pending_free[0] = NULL;
	m->pending_free[1] = NULL;
	m->rmap_dirty = NULL;
}

static int cairn_read_volumes(struct cairn_pool *pool, const char **why)
{
	const struct cairn_disk_volume *d = (const void *)(pool->buf +
		sizeof(struct cairn_block_header));
	struct cairn_volume v;
	u64 b;
	unsigned int i;
	int r;

	for (b = 0; b < CAIRN_VOLUME_BLOCKS; b++) {
		r = cairn_read_block(pool, pool->sb.meta_member,
				     pool->sb.volumes_start + b,
				     CAIRN_BLOCK_VOLUMES, why);
		if (r)
			return r;
		for (i = 0; i < CAIRN_VOLUMES_PER_BLOCK; i++) {
			u64 slot = b * CAIRN_VOLUMES_PER_BLOCK + i;

			if (slot >= CAIRN_MAX_VOLUMES) {
				if (!cairn_zero(&d[i], sizeof(d[i]))) {
					*why = "volume table padding is not zero";
					return -EUCLEAN;
				}
				continue;
			}
			r = cairn_volume_decode(pool, &d[i], &v, why);
			if (r)
				return r;
			if (!v.id)
				continue;
			v.slot = slot;
			pool->volumes[slot] = cairn_zalloc(sizeof(v));
			if (!pool->volumes[slot]) {
				*why = "out of memory";
				return -ENOMEM;
			}
			*pool->volumes[slot] = v;
		}
	}
	return 0;
}

static int cairn_read_rmaps(struct cairn_pool *pool, const char **why)
{
	const struct cairn_disk_rmap *d = (const void *)(pool->buf +
		sizeof(struct cairn_block_header));
	unsigned int i, k;
	u64 b;
	int r;

	for (i = 0; i < pool->sb.nr_members; i++) {
		struct cairn_member *m = &pool->members[i];

		for (b = 0; b < CAIRN_RMAP_BLOCKS(m->info.nr_chunks); b++) {
			r = cairn_read_block(pool, i, CAIRN_RMAP_START + b,
					     CAIRN_BLOCK_RMAP, why);
			if (r)
				return r;
			for (k = 0; k < CAIRN_RMAP_PER_BLOCK; k++) {
				u64 p = b * CAIRN_RMAP_PER_BLOCK + k;
				u32 vol = le32_to_cpu(d[k].volume);
				u64 vchunk = le64_to_cpu(d[k].vchunk);

				if (d[k].reserved || (!vol && vchunk) ||
				    vchunk >= CAIRN_MAP_MAX_CHUNKS ||
				    (p >= m->info.nr_chunks && vol)) {
					*why = "invalid reverse-map entry";
					return -EUCLEAN;
				}
				if (p < m->info.nr_chunks) {
					m->rmap[p].volume = vol;
					m->rmap[p].vchunk = vchunk;
				}
			}
		}
	}
	return 0;
}

/*
 * The live volumes sorted by id, for lookups by the ids that reverse-map
 * entries carry (untrusted: never used to size anything).
 */
struct cairn_vindex {
	struct cairn_volume **v;
	unsigned int n;
};

static int cairn_vindex_build(struct cairn_pool *pool, struct cairn_vindex *ix)
{
	unsigned int i, j;

	ix->n = 0;
	ix->v = cairn_zalloc(CAIRN_MAX_VOLUMES * sizeof(*ix->v));
	if (!ix->v)
		return -ENOMEM;
	/* Insertion sort: ids are mostly created in slot order already. */
	for (i = 0; i < CAIRN_MAX_VOLUMES; i++) {
		struct cairn_volume *v = pool->volumes[i];

		if (!v)
			continue;
		for (j = ix->n; j > 0 && ix->v[j - 1]->id > v->id; j--)
			ix->v[j] = ix->v[j - 1];
		ix->v[j] = v;
		ix->n++;
	}
	return 0;
}

static struct cairn_volume *cairn_vindex_find(const struct cairn_vindex *ix,
					      u32 id)
{
	unsigned int lo = 0, hi = ix->n;

	while (lo < hi) {
		unsigned int mid = lo + (hi - lo) / 2;

		if (ix->v[mid]->id == id)
			return ix->v[mid];
		if (ix->v[mid]->id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static int cairn_build(struct cairn_pool *pool, const char **why)
{
	struct cairn_vindex ix;
	u32 max_id = 0;
	unsigned int i;
	u64 p;
	int r;

	if (cairn_vindex_build(pool, &ix)) {
		*why = "out of memory";
		return -ENOMEM;
	}
	pool->nr_volumes = ix.n;
	for (i = 0; i < ix.n; i++) {
		struct cairn_volume *v = ix.v[i];
		unsigned int j;

		if (i && ix.v[i - 1]->id == v->id) {
			*why = "two volumes with the same id";
			r = -EUCLEAN;
			goto out;
		}
		/* Names: quadratic, over live volumes only. */
		for (j = 0; j < i; j++) {
			if (!strcmp(ix.v[j]->name, v->name)) {
				*why = "two volumes with the same name";
				r = -EUCLEAN;
				goto out;
			}
		}
		max_id = v->id;
	}
	if (max_id == ~0U) {
		*why = "volume id out of range";
		r = -EUCLEAN;
		goto out;
	}
	/*
	 * Entries naming no live volume are free and cleaned by the
	 * checkpoint that ends every writable open, before any volume can be
	 * created: ids above the table's are safe to hand out again.
	 */
	pool->next_volume_id = max_id + 1;

	pool->capacity = 0;
	pool->allocated = 0;
	r = 0;
	for (i = 0; i < pool->sb.nr_members; i++) {
		struct cairn_member *m = &pool->members[i];

		pool->capacity += m->info.nr_chunks;
		for (p = 0; p < m->info.nr_chunks; p++) {
			struct cairn_rmap *e = &m->rmap[p];
			struct cairn_volume *v = e->volume ?
				cairn_vindex_find(&ix, e->volume) : NULL;

			if (!v) {
				/* Free, or a chunk of a deleted volume. */
				if (e->volume) {
					e->volume = 0;
					e->vchunk = 0;
					cairn_set_bit(m->rmap_dirty,
						      p / CAIRN_RMAP_PER_BLOCK);
				}
				continue;
			}
			if (e->vchunk >= cairn_size_chunks(pool, v->size)) {
				*why = "chunk mapped beyond its volume's size";
				r = -EUCLEAN;
				goto out;
			}
			if (cairn_map_get(&v->map, e->vchunk)) {
				*why = "volume chunk mapped twice";
				r = -EUCLEAN;
				goto out;
			}
			r = cairn_map_set(&v->map, e->vchunk,
					  cairn_map_entry(i, p));
			if (r) {
				*why = "out of memory";
				goto out;
			}
			cairn_set_bit(m->used, p);
			m->nr_used++;
			v->nr_mapped++;
			pool->allocated++;
		}
	}
out:
	cairn_free(ix.v);
	return r;
}

/* ---- open, create, close ---- */

static struct cairn_pool *cairn_pool_alloc(const struct cairn_io_ops *ops,
					   void *ctx)
{
	struct cairn_pool *pool = cairn_zalloc(sizeof(*pool));

	if (!pool)
		return NULL;
	pool->ops = ops;
	pool->ctx = ctx;
	pool->buf = cairn_zalloc(CAIRN_BLOCK_SIZE);
	if (!pool->buf) {
		cairn_free(pool);
		return NULL;
	}
	return pool;
}

void cairn_pool_free(struct cairn_pool *pool)
{
	unsigned int i;

	if (!pool)
		return;
	for (i = 0; i < CAIRN_MAX_VOLUMES; i++) {
		if (!pool->volumes[i])
			continue;
		cairn_map_destroy(&pool->volumes[i]->map);
		cairn_free(pool->volumes[i]);
	}
	for (i = 0; i < CAIRN_MAX_MEMBERS; i++)
		cairn_member_release(&pool->members[i]);
	cairn_mmeta_free(pool);
	cairn_free(pool->txn);
	cairn_free(pool->txn_spare);
	cairn_free(pool->buf);
	cairn_free(pool);
}

int cairn_super_probe(const struct cairn_io_ops *ops, void *ctx,
		      unsigned int dev, void *buf, struct cairn_super *sb,
		      unsigned int *slot, const char **why)
{
	struct cairn_super *s;
	const char *w[CAIRN_SUPER_SLOTS] = { NULL, NULL };
	int r[CAIRN_SUPER_SLOTS];
	bool read_err[CAIRN_SUPER_SLOTS] = { false, false };
	unsigned int i;

	s = cairn_zalloc(CAIRN_SUPER_SLOTS * sizeof(*s));
	if (!s) {
		*why = "out of memory";
		return -ENOMEM;
	}
	for (i = 0; i < CAIRN_SUPER_SLOTS; i++) {
		r[i] = ops->read(ctx, dev, i, buf);
		if (r[i]) {
			read_err[i] = true;
			w[i] = "superblock read failed";
			continue;
		}
		r[i] = cairn_super_decode(buf, i, &s[i], &w[i]);
	}
	if (r[0] && r[1]) {
		/* A read error first, then a damaged superblock, then none. */
		i = read_err[0] ? 0 : read_err[1] ? 1 :
		    r[0] != -EINVAL ? 0 : r[1] != -EINVAL ? 1 : 0;
		*why = w[i];
		cairn_free(s);
		return r[i];
	}
	i = r[0] ? 1 : r[1] ? 0 : s[1].seq > s[0].seq;
	*sb = s[i];
	*slot = i;
	cairn_free(s);
	return 0;
}

int cairn_pool_open(const struct cairn_io_ops *ops, void *ctx,
		    unsigned int nr_devs, bool read_only,
		    struct cairn_pool **poolp, const char **why)
{
	struct cairn_super *sbs = NULL;
	unsigned int *slots = NULL;
	struct cairn_pool *pool;
	int meta = -1;
	unsigned int d, i;
	int r;

	*why = "out of memory";
	if (!nr_devs || nr_devs > CAIRN_MAX_MEMBERS) {
		*why = "a pool has 1 to 64 members";
		return -EINVAL;
	}
	pool = cairn_pool_alloc(ops, ctx);
	sbs = cairn_zalloc(nr_devs * sizeof(*sbs));
	slots = cairn_zalloc(nr_devs * sizeof(*slots));
	if (!pool || !sbs || !slots) {
		r = -ENOMEM;
		goto out;
	}

	for (d = 0; d < nr_devs; d++) {
		r = cairn_super_probe(ops, ctx, d, pool->buf, &sbs[d], &slots[d],
				      why);
		if (r)
			goto out;
		if (pool->sb_gen < sbs[d].seq)
			pool->sb_gen = sbs[d].seq;
		if (sbs[d].member_index == sbs[d].meta_member &&
		    (meta < 0 || sbs[d].config_seq > sbs[meta].config_seq ||
		     (sbs[d].config_seq == sbs[meta].config_seq &&
		      sbs[d].seq > sbs[meta].seq)))
			meta = d;
	}
	if (meta < 0) {
		*why = "the metadata member is missing";
		r = -ENODEV;
		goto out;
	}
	pool->sb = sbs[meta];
	for (d = 0; d < nr_devs; d++) {
		if (memcmp(sbs[d].pool_uuid, pool->sb.pool_uuid, CAIRN_UUID_SIZE)) {
			*why = "a device belongs to another pool";
			r = -EXDEV;
			goto out;
		}
	}
	for (i = 0; i < pool->sb.nr_members; i++) {
		struct cairn_member *m = &pool->members[i];
		int found = -1;

		m->info = pool->sb.members[i];
		for (d = 0; d < nr_devs; d++) {
			if (memcmp(sbs[d].member_uuid, m->info.uuid, CAIRN_UUID_SIZE))
				continue;
			if (found >= 0) {
				*why = "a member is listed twice";
				r = -EINVAL;
				goto out;
			}
			found = d;
		}
		if (found < 0) {
			*why = "a member of the pool is missing";
			r = -ENODEV;
			goto out;
		}
		m->dev = found;
		m->sb_slot = slots[found];
		r = cairn_member_alloc(m);
		if (r)
			goto out;
	}
	if (nr_devs != pool->sb.nr_members) {
		*why = "a device is not a member of the pool's current configuration";
		r = -EINVAL;
		goto out;
	}

	pool->txn_cap = cairn_txn_limit(pool);
	pool->txn = cairn_zalloc(pool->txn_cap);
	pool->txn_spare = cairn_zalloc(pool->txn_cap);
	if (!pool->txn || !pool->txn_spare) {
		r = -ENOMEM;
		goto out;
	}
	r = cairn_read_volumes(pool, why);
	if (!r)
		r = cairn_read_rmaps(pool, why);
	if (!r)
		r = cairn_replay(pool, why);
	if (!r)
		r = cairn_build(pool, why);
	if (!r)
		r = cairn_mmeta_load(pool, why);
	if (r)
		goto out;

	pool->read_only_open = read_only;
	pool->mode = read_only ? CAIRN_MODE_READ_ONLY : CAIRN_MODE_WRITE;
	pool->threshold_above = pool->sb.low_water_pct &&
		pool->allocated * 100 >= pool->capacity * pool->sb.low_water_pct;
	if (!read_only) {
		r = cairn_checkpoint(pool);
		if (r) {
			*why = "metadata write failed";
			goto out;
		}
		if (!cairn_free_chunks(pool))
			pool->mode = CAIRN_MODE_OUT_OF_SPACE;
	}
	*poolp = pool;
	pool = NULL;
	r = 0;
out:
	cairn_free(sbs);
	cairn_free(slots);
	cairn_pool_free(pool);
	return r;
}

int cairn_pool_close(struct cairn_pool *pool)
{
	int r = 0;

	if (pool->mode < CAIRN_MODE_READ_ONLY) {
		r = cairn_commit(pool);
		if (!r)
			r = cairn_checkpoint(pool);
	}
	cairn_pool_free(pool);
	return r;
}

/*
 * Lay out member @i of @nr_blocks; the metadata member also holds the
 * volume table and the journal.  Returns false if the member is too small.
 */
static bool cairn_layout(struct cairn_super *sb, unsigned int i, u64 nr_blocks,
			 const u8 *uuid)
{
	u64 chunk_blocks = 1ULL << (sb->chunk_shift - CAIRN_BLOCK_SHIFT);
	struct cairn_member_info *m = &sb->members[i];
	u64 meta = CAIRN_RMAP_START + CAIRN_RMAP_BLOCKS(nr_blocks / chunk_blocks);

	if (i == sb->meta_member) {
		sb->volumes_start = meta;
		sb->volumes_blocks = CAIRN_VOLUME_BLOCKS;
		sb->journal_start = meta + CAIRN_VOLUME_BLOCKS;
		sb->journal_tail = sb->journal_start;
		meta = sb->journal_start + sb->journal_blocks;
		if (sb->mirror_blocks) {
			sb->mirror_start = meta;
			meta += sb->mirror_blocks;
		}
	}
	memset(m, 0, sizeof(*m));
	memcpy(m->uuid, uuid, CAIRN_UUID_SIZE);
	m->nr_blocks = nr_blocks;
	m->data_start = (meta + chunk_blocks - 1) & ~(chunk_blocks - 1);
	m->state = CAIRN_MEMBER_ACTIVE;
	if (m->data_start + chunk_blocks > nr_blocks)
		return false;
	m->nr_chunks = (nr_blocks - m->data_start) / chunk_blocks;
	return true;
}

/* Write a new member's empty reverse map and invalidate its slot 1. */
static int cairn_format_member(struct cairn_pool *pool, unsigned int dev,
			       const struct cairn_member_info *m, u64 gen)
{
	u64 b;
	int r;

	for (b = 0; b < CAIRN_RMAP_BLOCKS(m->nr_chunks); b++) {
		memset(pool->buf, 0, CAIRN_BLOCK_SIZE);
		cairn_block_seal(pool->buf, CAIRN_BLOCK_RMAP, CAIRN_RMAP_START + b,
				 gen, pool->sb.pool_uuid);
		r = pool->ops->write(pool->ctx, dev, CAIRN_RMAP_START + b, pool->buf);
		if (r)
			return r;
	}
	memset(pool->buf, 0, CAIRN_BLOCK_SIZE);
	return pool->ops->write(pool->ctx, dev, 1, pool->buf);
}

static bool cairn_uuid_ok(const u8 *uuid, const struct cairn_super *sb,
			  unsigned int n)
{
	unsigned int i;

	if (cairn_zero(uuid, CAIRN_UUID_SIZE))
		return false;
	for (i = 0; i < n; i++)
		if (!memcmp(uuid, sb->members[i].uuid, CAIRN_UUID_SIZE))
			return false;
	return true;
}

int cairn_pool_create(const struct cairn_io_ops *ops, void *ctx,
		      unsigned int nr_devs, const u64 *dev_blocks,
		      const struct cairn_pool_params *p,
		      struct cairn_pool **poolp, const char **why)
{
	struct cairn_pool *pool;
	struct cairn_super *sb;
	unsigned int i;
	u64 b;
	int r;

	if (!nr_devs || nr_devs > CAIRN_MAX_MEMBERS) {
		*why = "a pool has 1 to 64 members";
		return -EINVAL;
	}
	if (cairn_name_check(p->name, CAIRN_POOL_NAME_SIZE + 1)) {
		*why = "invalid pool name: 1-64 characters of A-Z a-z 0-9 . _ -";
		return -EINVAL;
	}
	if (p->chunk_shift < CAIRN_MIN_CHUNK_SHIFT ||
	    p->chunk_shift > CAIRN_MAX_CHUNK_SHIFT) {
		*why = "chunk size must be a power of two from 64 KiB to 16 MiB";
		return -EINVAL;
	}
	if (p->low_water_pct > 100 ||
	    (p->nospace_policy != CAIRN_NOSPACE_FAIL &&
	     p->nospace_policy != CAIRN_NOSPACE_QUEUE)) {
		*why = "threshold or no-space policy out of range";
		return -EINVAL;
	}
	if (cairn_zero(p->pool_uuid, CAIRN_UUID_SIZE)) {
		*why = "pool UUID is zero";
		return -EINVAL;
	}
	if (p->journal_blocks && p->journal_blocks < CAIRN_JOURNAL_MIN_BLOCKS) {
		*why = "journal too small";
		return -EINVAL;
	}

	pool = cairn_pool_alloc(ops, ctx);
	if (!pool) {
		*why = "out of memory";
		return -ENOMEM;
	}
	sb = &pool->sb;
	memcpy(sb->pool_uuid, p->pool_uuid, CAIRN_UUID_SIZE);
	memcpy(sb->pool_name, p->name, strnlen(p->name, CAIRN_POOL_NAME_SIZE));
	sb->chunk_shift = p->chunk_shift;
	sb->nr_members = nr_devs;
	sb->low_water_pct = p->low_water_pct;
	sb->nospace_policy = p->nospace_policy;
	sb->nospace_timeout_s = p->nospace_timeout_s;
	sb->config_seq = 1;
	sb->journal_blocks = p->journal_blocks ?: CAIRN_JOURNAL_DEFAULT_BLOCKS;
	sb->journal_tail_seq = 1;
	if (!p->no_mirror_area) {
		sb->feature_incompat |= CAIRN_FEATURE_INCOMPAT_MIRROR;
		sb->mirror_blocks = CAIRN_MIRROR_BLOCKS;
	}
	for (i = 0; i < nr_devs; i++) {
		if (dev_blocks[i] < (CAIRN_MIN_MEMBER_BYTES >> CAIRN_BLOCK_SHIFT)) {
			*why = "a device is smaller than 64 MiB";
			r = -ENOSPC;
			goto out;
		}
		if (!cairn_uuid_ok(p->member_uuid[i], sb, i)) {
			*why = "member UUIDs must be non-zero and distinct";
			r = -EINVAL;
			goto out;
		}
		if (!cairn_layout(sb, i, dev_blocks[i], p->member_uuid[i])) {
			*why = "a device is too small for its metadata";
			r = -ENOSPC;
			goto out;
		}
		pool->members[i].dev = i;
		pool->members[i].info = sb->members[i];
	}

	/* Empty reverse maps, volume table; no valid slot 1; then slot 0. */
	for (i = 0; i < nr_devs; i++) {
		r = cairn_format_member(pool, i, &sb->members[i], 1);
		if (r)
			goto out_io;
	}
	for (b = 0; b < CAIRN_VOLUME_BLOCKS; b++) {
		memset(pool->buf, 0, CAIRN_BLOCK_SIZE);
		cairn_block_seal(pool->buf, CAIRN_BLOCK_VOLUMES,
				 sb->volumes_start + b, 1, sb->pool_uuid);
		r = ops->write(ctx, sb->meta_member, sb->volumes_start + b, pool->buf);
		if (r)
			goto out_io;
	}
	/* Every mirror slot free, both copies sound (A current). */
	for (b = 0; b < sb->mirror_blocks; b++) {
		cairn_mmeta_encode(NULL, pool->buf, sb->mirror_start + b, !(b & 1),
				   sb->pool_uuid);
		r = ops->write(ctx, sb->meta_member, sb->mirror_start + b, pool->buf);
		if (r)
			goto out_io;
	}
	for (i = 0; i < nr_devs; i++) {
		r = ops->flush(ctx, i);
		if (r)
			goto out_io;
	}
	for (i = 0; i < nr_devs; i++) {
		pool->members[i].sb_slot = 1;	/* so the next write goes to 0 */
		r = cairn_write_super(pool, i);
		if (!r)
			r = ops->flush(ctx, i);
		if (r)
			goto out_io;
	}
	cairn_pool_free(pool);
	return cairn_pool_open(ops, ctx, nr_devs, false, poolp, why);

out_io:
	*why = "metadata write failed";
out:
	cairn_pool_free(pool);
	return r;
}

int cairn_pool_add_member(struct cairn_pool *pool, unsigned int dev,
			  u64 nr_blocks, const u8 *uuid, const char **why)
{
	struct cairn_super *sb = &pool->sb;
	unsigned int n = sb->nr_members, i;
	struct cairn_member *m = &pool->members[n];
	int r;

	if (pool->mode >= CAIRN_MODE_READ_ONLY) {
		*why = "the pool is read-only";
		return -EROFS;
	}
	if (n == CAIRN_MAX_MEMBERS) {
		*why = "the pool already has 64 members";
		return -E2BIG;
	}
	for (i = 0; i < n; i++) {
		if (pool->members[i].dev == dev) {
			*why = "the device is already a member";
			return -EBUSY;
		}
	}
	if (nr_blocks < (CAIRN_MIN_MEMBER_BYTES >> CAIRN_BLOCK_SHIFT)) {
		*why = "the device is smaller than 64 MiB";
		return -ENOSPC;
	}
	if (!cairn_uuid_ok(uuid, sb, n)) {
		*why = "member UUID must be non-zero and new";
		return -EINVAL;
	}
	r = cairn_commit(pool);
	if (r) {
		*why = "commit failed";
		return r;
	}

	if (!cairn_layout(sb, n, nr_blocks, uuid)) {
		memset(&sb->members[n], 0, sizeof(sb->members[n]));
		*why = "the device is too small for its metadata";
		return -ENOSPC;
	}
	m->info = sb->members[n];
	m->dev = dev;
	m->sb_slot = 1;
	r = cairn_member_alloc(m);
	if (r) {
		memset(&sb->members[n], 0, sizeof(sb->members[n]));
		cairn_member_release(m);
		*why = "out of memory";
		return r;
	}
	sb->nr_members = n + 1;
	sb->config_seq++;

	/* New member first; the metadata member's superblock commits it. */
	r = cairn_format_member(pool, dev, &m->info, pool->seq);
	if (!r)
		r = pool->ops->flush(pool->ctx, dev);
	if (!r)
		r = cairn_write_super(pool, n);
	if (!r)
		r = pool->ops->flush(pool->ctx, dev);
	if (r) {
		sb->nr_members = n;
		sb->config_seq--;
		memset(&sb->members[n], 0, sizeof(sb->members[n]));
		cairn_member_release(m);
		memset(m, 0, sizeof(*m));
		*why = "writing the new member failed";
		return r;
	}
	r = cairn_write_super(pool, sb->meta_member);
	if (!r)
		r = cairn_flush(pool, sb->meta_member);
	for (i = 0; !r && i < n; i++) {
		if (i == sb->meta_member)
			continue;
		r = cairn_write_super(pool, i);
		if (!r)
			r = cairn_flush(pool, i);
	}
	if (r) {
		*why = "metadata write failed";
		return cairn_metadata_failed(pool, r);
	}
	pool->capacity += m->info.nr_chunks;
	if (pool->mode == CAIRN_MODE_OUT_OF_SPACE)
		cairn_set_mode(pool, CAIRN_MODE_WRITE);
	cairn_check_threshold(pool);
	return 0;
}

int cairn_pool_set(struct cairn_pool *pool, u32 low_water_pct,
		   u32 nospace_policy, u32 nospace_timeout_s)
{
	int r;

	if (low_water_pct > 100 || (nospace_policy != CAIRN_NOSPACE_FAIL &&
				    nospace_policy != CAIRN_NOSPACE_QUEUE))
		return -EINVAL;
	if (pool->mode >= CAIRN_MODE_READ_ONLY)
		return -EROFS;
	pool->sb.low_water_pct = low_water_pct;
	pool->sb.nospace_policy = nospace_policy;
	pool->sb.nospace_timeout_s = nospace_timeout_s;
	r = cairn_write_super(pool, pool->sb.meta_member);
	if (!r)
		r = cairn_flush(pool, pool->sb.meta_member);
	if (r)
		return cairn_metadata_failed(pool, r);
	cairn_check_threshold(pool);
	return 0;
}

/* ---- volumes ---- */

struct cairn_volume *cairn_volume_find(struct cairn_pool *pool,
				       const char *name)
{
	unsigned int i;

	for (i = 0; i < CAIRN_MAX_VOLUMES; i++)
		if (pool->volumes[i] && !strcmp(pool->volumes[i]->name, name))
			return pool->volumes[i];
	return NULL;
}

int cairn_volume_create(struct cairn_pool *pool, const char *name,
			const u8 *uuid, u64 size, struct cairn_volume **volp)
{
	struct cairn_volume *v;
	unsigned int slot;
	int r;

	r = cairn_name_check(name, CAIRN_VOLUME_NAME_SIZE + 1);
	if (r)
		return r;
	r = cairn_check_size(pool, size);
	if (r)
		return r;
	if (cairn_volume_find(pool, name))
		return -EEXIST;
	for (slot = 0; slot < CAIRN_MAX_VOLUMES; slot++)
		if (!pool->volumes[slot])
			break;
	if (slot == CAIRN_MAX_VOLUMES || pool->next_volume_id == ~0U)
		return -ENFILE;
	r = cairn_txn_reserve(pool, sizeof(struct cairn_disk_rec_volume));
	if (r)
		return r;

	v = cairn_zalloc(sizeof(*v));
	if (!v)
		return -ENOMEM;
	v->slot = slot;
	v->id = pool->next_volume_id++;
	memcpy(v->name, name, strnlen(name, CAIRN_VOLUME_NAME_SIZE));
	memcpy(v->uuid, uuid, CAIRN_UUID_SIZE);
	v->size = size;
	v->create_seq = pool->seq;
	pool->volumes[slot] = v;
	pool->nr_volumes++;
	cairn_set_volume_slot(pool, slot, v);
	if (volp)
		*volp = v;
	return 0;
}

int cairn_volume_resize(struct cairn_pool *pool, struct cairn_volume *vol,
			u64 size)
{
	int r;

	r = cairn_check_size(pool, size);
	if (r)
		return r;
	if (size < vol->size)
		return -EOPNOTSUPP;	/* shrinking is not supported */
	r = cairn_txn_reserve(pool, sizeof(struct cairn_disk_rec_volume));
	if (r)
		return r;
	vol->size = size;
	cairn_set_volume_slot(pool, vol->slot, vol);
	return 0;
}

int cairn_volume_delete(struct cairn_pool *pool, struct cairn_volume *vol)
{
	u64 vchunk = 0, e;
	int r;

	r = cairn_txn_reserve(pool, sizeof(struct cairn_disk_rec_volume));
	if (r)
		return r;
	/* One record deletes it; its reverse-map entries become free. */
	while (cairn_map_next(&vol->map, &vchunk, &e)) {
		struct cairn_member *m = &pool->members[cairn_map_member(e)];
		u64 p = cairn_map_pchunk(e);

		m->rmap[p].volume = 0;
		m->rmap[p].vchunk = 0;
		cairn_set_bit(m->rmap_dirty, p / CAIRN_RMAP_PER_BLOCK);
		cairn_free_later(pool, m, p);
		pool->allocated--;
		vchunk++;
	}
	/* Its mirror slot, if any, names a volume that is gone: free. */
	r = cairn_mmeta_find(pool, vol);
	if (r >= 0)
		cairn_mmeta_release(pool, r);
	pool->volumes[vol->slot] = NULL;
	pool->nr_volumes--;
	cairn_set_volume_slot(pool, vol->slot, NULL);
	cairn_map_destroy(&vol->map);
	cairn_free(vol);
	cairn_check_threshold(pool);
	return 0;
}

/* ---- allocation ---- */

bool cairn_space_left(const struct cairn_pool *pool)
{
	unsigned int i;

	for (i = 0; i < pool->sb.nr_members; i++) {
		const struct cairn_member *m = &pool->members[i];

		if (m->info.state == CAIRN_MEMBER_ACTIVE &&
		    m->nr_used < m->info.nr_chunks)
			return true;
	}
	return false;
}

/* Smooth weighted round-robin over active members, weighted by free space. */
static int cairn_pick_member(struct cairn_pool *pool)
{
	s64 total = 0;
	int best = -1;
	unsigned int i;

	for (i = 0; i < pool->sb.nr_members; i++) {
		struct cairn_member *m = &pool->members[i];
		s64 free = m->info.nr_chunks - m->nr_used;

		if (m->info.state != CAIRN_MEMBER_ACTIVE || !free)
			continue;
		m->weight += free;
		total += free;
		if (best < 0 || m->weight > pool->members[best].weight)
			best = i;
	}
	if (best >= 0)
		pool->members[best].weight -= total;
	return best;
}

static u64 cairn_find_free(struct cairn_member *m)
{
	u64 words = cairn_bitmap_words(m->info.nr_chunks);
	u64 w = m->cursor >> 6, i, bit;

	for (i = 0; i <= words; i++, w = (w + 1) % words) {
		if (m->used[w] == ~0ULL)
			continue;
		for (bit = 0; bit < 64; bit++) {
			u64 p = (w << 6) + bit;

			if (p < m->info.nr_chunks && !cairn_test_bit(m->used, p)) {
				m->cursor = p + 1;
				return p;
			}
		}
	}
	return ~0ULL;	/* unreachable when nr_used < nr_chunks */
}

u64 cairn_volume_chunks(const struct cairn_pool *pool,
			const struct cairn_volume *vol)
{
	return cairn_size_chunks(pool, vol->size);
}

int cairn_provision(struct cairn_pool *pool, struct cairn_volume *vol,
		    u64 vchunk, u32 *member, u64 *pchunk)
{
	int r;

	if (pool->mode >= CAIRN_MODE_READ_ONLY)
		return -EROFS;
	if (vchunk >= cairn_size_chunks(pool, vol->size))
		return -EINVAL;
	r = cairn_map_reserve(&vol->map, vchunk);
	if (r)
		return r;
	r = cairn_provision_prepare(pool, vol, vchunk, member, pchunk);
	if (r == -EAGAIN) {
		r = cairn_commit(pool);
		if (!r)
			r = cairn_provision_prepare(pool, vol, vchunk, member, pchunk);
	}
	if (!r)
		cairn_provision_publish(pool, vol, vchunk, *member, *pchunk);
	return r;
}

int cairn_provision_prepare(struct cairn_pool *pool, struct cairn_volume *vol,
			    u64 vchunk, u32 *member, u64 *pchunk)
{
	const size_t rec = sizeof(struct cairn_disk_rec_rmap);
	struct cairn_member *m;
	int i, r;
	u64 p;

	if (vchunk >= cairn_size_chunks(pool, vol->size))
		return -EINVAL;
	if (cairn_map_get(&vol->map, vchunk))
		return -EEXIST;
	r = cairn_txn_room(pool, rec);
	if (r)
		return r;
	i = cairn_pick_member(pool);
	if (i < 0) {
		cairn_set_mode(pool, CAIRN_MODE_OUT_OF_SPACE);
		cairn_event(pool, CAIRN_EVENT_NO_SPACE, 0);
		return -ENOSPC;
	}
	m = &pool->members[i];
	p = cairn_find_free(m);
	if (p == ~0ULL)
		return -EUCLEAN;
	cairn_set_bit(m->used, p);
	m->nr_used++;
	pool->txn_reserved += rec;
	vol->nr_mapped++;
	pool->allocated++;
	cairn_check_threshold(pool);
	*member = i;
	*pchunk = p;
	return 0;
}

void cairn_provision_publish(struct cairn_pool *pool, struct cairn_volume *vol,
			     u64 vchunk, u32 member, u64 pchunk)
{
	/* Prepare promised the record's room. */
	pool->txn_reserved -= sizeof(struct cairn_disk_rec_rmap);
	cairn_set_rmap(pool, member, pchunk, vol->id, vchunk);
	/* The nodes were reserved: this can not fail. */
	cairn_map_set(&vol->map, vchunk, cairn_map_entry(member, pchunk));
}

void cairn_provision_abort(struct cairn_pool *pool, struct cairn_volume *vol,
			   u32 member, u64 pchunk)
{
	struct cairn_member *m = &pool->members[member];

	pool->txn_reserved -= sizeof(struct cairn_disk_rec_rmap);
	/* Never recorded: free again at once. */
	m->used[pchunk >> 6] &= ~(1ULL << (pchunk & 63));
	m->nr_used--;
	vol->nr_mapped--;
	pool->allocated--;
	cairn_check_threshold(pool);
}

u64 cairn_unmap_begin(struct cairn_volume *vol, u64 vchunk)
{
	u64 e = cairn_map_get(&vol->map, vchunk);

	if (e)
		cairn_map_set(&vol->map, vchunk, 0);	/* never allocates */
	return e;
}

void cairn_unmap_cancel(struct cairn_volume *vol, u64 vchunk, u64 entry)
{
	cairn_map_set(&vol->map, vchunk, entry);	/* nodes exist */
}

int cairn_unmap_end(struct cairn_pool *pool, struct cairn_volume *vol,
		    u64 vchunk, u64 entry)
{
	u32 mi = cairn_map_member(entry);
	u64 p = cairn_map_pchunk(entry);
	int r;

	r = cairn_txn_room(pool, sizeof(struct cairn_disk_rec_rmap));
	if (r)
		return r;
	cairn_set_rmap(pool, mi, p, 0, 0);
	cairn_free_later(pool, &pool->members[mi], p);
	vol->nr_mapped--;
	pool->allocated--;
	cairn_check_threshold(pool);
	return 0;
}

int cairn_discard(struct cairn_pool *pool, struct cairn_volume *vol,
		  u64 vchunk)
{
	u64 e;
	int r;

	if (pool->mode >= CAIRN_MODE_READ_ONLY)
		return -EROFS;
	if (!cairn_map_get(&vol->map, vchunk))
		return 0;
	r = cairn_txn_reserve(pool, sizeof(struct cairn_disk_rec_rmap));
	if (r)
		return r;
	e = cairn_unmap_begin(vol, vchunk);
	return cairn_unmap_end(pool, vol, vchunk, e);
}

/* ---- consistency ---- */

static int cairn_check_maps(struct cairn_pool *pool,
			    const struct cairn_vindex *ix, const char **why)
{
	u64 mapped = 0, used, p, vchunk, e;
	unsigned int i, k;

	for (i = 0; i < CAIRN_MAX_VOLUMES; i++) {
		struct cairn_volume *v = pool->volumes[i];
		u64 n = 0;

		if (!v)
			continue;
		if (v->slot != i || v->id >= pool->next_volume_id ||
		    cairn_vindex_find(ix, v->id) != v ||
		    cairn_volume_find(pool, v->name) != v) {
			*why = "volume table inconsistent";
			return -EUCLEAN;
		}
		vchunk = 0;
		while (cairn_map_next(&v->map, &vchunk, &e)) {
			u32 mi = cairn_map_member(e);

			p = cairn_map_pchunk(e);
			if (mi >= pool->sb.nr_members ||
			    p >= pool->members[mi].info.nr_chunks ||
			    vchunk >= cairn_size_chunks(pool, v->size)) {
				*why = "forward map entry out of range";
				return -EUCLEAN;
			}
			if (pool->members[mi].rmap[p].volume != v->id ||
			    pool->members[mi].rmap[p].vchunk != vchunk) {
				*why = "forward and reverse maps disagree";
				return -EUCLEAN;
			}
			if (!cairn_test_bit(pool->members[mi].used, p) ||
			    cairn_freed(&pool->members[mi], p)) {
				*why = "a mapped chunk is free";
				return -EUCLEAN;
			}
			n++;
			vchunk++;
		}
		if (n != v->nr_mapped) {
			*why = "volume mapped count is wrong";
			return -EUCLEAN;
		}
		mapped += n;
	}
	if (mapped != pool->allocated) {
		*why = "pool allocated count is wrong";
		return -EUCLEAN;
	}
	for (i = 0; i < pool->sb.nr_members; i++) {
		struct cairn_member *m = &pool->members[i];

		used = 0;
		for (p = 0; p < m->info.nr_chunks; p++) {
			bool u = cairn_test_bit(m->used, p);
			bool f = cairn_freed(m, p);
			struct cairn_volume *v;

			used += u;
			if (f && !u) {
				*why = "a chunk is pending free but not used";
				return -EUCLEAN;
			}
			if (!m->rmap[p].volume) {
				if (u && !f) {
					*why = "a chunk is used but mapped by nothing";
					return -EUCLEAN;
				}
				continue;
			}
			v = cairn_vindex_find(ix, m->rmap[p].volume);
			if (!v || cairn_map_get(&v->map, m->rmap[p].vchunk) !=
				  cairn_map_entry(i, p)) {
				*why = "a reverse-map entry has no forward mapping";
				return -EUCLEAN;
			}
		}
		if (used != m->nr_used) {
			*why = "member used count is wrong";
			return -EUCLEAN;
		}
		for (k = m->info.nr_chunks; k < cairn_bitmap_words(m->info.nr_chunks) * 64; k++) {
			if (cairn_test_bit(m->used, k)) {
				*why = "bitmap bit beyond the member";
				return -EUCLEAN;
			}
		}
	}
	return 0;
}

int cairn_pool_check(struct cairn_pool *pool, const char **why)
{
	struct cairn_vindex ix;
	unsigned int i;
	int r;

	if (cairn_vindex_build(pool, &ix)) {
		*why = "out of memory";
		return -ENOMEM;
	}
	for (i = 1; i < ix.n; i++) {
		if (ix.v[i - 1]->id == ix.v[i]->id) {
			*why = "volume ids are not unique";
			cairn_free(ix.v);
			return -EUCLEAN;
		}
	}
	r = cairn_check_maps(pool, &ix, why);
	cairn_free(ix.v);
	return r;
}
